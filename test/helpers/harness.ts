import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/libsql'
import { createApp } from '../../src/app'
import { type AppConfig, DEFAULT_CONFIG } from '../../src/config'
import { applyMigrations, openDatabase } from '../../src/db/node'
import * as schema from '../../src/db/tables'
import { type ApiClient, apiClient } from './api'
import { countingClient } from './counting-client'

/**
 * A fresh migrated database in a temporary folder and the app over it, for one test file: files
 * never share data. `db` is the same Drizzle handle the app uses, for asserting database state.
 */
export async function createHarness(config: Partial<AppConfig> = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'context-edge-test-'))
  let counter: ReturnType<typeof countingClient>['state'] | undefined
  const url = `file:${join(folder, 'test.db')}`
  const { client, db } = await openDatabase(url, undefined, (raw) => {
    const wrapped = countingClient(raw)
    counter = wrapped.state
    return wrapped.client
  })
  await applyMigrations(db)
  const app = createApp({ database: () => ({ db }), config: { ...DEFAULT_CONFIG, ...config } })
  const counts = counter as NonNullable<typeof counter>
  const api: ApiClient = apiClient((request) => app.fetch(request))
  return {
    api,
    /** The app's own fetch, for requests the api helper cannot express (streams, raw headers). */
    fetch: (request: Request) => Promise.resolve(app.fetch(request)),
    db,
    client,
    /**
     * Another app over the same database with its own Drizzle handle, hence its own metadata cache:
     * what a second worker isolate or server process sees.
     */
    otherInstance(): ApiClient {
      const otherDb = drizzle(client, { schema })
      const other = createApp({ database: () => ({ db: otherDb }), config: { ...DEFAULT_CONFIG, ...config } })
      return apiClient((request) => other.fetch(request))
    },
    counter: counts,
    /** Round trips made by `action`. */
    async roundTripsOf(action: () => Promise<unknown>): Promise<number> {
      const before = counts.roundTrips
      await action()
      return counts.roundTrips - before
    },
    /**
     * `EXPLAIN QUERY PLAN` rows of a statement. Run on a connection of its own and closed at once:
     * the libsql driver leaves an EXPLAIN statement holding its connection's read lock.
     */
    async explain(query: { sql: string; params: unknown[] }): Promise<string> {
      const { client: own } = await openDatabase(url)
      try {
        const plan = await own.execute({
          sql: `EXPLAIN QUERY PLAN ${query.sql}`,
          args: query.params as never,
        })
        return plan.rows.map((row) => String(row.detail)).join('\n')
      } finally {
        own.close()
      }
    },
    close() {
      client.close()
      rmSync(folder, { recursive: true, force: true })
    },
  }
}

export type Harness = Awaited<ReturnType<typeof createHarness>>

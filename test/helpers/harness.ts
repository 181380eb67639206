import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/libsql'
import type { AppConfig } from '../../src/config'
import { applyMigrations, openDatabase } from '../../src/db/node'
import * as schema from '../../src/db/tables'
import { appsOver } from './apps'
import { countingClient } from './counting-client'

/**
 * A fresh migrated database in a temporary folder and the app over it, for one test file: files
 * never share data. `db` is the same Drizzle handle the app uses, for asserting database state.
 */
export async function createHarness(config: Partial<AppConfig> = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'context-edge-test-'))
  let counter: ReturnType<typeof countingClient>['state'] | undefined
  const url = `file:${join(folder, 'test.db')}`
  // The local client by default; the node-libsql-client project runs the same tests on
  // @libsql/client's (vitest.config.ts).
  const driver = process.env.TEST_FILE_DRIVER === 'libsql-client' ? 'libsql-client' : 'local'
  const { client, db } = await openDatabase(url, {
    fileDriver: driver,
    wrap: (raw) => {
      const wrapped = countingClient(raw)
      counter = wrapped.state
      return wrapped.client
    },
  })
  await applyMigrations(db)
  const apps = appsOver(db, () => drizzle(client, { schema }), config)
  const counts = counter as NonNullable<typeof counter>
  return {
    ...apps,
    db,
    client,
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
      const { client: own } = await openDatabase(url, { fileDriver: driver })
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

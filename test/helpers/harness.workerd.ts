/**
 * The workerd version of `harness.ts` (the workerd project aliases one to the other): the same app,
 * built inside workerd over `@libsql/client/web`, on a fresh migrated database of the development
 * libSQL server, so every API test also runs over real HTTP where requests truly interleave.
 */
import { createClient } from '@libsql/client/web'
import { drizzle } from 'drizzle-orm/libsql/web'
import { inject } from 'vitest'
import type { AppConfig } from '../../src/config'
import * as schema from '../../src/db/tables'
import { appsOver } from './apps'
import { countingClient } from './counting-client'

export async function createHarness(config: Partial<AppConfig> = {}) {
  const base = inject('libsqlUrl')
  const created = await fetch(`${base}/dev/databases`, { method: 'POST' })
  const { name, url } = (await created.json()) as { name: string; url: string }
  const { client, state } = countingClient(createClient({ url }))
  const db = drizzle(client, { schema })
  const apps = appsOver(db, () => drizzle(client, { schema }), config)
  /** Round trips as the server counts them: pipeline POSTs to this file's database. */
  async function pipelines(): Promise<number> {
    const response = await fetch(`${base}/dev/databases/${name}/stats`)
    return ((await response.json()) as { pipelines: number }).pipelines
  }
  return {
    ...apps,
    db,
    client,
    counter: state,
    async roundTripsOf(action: () => Promise<unknown>): Promise<number> {
      const before = await pipelines()
      await action()
      return (await pipelines()) - before
    },
    /** `EXPLAIN QUERY PLAN` rows of a statement, run by the development libSQL server. */
    async explain(query: { sql: string; params: unknown[] }): Promise<string> {
      const plan = await client.execute({
        sql: `EXPLAIN QUERY PLAN ${query.sql}`,
        args: query.params as never,
      })
      return plan.rows.map((row) => String(row.detail)).join('\n')
    },
    close() {
      client.close()
    },
  }
}

export type Harness = Awaited<ReturnType<typeof createHarness>>

/**
 * The query plans of the hot statements: every statement that Complete Service, Start Service and a
 * service read run, recorded through the app and explained with `EXPLAIN QUERY PLAN`. A full scan
 * of a table (`SCAN <table>` without an index) in one of them would make its cost grow with the
 * tenant's data: the benchmark lists each plan and fails on such a scan.
 */
import type { InStatement } from '@libsql/client'
import { createApp } from '../src/app'
import { DEFAULT_CONFIG } from '../src/config'
import { applyMigrations, openDatabase } from '../src/db/node'
import { FEEDBACK, SATISFACTION, SEED_END_BODY } from '../test/helpers/fixtures'
import { recordingBatches } from './recording'

export interface QueryPlan {
  operation: string
  sql: string
  plan: string[]
  /** A table read from end to end, not through an index. */
  fullScans: string[]
}

/**
 * `SCAN x` is a full scan unless it reads an index, a table-valued function (json_each), a subquery's
 * own rows, or `sqlite_sequence` (one row per AUTOINCREMENT table, five in all).
 */
function fullScans(plan: string[]): string[] {
  return plan.filter(
    (line) =>
      /^SCAN /.test(line) &&
      !/USING (COVERING )?INDEX|VIRTUAL TABLE|CONSTANT ROW|^SCAN \(subquery|^SCAN sqlite_sequence$/.test(
        line,
      ),
  )
}

export async function explainHotStatements(url: string): Promise<QueryPlan[]> {
  let recorded: InStatement[] = []
  const recording = recordingBatches((statements) => recorded.push(...statements))
  const { client, db } = await openDatabase(url, { wrap: recording })
  await applyMigrations(db)
  const app = createApp({ database: () => ({ db }), config: { ...DEFAULT_CONFIG, accessLog: false } })
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status}`)
    return response.status === 204 ? undefined : response.json()
  }
  for (const schema of [SATISFACTION, FEEDBACK]) await call('POST', '/metadata/services/extensions', schema)
  // Warm (metadata cached), then record each operation's own batch.
  const warm = (await call('POST', '/services/start', { service_type: 7, contact_key: 'warm' })) as {
    service_id: number
  }
  await call('GET', `/services/${warm.service_id}`)
  const operations: [string, () => Promise<unknown>][] = [
    [
      'start service',
      () => call('POST', '/services/start', { service_type: 7, contact_key: 'k', Feedback: { rating: 3 } }),
    ],
    [
      'read service',
      () => call('GET', `/services/${warm.service_id}?active_states=true&extensions=Feedback,Satisfaction`),
    ],
    ['complete service', () => call('POST', `/services/${warm.service_id}/end`, SEED_END_BODY)],
  ]
  const plans: QueryPlan[] = []
  // Explained on a connection of their own: libsql 0.5 leaves `EXPLAIN QUERY PLAN INSERT …` (no
  // plan rows) in progress after reading it, and the app's next COMMIT would fail on it.
  const explainer = (await openDatabase(url)).client
  for (const [operation, run] of operations) {
    recorded = []
    await run()
    for (const statement of recorded) {
      const { sql, args } = typeof statement === 'string' ? { sql: statement, args: [] } : statement
      if (/^(BEGIN|COMMIT)/.test(sql)) continue
      const explained = await explainer.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args })
      const plan = explained.rows.map((row) => String(row.detail))
      plans.push({ operation, sql, plan, fullScans: fullScans(plan) })
    }
  }
  client.close()
  explainer.close()
  return plans
}

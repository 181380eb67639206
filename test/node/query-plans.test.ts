import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { explainHotStatements } from '../../bench/query-plans'

/**
 * The statements of Complete Service, Start Service and a service read, as the app runs them
 * (recorded through it), explained by SQLite: every table reached through a key or an index, and
 * every guard check evaluated once (BENCHMARKS.md#query-plans-of-the-hot-statements).
 */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-plans-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('the hot statements', () => {
  it('scan no table from end to end, and run each guard check once', async () => {
    const plans = await explainHotStatements(`file:${join(folder, 'plans.db')}`)
    expect(new Set(plans.map((plan) => plan.operation))).toEqual(
      new Set(['start service', 'read service', 'complete service']),
    )
    for (const plan of plans) expect(plan.fullScans, plan.sql).toEqual([])
    const guards = plans.filter((plan) => plan.sql.startsWith('INSERT INTO guard'))
    expect(guards.map((guard) => guard.operation).sort()).toEqual(['complete service', 'start service'])
    for (const guard of guards) {
      // Without the subquery's LIMIT 1, SQLite pushes the filter into the CASE and lists (and runs)
      // every check's subquery twice.
      const subqueries = guard.plan.filter((line) => /^SCALAR SUBQUERY \d+$/.test(line))
      expect(subqueries.length).toBeGreaterThan(0)
      expect(new Set(subqueries).size, guard.plan.join('; ')).toBe(subqueries.length)
    }
  })
})

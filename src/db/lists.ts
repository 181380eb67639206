import { isNull, type Placeholder, type SQL, sql } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { EventJson } from './tables'

/**
 * Lists of services, states and tasks.
 *
 * States and tasks nested in a read are capped like top-level lists (docs/behaviour.md#lists): each nested
 * list (active or completed, per parent) holds at most `limit` items, the most recent ones. The cap is
 * applied in SQL, so a read's cost does not grow with what a service has accumulated.
 */
export function newestPerList(
  table: { id: SQLiteColumn; completed: SQLiteColumn },
  parent: SQLiteColumn,
  scope: SQL,
  limit: number | Placeholder,
): SQL {
  // One more than the limit, so that the caller can tell a cut list from a full one.
  const kept = typeof limit === 'number' ? sql`${limit + 1}` : sql`${limit} + 1`
  return sql`${table.id} IN (SELECT id FROM (SELECT ${table.id} AS id, row_number() OVER (PARTITION BY ${parent}, ${table.completed} IS NULL ORDER BY ${table.id} DESC) AS n FROM ${table} WHERE ${scope}) WHERE n <= ${kept})`
}

/** Rows (in id order) grouped by parent, each group split into active and completed lists. */
export function nestedLists<T extends { completed: EventJson | null }>(
  rows: T[],
  parentOf: (row: T) => number | null,
  limit: number,
) {
  const byParent = new Map<number | null, { active: T[]; completed: T[] }>()
  for (const row of rows) {
    const parent = parentOf(row)
    const lists = byParent.get(parent) ?? { active: [], completed: [] }
    byParent.set(parent, lists)
    ;(row.completed === null ? lists.active : lists.completed).push(row)
  }
  let truncated = false
  const cap = (list: T[]) => {
    if (list.length <= limit) return list
    truncated = true
    return list.slice(list.length - limit)
  }
  return {
    of(parent: number) {
      const lists = byParent.get(parent)
      return { active: cap(lists?.active ?? []), completed: cap(lists?.completed ?? []) }
    },
    /** Whether a list handed out by `of` was cut. */
    get truncated() {
      return truncated
    },
  }
}

/** Which items of a list: all, the active ones (not completed) or the completed ones. */
export type CompletionFilter = 'all' | 'active' | 'completed'

/** The condition of a completion filter on a `completed` column; none for `all`. */
export function completionFilter(completed: SQLiteColumn, filter: CompletionFilter): SQL | undefined {
  if (filter === 'active') return isNull(completed)
  if (filter === 'completed') return sql`${completed} IS NOT NULL`
  return undefined
}

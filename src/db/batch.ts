import { type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { ApiError } from '../http/errors'
import type { Database, GuardCheck, Statement } from './database'
import { GUARD_CODES, type GuardCode } from './tables'

/**
 * A precondition inside a write batch: when `violation` holds, an insert into `guard` selects the
 * code, the CHECK constraint named after it rejects the row and the whole batch rolls back
 * (architecture, "Storage"). Consecutive guards run as one statement that selects the code of the
 * first violated one.
 */
export function guard(code: GuardCode, violation: SQL): GuardCheck {
  return { kind: 'guard', code, violation }
}

function isGuard(item: Statement): item is GuardCheck {
  return (item as GuardCheck).kind === 'guard'
}

function guardStatement(db: Database, checks: GuardCheck[]): BatchItem<'sqlite'> {
  const cases = sql.join(
    checks.map((check) => sql`WHEN ${check.violation} THEN ${check.code}`),
    sql` `,
  )
  return db.run(
    sql`INSERT INTO guard (code) SELECT code FROM (SELECT CASE ${cases} END AS code) WHERE code IS NOT NULL`,
  ) as unknown as BatchItem<'sqlite'>
}

const GUARD_FAILURE = /CHECK constraint failed: ([a-z_]+)/

/** The guard code behind a failed batch, looking through wrapper errors (Drizzle, libSQL, Hrana). */
export function guardCodeOf(error: unknown): GuardCode | undefined {
  for (const e of causes(error)) {
    const code = GUARD_FAILURE.exec(e.message)?.[1]
    if (code && (GUARD_CODES as readonly string[]).includes(code)) return code as GuardCode
  }
  return undefined
}

/**
 * Runs statements as one atomic batch (one round trip); a failed guard becomes its ApiError, with the
 * message given for its code when there is one.
 */
export async function runBatch(
  db: Database,
  statements: Statement[],
  messages: Partial<Record<GuardCode, string>> = {},
  keyConflict?: 'unique_key_violation' | 'key_values_not_unique',
): Promise<unknown[]> {
  if (statements.length === 0) return []
  // Merge each run of guards into one statement; results stay aligned with `statements`.
  const queries: BatchItem<'sqlite'>[] = []
  const position: number[] = []
  for (let i = 0; i < statements.length; ) {
    const item = statements[i]
    if (isGuard(item)) {
      const run: GuardCheck[] = []
      for (; i < statements.length && isGuard(statements[i]); i++) {
        run.push(statements[i] as GuardCheck)
        position.push(queries.length)
      }
      queries.push(guardStatement(db, run))
    } else {
      position.push(queries.length)
      queries.push(item)
      i++
    }
  }
  try {
    const results = await db.batch(queries as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
    return position.map((index) => results[index])
  } catch (error) {
    const code = guardCodeOf(error)
    if (code) throw new ApiError(code, messages[code])
    // The partial unique index of unique identification keys (docs/behaviour.md#identify).
    if (
      keyConflict &&
      causes(error).some((e) => e.message.includes('UNIQUE constraint failed: key_entries.'))
    ) {
      throw new ApiError(keyConflict)
    }
    throw error
  }
}

function causes(error: unknown): Error[] {
  const chain: Error[] = []
  for (let e: unknown = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e)
  return chain
}

/**
 * The id of the row inserted into `table` earlier in the same batch. The batch holds the write lock,
 * so the AUTOINCREMENT counter cannot move under it; `last_insert_rowid()` would, after the next insert.
 */
export function insertedId(table: 'services' | 'states' | 'tasks' | 'profiles' | 'identification_keys'): SQL {
  return sql`(SELECT seq FROM sqlite_sequence WHERE name = ${table})`
}

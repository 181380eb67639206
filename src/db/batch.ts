import { type SQL, sql } from 'drizzle-orm'
import { ApiError } from '../lib/errors'
import type { Database, Statement } from './database'
import { GUARD_CODES, type GuardCode } from './schema'

/**
 * A precondition inside a write batch: when `violation` holds, the insert selects a row, the CHECK
 * constraint named `code` on `guard` rejects it and the whole batch rolls back (architecture, "Storage").
 */
export function guard(db: Database, code: GuardCode, violation: SQL): Statement {
  return db.run(sql`INSERT INTO guard (code) SELECT ${code} WHERE ${violation}`) as unknown as Statement
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
  try {
    return await db.batch(statements as [Statement, ...Statement[]])
  } catch (error) {
    const code = guardCodeOf(error)
    if (code) throw new ApiError(code, messages[code])
    // The partial unique index of unique identification keys (decisions 7.3a).
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

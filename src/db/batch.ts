import { type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Database, GuardCheck, GuardShape, Statement } from './database'
import { type Bound, preparedSql, type ResultOf } from './prepared'
import { GUARD_CODES, type GuardCode } from './tables'

/**
 * The database refused a request: a guard of its batch failed, or (for reads) the tenant is in
 * maintenance. The HTTP layer answers it with the error of the same code.
 */
export class Refusal extends Error {
  readonly code: GuardCode
  constructor(code: GuardCode) {
    super(`refused: ${code}`)
    this.name = 'Refusal'
    this.code = code
  }
}

/**
 * A precondition inside a write batch: when `violation` holds, an insert into `guard` selects the
 * code, the CHECK constraint named after it rejects the row and the whole batch rolls back
 * (docs/design.md#writes). Consecutive guards run as one statement that selects the code of the
 * first violated one.
 */
export function guard(code: GuardCode, violation: SQL): GuardCheck {
  return { kind: 'guard', code, violation: () => violation }
}

/** A value of a prepared guard: a placeholder while it is prepared, the value itself otherwise. */
export type GuardSlot<V> = (name: keyof V & string) => SQL

let shapeIds = 0

/**
 * A guard whose SQL is prepared once (docs/design.md#prepared-statements): `violation` is written
 * with a slot for each value. A run of prepared guards is one statement prepared per combination.
 */
export function preparedGuard<V extends Record<string, unknown>>(
  code: GuardCode,
  violation: (slot: GuardSlot<V>) => SQL,
): (values: V) => GuardCheck {
  const shape: GuardShape = { id: ++shapeIds, code, violation: violation as GuardShape['violation'] }
  return (values) => ({
    kind: 'guard',
    code,
    shape,
    values,
    violation: () => violation((name) => sql`${values[name]}`),
  })
}

function isGuard(item: Statement): item is GuardCheck {
  return (item as GuardCheck).kind === 'guard'
}

function guardSql(cases: SQL[]): SQL {
  // LIMIT 1 keeps SQLite from pushing `code IS NOT NULL` down into the subquery, which evaluated
  // every check twice (EXPLAIN QUERY PLAN listed each subquery twice).
  return sql`INSERT INTO guard (code) SELECT code FROM (SELECT CASE ${sql.join(cases, sql` `)} END AS code LIMIT 1) WHERE code IS NOT NULL`
}

/** Guard statements prepared per combination of prepared guards (a few per operation). */
const preparedGuards = new Map<string, (values: Record<string, unknown>) => Bound<unknown>>()

function guardStatement(db: Database, checks: GuardCheck[]): BatchItem<'sqlite'> {
  const shapes = checks.map((check) => check.shape)
  if (shapes.every((shape) => shape !== undefined)) {
    const key = shapes.map((shape) => shape.id).join(',')
    let statement = preparedGuards.get(key)
    if (!statement) {
      // Each guard's slots are named after its position: two guards may both have a `tenant`.
      const cases = shapes.map((shape, i) => {
        const violation = shape.violation((name) => sql`${sql.placeholder(`g${i}_${name}`)}`)
        return sql`WHEN ${violation} THEN ${shape.code}`
      })
      statement = preparedSql(() => guardSql(cases))
      preparedGuards.set(key, statement)
    }
    const values: Record<string, unknown> = {}
    checks.forEach((check, i) => {
      for (const [name, value] of Object.entries(check.values ?? {})) values[`g${i}_${name}`] = value
    })
    // A bound prepared statement answers Drizzle's batch like a query (see prepared.ts).
    return statement(values) as unknown as BatchItem<'sqlite'>
  }
  return db.run(
    guardSql(checks.map((check) => sql`WHEN ${check.violation()} THEN ${check.code}`)),
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
 * Runs statements as one atomic batch (one round trip); a failed guard becomes a `Refusal` with its
 * code, and so does a collision in the unique index of identification keys when `keyConflict` names
 * the code to answer it with (docs/behaviour.md#identify).
 */
export async function runBatch(
  db: Database,
  statements: Statement[],
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
      // A bound prepared statement answers Drizzle's batch like a query (see prepared.ts).
      queries.push(item as BatchItem<'sqlite'>)
      i++
    }
  }
  try {
    const results = await db.batch(queries as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
    return position.map((index) => results[index])
  } catch (error) {
    const code = guardCodeOf(error)
    if (code) throw new Refusal(code)
    if (
      keyConflict &&
      causes(error).some((e) => e.message.includes('UNIQUE constraint failed: key_entries.'))
    ) {
      throw new Refusal(keyConflict)
    }
    throw error
  }
}

/** A batch of reads (Drizzle queries and prepared statements), each answering its rows. */
export function readBatch<T extends readonly [ReadItem, ...ReadItem[]]>(
  db: Database,
  queries: T,
): Promise<{ -readonly [K in keyof T]: ResultOf<T[K]> }> {
  // A bound prepared statement answers Drizzle's batch like a query (see prepared.ts).
  return db.batch(queries as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]) as never
}

type ReadItem = BatchItem<'sqlite'> | Bound<unknown>

/** The statements of a write by name, in the order they run; a name may stand for several. */
export type NamedStatements = Record<string, Statement | Statement[] | undefined>
/** What each named statement answered (rows of a `returning` or a select; the driver's result otherwise). */
export type NamedResults<P extends NamedStatements> = {
  [K in keyof P]: P[K] extends Statement[] | GuardCheck | undefined ? unknown : ResultOf<P[K]>
}

/** `runBatch` over named statements, answering each one's result under its name. */
export async function runNamedBatch<P extends NamedStatements>(
  db: Database,
  named: P,
  keyConflict?: 'unique_key_violation' | 'key_values_not_unique',
): Promise<NamedResults<P>> {
  const statements: Statement[] = []
  const slots: [string, number, boolean][] = []
  for (const [name, value] of Object.entries(named)) {
    if (value === undefined) continue
    slots.push([name, statements.length, Array.isArray(value)])
    statements.push(...(Array.isArray(value) ? value : [value]))
  }
  const results = await runBatch(db, statements, keyConflict)
  return Object.fromEntries(
    slots.map(([name, index, many]) => [name, many ? undefined : results[index]]),
  ) as NamedResults<P>
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
export function insertedId(table: InsertedTable): SQL {
  let id = insertedIds.get(table)
  if (!id) {
    id = sql`(SELECT seq FROM sqlite_sequence WHERE name = ${table})`
    insertedIds.set(table, id)
  }
  return id
}

type InsertedTable = 'services' | 'states' | 'tasks' | 'profiles' | 'identification_keys'
// One SQL object per table, so that a statement prepared for it can be found by identity.
const insertedIds = new Map<InsertedTable, SQL>()

/** Whether `owner` is an `insertedId` (statements prepared for it are kept per table). */
export function isInsertedId(owner: SQL): boolean {
  for (const id of insertedIds.values()) if (id === owner) return true
  return false
}

import { fillPlaceholders, type Placeholder, type Query, type SQL, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/libsql/web'
import type { Database } from './database'
import * as schema from './tables'

/**
 * Statements built once and then only bound to values (docs/design.md#prepared-statements).
 *
 * Drizzle builds a statement's SQL by walking its expression tree on every call: for the statements
 * of a hot request that walk costs more CPU than SQLite spends running them. A prepared statement is
 * built once with named placeholders (Drizzle's own `.prepare()`), and each request only fills an
 * array of values. The SQL text is then identical on every call, which is also what lets the local
 * client (and Turso) reuse the compiled statement.
 */

/** What Drizzle's batch asks of each item: its SQL with values, and how to map its result. */
export interface PreparedQuery {
  getQuery(): Query
  mapResult(result: unknown, isFromBatch?: boolean): unknown
}

/** A prepared statement bound to values: runs in a batch like any Drizzle query. */
export interface Bound<R> {
  readonly kind: 'bound'
  /** The type of its result, for the batch's typing only. */
  readonly result?: R
  /** Called by Drizzle's batch (as it calls every query's `_prepare`). */
  _prepare(): PreparedQuery
}

/** What a statement of a batch answers: a Drizzle query's result, or a prepared statement's. */
export type ResultOf<T> = T extends Bound<infer R> ? R : Awaited<T>

/** A placeholder in a statement being prepared, filled from the bound values by name. */
export type Slot<V> = (name: keyof V & string) => Placeholder

/** A query Drizzle can prepare, whose `execute` answers `R`. */
interface Preparable<R> {
  prepare(): PreparedQuery
  execute(values?: Record<string, unknown>): Promise<R>
}

/** Drizzle on no client: statements are prepared on it, never run. */
let builder: Database | undefined
function builderDb(): Database {
  builder ??= drizzle.mock({ schema }) as unknown as Database
  return builder
}

const slot = ((name: string) => sql.placeholder(name)) as Slot<never>

/** A prepared query with its SQL built once: Drizzle's raw statements build it on each `getQuery`. */
class Built {
  readonly query: Query
  constructor(readonly prepared: PreparedQuery) {
    this.query = prepared.getQuery()
  }
}

class BoundStatement<R> implements Bound<R> {
  readonly kind = 'bound'
  constructor(
    private readonly built: Built,
    private readonly values: Record<string, unknown>,
  ) {}

  _prepare(): PreparedQuery {
    const { built, values } = this
    const query = { sql: built.query.sql, params: fillPlaceholders(built.query.params, values) }
    return {
      getQuery: () => query,
      mapResult: (result, isFromBatch) => built.prepared.mapResult(result, isFromBatch),
    }
  }
}

/**
 * A statement prepared on first use: `build` gets a Drizzle handle and `slot(name)` for each value,
 * and the answered function binds values to it.
 */
export function prepared<V extends Record<string, unknown>, R>(
  build: (db: Database, slot: Slot<V>) => Preparable<R>,
): (values: V) => Bound<R> {
  let statement: Built | undefined
  return (values) => {
    statement ??= new Built(build(builderDb(), slot as Slot<V>).prepare())
    return new BoundStatement<R>(statement, values)
  }
}

/** Raw SQL prepared once (`build` uses `sql.placeholder`), bound on each call. */
export function preparedSql(build: () => SQL): (values: Record<string, unknown>) => Bound<unknown> {
  let statement: Built | undefined
  return (values) => {
    // A raw statement is its own prepared query (Drizzle's `SQLiteRaw`).
    statement ??= new Built(builderDb().run(build()) as unknown as PreparedQuery)
    return new BoundStatement(statement, values)
  }
}

/**
 * Hrana v2 (JSON) requests executed on one libSQL connection: the part of libSQL's HTTP protocol
 * that @libsql/client speaks (execute, batch with conditions, sequence, describe, store_sql,
 * close_sql, get_autocommit, close). Everything here is synchronous: a request, and so a whole
 * batch, runs to its end before any other request can touch the connection. Part of the development
 * server (see server.ts): not for production.
 */
import type Database from 'libsql'

export type HranaValue =
  | { type: 'null' }
  | { type: 'integer'; value: string }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'blob'; base64: string }

export interface HranaStmt {
  sql?: string
  sql_id?: number
  args?: HranaValue[]
  named_args?: { name: string; value: HranaValue }[]
  want_rows?: boolean
}

export type HranaCondition =
  | { type: 'ok'; step: number }
  | { type: 'error'; step: number }
  | { type: 'not'; cond: HranaCondition }
  | { type: 'and'; conds: HranaCondition[] }
  | { type: 'or'; conds: HranaCondition[] }
  | { type: 'is_autocommit' }

export interface HranaError {
  message: string
  code: string
}

export interface StmtResult {
  cols: { name: string; decltype: string | null }[]
  rows: HranaValue[][]
  affected_row_count: number
  last_insert_rowid: string | null
}

/** A failure to report to the client as a Hrana error (the stream stays usable). */
export class RequestError extends Error {
  readonly code: string
  constructor(message: string, code: string) {
    super(message)
    this.code = code
  }
}

/** What a stream keeps between requests: its stored SQL texts. */
export interface StreamState {
  sqls: Map<number, string>
}

type Db = InstanceType<typeof Database>

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A failure as Hrana reports it. SQLite errors carry their primary code (`SQLITE_CONSTRAINT`, not
 * `SQLITE_CONSTRAINT_PRIMARYKEY`), as the libSQL server sends them: Hrana v2 has no extended code.
 */
export function toError(error: unknown): HranaError {
  if (error instanceof RequestError) return { message: error.message, code: error.code }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string') return { message: error.message, code: 'UNKNOWN' }
    const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0]
    return { message: error.message, code: primary ?? code }
  }
  return { message: String(error), code: 'UNKNOWN' }
}

function fromHrana(value: unknown): unknown {
  if (!isObject(value)) throw new RequestError('a value must be an object with a type', 'PROTOCOL_ERROR')
  switch (value.type) {
    case 'null':
      return null
    case 'integer':
      if (typeof value.value !== 'string' || !/^-?\d+$/.test(value.value)) {
        throw new RequestError('an integer value must be a decimal string', 'PROTOCOL_ERROR')
      }
      return BigInt(value.value)
    case 'float':
      if (typeof value.value !== 'number')
        throw new RequestError('a float value must be a number', 'PROTOCOL_ERROR')
      return value.value
    case 'text':
      if (typeof value.value !== 'string')
        throw new RequestError('a text value must be a string', 'PROTOCOL_ERROR')
      return value.value
    case 'blob':
      if (typeof value.base64 !== 'string')
        throw new RequestError('a blob value needs base64', 'PROTOCOL_ERROR')
      return Buffer.from(value.base64, 'base64')
    default:
      throw new RequestError('unknown value type', 'PROTOCOL_ERROR')
  }
}

function toHrana(value: unknown): HranaValue {
  if (value === null || value === undefined) return { type: 'null' }
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() }
  // Integers come back as bigint (safeIntegers), so a number here is a REAL.
  if (typeof value === 'number') return { type: 'float', value }
  if (typeof value === 'string') return { type: 'text', value }
  if (value instanceof Uint8Array) return { type: 'blob', base64: Buffer.from(value).toString('base64') }
  return { type: 'text', value: String(value) }
}

function sqlOf(stream: StreamState, source: { sql?: unknown; sql_id?: unknown }): string {
  if (typeof source.sql === 'string') return source.sql
  if (typeof source.sql_id === 'number') {
    const sql = stream.sqls.get(source.sql_id)
    if (sql === undefined)
      throw new RequestError(`no SQL text is stored as ${source.sql_id}`, 'SQL_NOT_FOUND')
    return sql
  }
  throw new RequestError('a statement needs sql or sql_id', 'PROTOCOL_ERROR')
}

/**
 * The statement's parameters as the `libsql` driver takes them: ONE argument, an array of positional
 * values or an object of named ones. (Spread out, a lone blob or null argument would be taken for a
 * named-parameter object — a blob makes the driver panic.) Positional values may also be named by
 * their 1-based index, so both kinds together become one object.
 */
function bindings(stmt: Record<string, unknown>): unknown[] | Record<string, unknown> {
  const positional = stmt.args === undefined ? [] : stmt.args
  if (!Array.isArray(positional)) throw new RequestError('args must be an array', 'PROTOCOL_ERROR')
  const values: unknown[] = positional.map(fromHrana)
  if (stmt.named_args === undefined || (Array.isArray(stmt.named_args) && stmt.named_args.length === 0)) {
    return values
  }
  if (!Array.isArray(stmt.named_args)) throw new RequestError('named_args must be an array', 'PROTOCOL_ERROR')
  const named = new Map<string, unknown>(values.map((value, i) => [String(i + 1), value]))
  for (const arg of stmt.named_args) {
    if (!isObject(arg) || typeof arg.name !== 'string') {
      throw new RequestError('a named arg needs a name', 'PROTOCOL_ERROR')
    }
    named.set(arg.name.replace(/^[:@$]/, ''), fromHrana(arg.value))
  }
  return Object.fromEntries(named)
}

type Statement = ReturnType<Db['prepare']>

/** The most statements kept prepared per connection; the least recently used goes first. */
const STATEMENT_CACHE_SIZE = 500
const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i
const statementCaches = new WeakMap<Db, Map<string, Statement>>()

/**
 * A statement prepared once per connection and SQL text, as libSQL's server does: preparing cost
 * more than running most statements (three or four prepares per statement run, counters included).
 * A schema change starts the cache afresh, so no statement outlives the columns it was built for.
 */
function prepare(db: Db, sql: string): Statement {
  let cache = statementCaches.get(db)
  if (!cache) {
    cache = new Map()
    statementCaches.set(db, cache)
  }
  if (SCHEMA_CHANGE.test(sql)) cache.clear()
  const cached = cache.get(sql)
  if (cached) {
    cache.delete(sql)
    cache.set(sql, cached)
    return cached
  }
  const prepared = db.prepare(sql)
  cache.set(sql, prepared)
  if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  return prepared
}

/** `last_insert_rowid()` and `total_changes()` of the connection, exactly (64-bit). */
function connectionCounters(db: Db): { rowid: bigint; total: bigint } {
  const [rowid, total] = prepare(db, 'SELECT last_insert_rowid(), total_changes()')
    .raw(true)
    .safeIntegers(true)
    .get([]) as [bigint, bigint]
  return { rowid, total }
}

/**
 * One statement. `affected_row_count` counts the rows the statement itself changed (not those of its
 * triggers); `last_insert_rowid` is the row this statement inserted, or null when it inserted none
 * (the connection is shared by every stream: its last rowid may be another stream's).
 */
export function executeStmt(db: Db, stream: StreamState, stmt: unknown): StmtResult {
  if (!isObject(stmt)) throw new RequestError('stmt must be an object', 'PROTOCOL_ERROR')
  const sql = sqlOf(stream, stmt)
  const params = bindings(stmt)
  const prepared = prepare(db, sql)
  prepared.safeIntegers(true)
  const before = connectionCounters(db)
  let rows: unknown[][] = []
  let changes: bigint
  if (prepared.reader) {
    rows = prepared.raw(true).all(params) as unknown[][]
    const after = connectionCounters(db)
    // changes() keeps the last DML statement's count: only trust it when this one changed rows.
    changes =
      after.total === before.total
        ? 0n
        : (prepare(db, 'SELECT changes()').raw(true).safeIntegers(true).get([]) as [bigint])[0]
  } else {
    changes = BigInt(prepared.run(params).changes)
  }
  const after = connectionCounters(db)
  const inserted = changes > 0n && after.rowid !== before.rowid
  return {
    cols: prepared.reader ? prepared.columns().map((col) => ({ name: col.name, decltype: col.type })) : [],
    rows: stmt.want_rows === false ? [] : rows.map((row) => row.map(toHrana)),
    affected_row_count: Number(changes),
    last_insert_rowid: inserted ? after.rowid.toString() : null,
  }
}

interface StepOutcome {
  ok: boolean
  error: boolean
}

function evaluate(db: Db, cond: unknown, outcomes: StepOutcome[]): boolean {
  if (!isObject(cond)) throw new RequestError('a condition must be an object', 'PROTOCOL_ERROR')
  switch (cond.type) {
    case 'ok':
    case 'error': {
      const step = cond.step
      if (typeof step !== 'number' || step < 0 || step >= outcomes.length) {
        throw new RequestError('a condition may only name an earlier step', 'PROTOCOL_ERROR')
      }
      return cond.type === 'ok' ? outcomes[step].ok : outcomes[step].error
    }
    case 'not':
      return !evaluate(db, cond.cond, outcomes)
    case 'and':
      if (!Array.isArray(cond.conds)) throw new RequestError('and needs conds', 'PROTOCOL_ERROR')
      return cond.conds.every((c) => evaluate(db, c, outcomes))
    case 'or':
      if (!Array.isArray(cond.conds)) throw new RequestError('or needs conds', 'PROTOCOL_ERROR')
      return cond.conds.some((c) => evaluate(db, c, outcomes))
    case 'is_autocommit':
      return !db.inTransaction
    default:
      throw new RequestError('unknown condition type', 'PROTOCOL_ERROR')
  }
}

/** A batch: each step runs when its condition holds; a step that does not run is neither ok nor error. */
export function executeBatch(db: Db, stream: StreamState, batch: unknown) {
  if (!isObject(batch) || !Array.isArray(batch.steps)) {
    throw new RequestError('batch must have steps', 'PROTOCOL_ERROR')
  }
  const outcomes: StepOutcome[] = []
  const step_results: (StmtResult | null)[] = []
  const step_errors: (HranaError | null)[] = []
  for (const step of batch.steps) {
    if (!isObject(step)) throw new RequestError('a step must be an object', 'PROTOCOL_ERROR')
    const run =
      step.condition === undefined || step.condition === null || evaluate(db, step.condition, outcomes)
    if (!run) {
      outcomes.push({ ok: false, error: false })
      step_results.push(null)
      step_errors.push(null)
      continue
    }
    try {
      step_results.push(executeStmt(db, stream, step.stmt))
      step_errors.push(null)
      outcomes.push({ ok: true, error: false })
    } catch (error) {
      step_results.push(null)
      step_errors.push(toError(error))
      outcomes.push({ ok: false, error: true })
    }
  }
  return { step_results, step_errors }
}

/** Best-effort `describe`: the libSQL driver exposes columns; parameters are read from the SQL text. */
export function describe(db: Db, sql: string) {
  const prepared = prepare(db, sql)
  const params: { name: string | null }[] = []
  const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
  const seen = new Set<string>()
  for (const match of text.matchAll(/\?(\d*)|([:@$][A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[2] ?? null
    if (name && seen.has(name)) continue
    if (name) seen.add(name)
    params.push({ name })
  }
  const keyword = text.trim().split(/\s+/)[0]?.toUpperCase() ?? ''
  return {
    params,
    cols: prepared.reader ? prepared.columns().map((col) => ({ name: col.name, decltype: col.type })) : [],
    is_explain: keyword === 'EXPLAIN',
    is_readonly: ['SELECT', 'EXPLAIN', 'VALUES'].includes(keyword),
  }
}

/** Runs one pipeline request; returns its response, or throws a RequestError/SQLite error. */
export function executeRequest(db: Db, stream: StreamState, request: unknown): Record<string, unknown> {
  if (!isObject(request)) throw new RequestError('a request must be an object', 'PROTOCOL_ERROR')
  switch (request.type) {
    case 'execute':
      return { type: 'execute', result: executeStmt(db, stream, request.stmt) }
    case 'batch':
      return { type: 'batch', result: executeBatch(db, stream, request.batch) }
    case 'sequence':
      db.exec(sqlOf(stream, request))
      return { type: 'sequence' }
    case 'describe':
      return { type: 'describe', result: describe(db, sqlOf(stream, request)) }
    case 'store_sql':
      if (typeof request.sql_id !== 'number' || typeof request.sql !== 'string') {
        throw new RequestError('store_sql needs sql_id and sql', 'PROTOCOL_ERROR')
      }
      stream.sqls.set(request.sql_id, request.sql)
      return { type: 'store_sql' }
    case 'close_sql':
      if (typeof request.sql_id !== 'number')
        throw new RequestError('close_sql needs sql_id', 'PROTOCOL_ERROR')
      stream.sqls.delete(request.sql_id)
      return { type: 'close_sql' }
    case 'get_autocommit':
      return { type: 'get_autocommit', is_autocommit: !db.inTransaction }
    case 'close':
      return { type: 'close' }
    default:
      throw new RequestError('unknown request type', 'PROTOCOL_ERROR')
  }
}

import { createRequire } from 'node:module'
import { setImmediate } from 'node:timers'
import { Worker } from 'node:worker_threads'
import type { Client, InArgs, InStatement, InValue, ResultSet, Row, TransactionMode } from '@libsql/client'
import { LibsqlBatchError, LibsqlError } from '@libsql/client'
import Database from 'libsql'

const require = createRequire(import.meta.url)

/**
 * The client of an embedded database file: the part of `@libsql/client`'s `Client` that Drizzle and
 * this app use (`execute`, `batch`, `migrate`, `close`), on the `libsql` engine directly, with the
 * same results and the same errors (docs/design.md#local-client).
 *
 * What it adds is a bounded cache of prepared statements keyed by their SQL: `@libsql/client`
 * prepares every statement again on every call, and preparing costs more than running most of ours.
 * The engine is synchronous and there is one connection, so a batch runs from BEGIN to COMMIT
 * without yielding: nothing of this process can interleave with it. Write batches take the write lock
 * at BEGIN (`BEGIN IMMEDIATE`) so that another process holding the file makes them wait (busy
 * timeout), never fail half-way; read-only batches begin deferred.
 *
 * Write batches are committed in groups (docs/design.md#group-commit): the batches that requests hand
 * over during one turn of the event loop run in one transaction, each inside its own savepoint, so
 * each still succeeds or fails alone, and every one of them is answered only after the COMMIT.
 */
const STATEMENT_CACHE_SIZE = 500

/** The most write batches one transaction commits together; more wait for the next turn. */
const MAX_GROUP = 64

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const MIN_INT64 = -9223372036854775808n
const MAX_INT64 = 9223372036854775807n

type Prepared = ReturnType<InstanceType<typeof Database>['prepare']>
type Statements = (InStatement | [string, InArgs?])[]

/** A write batch waiting for its group's transaction. */
interface PendingBatch {
  statements: Statements
  resolve: (results: ResultSet[]) => void
  reject: (error: unknown) => void
}
interface CachedStatement {
  statement: Prepared
  /** Column names, when the statement returns rows. */
  columns: string[] | null
  columnTypes: string[]
  /** Builds a row of this statement's columns. */
  row: (values: unknown[]) => Row
  /** A SELECT (or the like): a batch of only these begins deferred. */
  readOnly: boolean
}

class LocalResultSet implements ResultSet {
  constructor(
    readonly columns: string[],
    readonly columnTypes: string[],
    readonly rows: Row[],
    readonly rowsAffected: number,
    readonly lastInsertRowid: bigint | undefined,
  ) {}

  toJSON() {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) =>
        Array.prototype.map.call(row, (value) => (typeof value === 'bigint' ? `${value}` : value)),
      ),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid === undefined ? null : `${this.lastInsertRowid}`,
    }
  }
}

const BASE_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
}

/** An engine error as `@libsql/client` reports it: base code, extended code, raw code. */
function libsqlError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error
  const raw = (error as { rawCode?: number }).rawCode
  const code =
    raw === undefined ? 'SQLITE_UNKNOWN' : (BASE_CODES[raw & 0xff] ?? `SQLITE_UNKNOWN_${raw & 0xff}`)
  return new LibsqlError(error.message, code, (error as { code: string }).code, raw, error)
}

function toSql(value: InValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments')
    return value
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INT64 || value > MAX_INT64)
      throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument')
    return value
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value instanceof ArrayBuffer) return Buffer.from(value)
  if (value instanceof Date) return value.valueOf()
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database')
  return value
}

function argsToSql(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return []
  if (Array.isArray(args)) return args.map(toSql)
  const named: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(args)) {
    named[name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.slice(1) : name] = toSql(value)
  }
  return named
}

function fromSql(value: unknown): unknown {
  if (typeof value === 'bigint') {
    if (value < MIN_SAFE || value > MAX_SAFE)
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number')
    return Number(value)
  }
  if (value instanceof Buffer)
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)
  return value
}

/**
 * Rows of one statement, as `@libsql/client` builds them: column names as own enumerable properties
 * (the first of two equal names wins), the values by index and `length` not enumerable. Indexes
 * and `length` live on a prototype shared by the statement's rows: defining them on each row cost
 * more than running a simple query.
 */
function rowMaker(columns: string[]): (values: unknown[]) => Row {
  const names = columns.filter((name, i) => columns.indexOf(name) === i)
  // A column named like an index, `length` or a built-in property: the general (slower) way.
  if (names.some((name) => /^\d+$/.test(name) || name in Object.prototype || name === 'length')) {
    return (values) => rowOf(values, columns)
  }
  const first = names.map((name) => columns.indexOf(name))
  const values = Symbol('values')
  const prototype = {}
  Object.defineProperty(prototype, 'length', { value: columns.length })
  for (let i = 0; i < columns.length; i++) {
    Object.defineProperty(prototype, i, {
      get(this: { [values]: unknown[] }) {
        return this[values][i]
      },
    })
  }
  return (raw) => {
    const converted = raw.map(fromSql)
    const row = Object.create(prototype)
    Object.defineProperty(row, values, { value: converted })
    for (let i = 0; i < names.length; i++) row[names[i]] = converted[first[i]]
    return row as Row
  }
}

/** A row as `@libsql/client` builds it: indexes (not enumerable), `length`, and column names. */
function rowOf(values: unknown[], columns: string[]): Row {
  const row = {} as Row
  Object.defineProperty(row, 'length', { value: values.length })
  for (let i = 0; i < values.length; i++) {
    const value = fromSql(values[i])
    Object.defineProperty(row, i, { value })
    const column = columns[i]
    if (!Object.hasOwn(row, column)) {
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true })
    }
  }
  return row
}

function normalize(statement: InStatement | [string, InArgs?]): { sql: string; args?: InArgs } {
  if (typeof statement === 'string') return { sql: statement }
  if (Array.isArray(statement)) return { sql: statement[0], args: statement[1] }
  return statement
}

/** WAL pages (4 KiB) after which the main connection checkpoints itself: the worker's backstop. */
const BACKSTOP_CHECKPOINT_PAGES = 20_000

/** The checkpoint worker: its own connection, a PASSIVE checkpoint every `intervalMs`. */
const CHECKPOINTER = `
const { workerData } = require('node:worker_threads')
const Database = require(workerData.engine)
const db = new Database(workerData.path)
db.exec('PRAGMA busy_timeout = 1000')
setInterval(() => {
  try { db.exec('PRAGMA wal_checkpoint(PASSIVE)') } catch {}
}, workerData.intervalMs)
`

const READ_ONLY = /^\s*(SELECT|WITH|EXPLAIN|VALUES)\b/i
const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i

export class LocalClient {
  readonly protocol = 'file'
  closed = false
  private readonly db: InstanceType<typeof Database>
  private readonly statements = new Map<string, CachedStatement>()
  private checkpointer: Worker | undefined
  /** Write batches handed over during this turn of the event loop (group commit). */
  private pending: PendingBatch[] = []

  constructor(private readonly path: string) {
    try {
      this.db = new Database(path)
    } catch (error) {
      throw libsqlError(error)
    }
  }

  private prepared(sql: string): CachedStatement {
    const cached = this.statements.get(sql)
    if (cached) {
      // Most recently used last: the first entry is the one to drop when the cache is full.
      this.statements.delete(sql)
      this.statements.set(sql, cached)
      return cached
    }
    const statement = this.db.prepare(sql)
    statement.safeIntegers(true)
    let columns: string[] | null = null
    let columnTypes: string[] = []
    try {
      statement.raw(true)
      const described = statement.columns()
      columns = described.map((column: { name: string }) => column.name)
      columnTypes = described.map((column: { type: string | null }) => column.type ?? '')
    } catch {
      // raw() throws for a statement that returns no rows.
    }
    const entry = {
      statement,
      columns,
      columnTypes,
      row: columns ? rowMaker(columns) : (values: unknown[]) => rowOf(values, []),
      readOnly: READ_ONLY.test(sql),
    }
    this.statements.set(sql, entry)
    if (this.statements.size > STATEMENT_CACHE_SIZE) {
      this.statements.delete(this.statements.keys().next().value as string)
    }
    return entry
  }

  private run(statement: InStatement | [string, InArgs?]): ResultSet {
    const { sql, args } = normalize(statement)
    try {
      // A schema change may change what a cached `SELECT *` returns: start the cache afresh.
      if (SCHEMA_CHANGE.test(sql)) this.statements.clear()
      const { statement: prepared, columns, columnTypes, row } = this.prepared(sql)
      const bound = argsToSql(args)
      if (columns) {
        const rows = (prepared.all(bound) as unknown[][]).map(row)
        return new LocalResultSet(columns, columnTypes, rows, 0, undefined)
      }
      const info = prepared.run(bound) as { changes: number; lastInsertRowid: number | bigint }
      return new LocalResultSet([], [], [], info.changes, BigInt(info.lastInsertRowid))
    } catch (error) {
      throw libsqlError(error)
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED')
  }

  async execute(statement: InStatement | string, args?: InArgs): Promise<ResultSet> {
    this.checkOpen()
    return this.run(typeof statement === 'string' ? { sql: statement, args } : statement)
  }

  /**
   * All statements or none, as one transaction. A write batch waits for the end of this turn of the
   * event loop and is committed with the others handed over meanwhile (`commitPending`).
   */
  async batch(statements: Statements, mode?: TransactionMode): Promise<ResultSet[]> {
    this.checkOpen()
    const readOnly = mode === 'read' || statements.every((s) => READ_ONLY.test(normalize(s).sql))
    if (readOnly) return this.transaction_(statements, 'BEGIN')
    return new Promise((resolve, reject) => {
      if (this.pending.push({ statements, resolve, reject }) === 1) setImmediate(() => this.commitPending())
    })
  }

  /**
   * Group commit: the waiting write batches in one `BEGIN IMMEDIATE` … `COMMIT`, each inside a
   * savepoint. A batch that fails rolls back to its savepoint (its error is its own, exactly as
   * alone); the others go on. Nobody is answered before the COMMIT, so an acknowledged write is
   * always durable, and a failed one has written nothing. Should the transaction fail after it began
   * (a full disk, an I/O error, a deferred constraint at COMMIT: SQLite then rolls it all back),
   * every batch of the group is run again in its own transaction, so that each gets the answer it
   * would have got alone.
   */
  private commitPending(): void {
    const group = this.pending.splice(0, MAX_GROUP)
    if (this.pending.length) setImmediate(() => this.commitPending())
    if (group.length === 0) return
    if (group.length === 1 || !this.commitTogether(group)) {
      for (const { statements, resolve, reject } of group) {
        try {
          resolve(this.transaction_(statements, 'BEGIN IMMEDIATE'))
        } catch (error) {
          reject(error)
        }
      }
    }
  }

  /**
   * Runs a group as one transaction. True once every batch is settled; false when the transaction
   * failed after it began: nothing of it was written, and its batches are still to be run.
   */
  private commitTogether(group: PendingBatch[]): boolean {
    try {
      this.run('BEGIN IMMEDIATE')
    } catch (error) {
      // The write lock stayed busy past the busy timeout: each batch alone would wait and fail alike.
      for (const { reject } of group) reject(error)
      return true
    }
    const outcomes: ({ results: ResultSet[] } | { error: unknown })[] = []
    try {
      for (const { statements } of group) {
        this.run('SAVEPOINT grouped')
        try {
          const results = this.runStatements(statements)
          this.run('RELEASE grouped')
          outcomes.push({ results })
        } catch (error) {
          // An error that ended the transaction (not only the statement) fails the whole group.
          if (!this.db.inTransaction) throw error
          this.run('ROLLBACK TO grouped')
          this.run('RELEASE grouped')
          outcomes.push({ error })
        }
      }
      this.run('COMMIT')
    } catch {
      // Runs from a timer: a throw here would end the process. Should even the ROLLBACK fail, the
      // batches run alone fail with what is wrong, each answered.
      try {
        if (this.db.inTransaction) this.run('ROLLBACK')
      } catch {}
      return false
    }
    group.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]
      if ('results' in outcome) resolve(outcome.results)
      else reject(outcome.error)
    })
    return true
  }

  /** Migrations: like a batch, with foreign keys off (as `@libsql/client` runs them). */
  async migrate(statements: InStatement[]): Promise<ResultSet[]> {
    this.checkOpen()
    this.run('PRAGMA foreign_keys=off')
    try {
      return this.transaction_(statements, 'BEGIN')
    } finally {
      this.run('PRAGMA foreign_keys=on')
    }
  }

  private transaction_(statements: Statements, begin: string): ResultSet[] {
    this.run(begin)
    try {
      const results = this.runStatements(statements)
      this.run('COMMIT')
      return results
    } catch (error) {
      if (this.db.inTransaction) this.run('ROLLBACK')
      throw error
    }
  }

  /** The statements of a batch; a failure says which statement failed, as `@libsql/client` does. */
  private runStatements(statements: Statements): ResultSet[] {
    return statements.map((statement, index) => {
      try {
        return this.run(statement)
      } catch (error) {
        if (error instanceof LibsqlError) {
          throw new LibsqlBatchError(
            error.message,
            index,
            error.code,
            error.extendedCode,
            error.rawCode,
            error,
          )
        }
        throw error
      }
    })
  }

  async executeMultiple(sql: string): Promise<void> {
    this.checkOpen()
    try {
      this.db.exec(sql)
    } catch (error) {
      throw libsqlError(error)
    }
  }

  async transaction(): Promise<never> {
    throw new LibsqlError('interactive transactions are not used by this app', 'NOT_SUPPORTED')
  }

  async sync(): Promise<undefined> {
    return undefined
  }

  reconnect(): void {}

  /**
   * WAL checkpoints on a worker thread with its own connection, off the event loop. A checkpoint
   * copies the WAL back into the database file and fsyncs it: run by the connection that commits, it
   * stalls every request in flight for milliseconds (tens on a slow disk) every few hundred commits.
   * PASSIVE checkpoints never block readers or writers. The main connection still checkpoints by
   * itself if the WAL grows past a much larger size, should the worker stop.
   */
  checkpointInBackground(intervalMs = 100): void {
    if (this.checkpointer || this.path === ':memory:' || this.path === '') return
    this.run(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`)
    this.checkpointer = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { engine: require.resolve('libsql'), path: this.path, intervalMs },
    })
    this.checkpointer.unref()
    // A failed worker only means the backstop checkpoints inline again: the data is safe either way.
    this.checkpointer.on('error', () => {
      this.checkpointer = undefined
      this.run('PRAGMA wal_autocheckpoint = 1000')
    })
  }

  close(): void {
    if (this.closed) return
    // Batches already handed over are committed (or failed) before the file closes, never dropped.
    while (this.pending.length) this.commitPending()
    this.closed = true
    void this.checkpointer?.terminate()
    this.statements.clear()
    this.db.close()
  }

  /** As `@libsql/client`'s Client, for Drizzle and the tests' counting wrapper. */
  asClient(): Client {
    return this as unknown as Client
  }
}

/**
 * Recorded batches replayed straight on the `libsql` engine, as fast as SQLite goes from JavaScript:
 * each statement prepared once, the server's settings (WAL, synchronous=NORMAL, its page cache), one
 * transaction per batch. No HTTP, no Drizzle, no client.
 */
import type { InStatement } from '@libsql/client'
import Database from 'libsql'
import { PAGE_CACHE_KIB } from '../src/db/node'

/** How a batch's transaction opens: a write takes the write lock up front, a read a snapshot (as the local client). */
export type Opening = 'BEGIN IMMEDIATE' | 'BEGIN'

export function openEngine(path: string) {
  const engine = new Database(path)
  engine.exec('PRAGMA busy_timeout = 5000')
  engine.exec('PRAGMA journal_mode = WAL')
  engine.exec('PRAGMA synchronous = NORMAL')
  engine.exec(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`)
  const prepared = new Map<string, ReturnType<typeof engine.prepare>>()
  const statement = (sql: string) => {
    let found = prepared.get(sql)
    if (!found) {
      found = engine.prepare(sql)
      found.safeIntegers(true)
      prepared.set(sql, found)
    }
    return found
  }
  const commit = statement('COMMIT')
  return {
    /** Runs one batch in its own transaction. */
    replay(batch: InStatement[], opening: Opening) {
      statement(opening).run([])
      for (const item of batch) {
        const { sql, args } = typeof item === 'string' ? { sql: item, args: [] } : item
        const found = statement(sql)
        if (found.reader) found.all(args as unknown[])
        else found.run(args as unknown[])
      }
      commit.run([])
    },
    /** Empties the WAL into the database file. */
    checkpoint() {
      engine.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    },
    close() {
      engine.close()
    },
  }
}

/** A recorded batch for another service: its id, also where it travels as a JSON list of owners. */
export function withServiceId(template: InStatement[], templateId: number, id: number): InStatement[] {
  const asList = JSON.stringify([templateId])
  return template.map((statement) => {
    if (typeof statement === 'string') return statement
    const values = statement.args as unknown[]
    return {
      sql: statement.sql,
      args: values.map((value) =>
        value === templateId ? id : value === asList ? JSON.stringify([id]) : value,
      ),
    } as InStatement
  })
}

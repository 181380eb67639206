import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@libsql/client'
import { afterAll, describe, expect, it } from 'vitest'
import { LocalClient } from '../../src/db/local-client'
import { openDatabase, PAGE_CACHE_KIB } from '../../src/db/node'

/**
 * The local client answers as `@libsql/client` does, statement for statement (the whole API suite
 * also runs on both: the `node` and `node-libsql-client` projects). docs/design.md#local-client.
 */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-local-client-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const SETUP = [
  "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL CHECK (v <> 'bad'), n INTEGER, b BLOB)",
  'CREATE UNIQUE INDEX t_v ON t (v)',
]

type Outcome =
  | { ok: unknown }
  | { error: { name: string; code?: string; extendedCode?: string; message: string; index?: number } }

async function outcome(action: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: JSON.parse(JSON.stringify(await action())) }
  } catch (error) {
    const e = error as {
      name: string
      code?: string
      extendedCode?: string
      message: string
      statementIndex?: number
    }
    return {
      error: {
        name: e.name,
        code: e.code,
        extendedCode: e.extendedCode,
        message: e.message,
        index: e.statementIndex,
      },
    }
  }
}

describe('LocalClient and @libsql/client', () => {
  it('give the same results and the same errors', async () => {
    const local = new LocalClient(join(folder, 'local.db'))
    const official = createClient({ url: `file:${join(folder, 'official.db')}` })
    const scripts: ((c: typeof official) => Promise<unknown>)[] = [
      (c) => c.batch(SETUP),
      (c) => c.execute({ sql: 'INSERT INTO t (v, n) VALUES (?, ?)', args: ['a', 1] }),
      (c) =>
        c.execute({
          sql: 'INSERT INTO t (v, n, b) VALUES (:v, @n, $b) RETURNING id, v',
          args: { v: 'b', n: 2n, b: new Uint8Array([1, 2]) },
        }),
      (c) => c.execute('SELECT id, v, n, length(b) AS len FROM t ORDER BY id'),
      (c) => c.execute({ sql: 'SELECT ? AS big', args: [9007199254740993n] }),
      (c) => c.execute({ sql: 'SELECT ? AS flag, ? AS real', args: [true, 2.5] }),
      (c) => c.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['bad'] }),
      (c) => c.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['a'] }),
      (c) => c.execute('SELECT nope FROM t'),
      (c) =>
        c.batch([
          { sql: 'INSERT INTO t (v) VALUES (?)', args: ['c'] },
          { sql: 'INSERT INTO t (v) VALUES (?)', args: ['bad'] },
        ]),
      (c) => c.execute("SELECT count(*) AS n FROM t WHERE v = 'c'"),
      (c) => c.batch(['SELECT 1 AS one', 'SELECT v FROM t WHERE id = 1'], 'read'),
      (c) => c.execute({ sql: 'UPDATE t SET n = n + 1 WHERE id > ?', args: [0] }),
      (c) => c.execute({ sql: 'SELECT ?', args: [Number.NaN] }),
    ]
    for (const [index, script] of scripts.entries()) {
      const mine = await outcome(() => script(local.asClient() as typeof official))
      const theirs = await outcome(() => script(official))
      expect(mine, `statement ${index}`).toEqual(theirs)
    }
    local.close()
    official.close()
  })

  it('build rows alike: names, indexes, length, duplicate and awkward column names', async () => {
    const local = new LocalClient(join(folder, 'rows.db'))
    const official = createClient({ url: `file:${join(folder, 'rows-official.db')}` })
    const shape = (row: Record<string, unknown> & ArrayLike<unknown>) => ({
      length: row.length,
      byIndex: Array.prototype.slice.call(row),
      keys: Object.keys(row),
      spread: { ...row },
      json: JSON.stringify(row),
    })
    for (const sql of [
      'SELECT 1 AS a, 2 AS a, 3 AS b',
      "SELECT 'x' AS id, NULL AS n, 2.5 AS r",
      'SELECT 1 AS "0", 2 AS length, 3 AS toString',
    ]) {
      const mine = (await local.execute(sql)).rows.map((row) => shape(row as never))
      const theirs = (await official.execute(sql)).rows.map((row) => shape(row as never))
      expect(mine, sql).toEqual(theirs)
    }
    local.close()
    official.close()
  })

  it('checkpoints the WAL on a worker thread when asked (the servers ask)', async () => {
    const fileSize = (name: string) => statSync(join(folder, name)).size
    const write = async (name: string, background: boolean) => {
      const { client } = await openDatabase(`file:${join(folder, name)}`, {
        backgroundCheckpoints: background,
      })
      await client.execute('CREATE TABLE big (v TEXT)')
      // 2 MiB: under the inline auto-checkpoint (1,000 pages, 4 MiB), so only the worker copies it.
      for (let i = 0; i < 64; i++) {
        await client.batch(
          Array.from({ length: 32 }, () => ({ sql: 'INSERT INTO big VALUES (?)', args: ['x'.repeat(1000)] })),
        )
      }
      const deadline = Date.now() + 5000
      while (background && fileSize(name) < 2_000_000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const size = fileSize(name)
      client.close()
      return size
    }
    expect(await write('inline.db', false)).toBeLessThan(100_000)
    expect(await write('background.db', true)).toBeGreaterThan(2_000_000)
  })

  it('is what the Node entry opens a file with, unless told to use @libsql/client', async () => {
    const url = `file:${join(folder, 'entry.db')}`
    const local = await openDatabase(url)
    expect(local.client).toBeInstanceOf(LocalClient)
    const official = await openDatabase(url, { fileDriver: 'libsql-client' })
    expect(official.client).not.toBeInstanceOf(LocalClient)
    // Both drivers get the same settings: WAL, synchronous=NORMAL (1), the larger page cache.
    for (const { client } of [local, official]) {
      const setting = async (pragma: string) => (await client.execute(`PRAGMA ${pragma}`)).rows[0][0]
      expect(await setting('journal_mode')).toBe('wal')
      expect(await setting('synchronous')).toBe(1)
      expect(await setting('cache_size')).toBe(-PAGE_CACHE_KIB)
      client.close()
    }
  })
})

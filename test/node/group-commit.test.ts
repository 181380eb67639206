import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InStatement } from '@libsql/client'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { LocalClient } from '../../src/db/local-client'

/**
 * Group commit (docs/design.md#group-commit): the write batches handed over in one turn of the
 * event loop share one transaction, yet each succeeds or fails exactly as it would alone.
 */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-group-commit-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))
afterEach(() => vi.restoreAllMocks())

let files = 0
async function freshClient(): Promise<LocalClient> {
  const client = new LocalClient(join(folder, `group-${++files}.db`))
  await client.batch([
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad'))",
    'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
    // Checked at COMMIT: the one way a batch can make the COMMIT of its whole group fail.
    'CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)',
  ])
  await client.execute('PRAGMA foreign_keys = ON')
  return client
}

/** How many write transactions the client begins from now on. */
function countTransactions(client: LocalClient): () => number {
  const run = vi.spyOn(client as unknown as { run: (statement: unknown) => unknown }, 'run')
  return () => run.mock.calls.filter(([statement]) => statement === 'BEGIN IMMEDIATE').length
}

const insert = (v: string): InStatement => ({ sql: 'INSERT INTO t (v) VALUES (?)', args: [v] })

async function values(client: LocalClient): Promise<string[]> {
  const { rows } = await client.execute('SELECT v FROM t ORDER BY v')
  return rows.map((row) => String(row.v))
}

async function settle(promise: Promise<unknown>) {
  try {
    return { ok: await promise }
  } catch (error) {
    const e = error as { name: string; code: string; message: string; statementIndex: number }
    return { error: { name: e.name, code: e.code, message: e.message, index: e.statementIndex } }
  }
}

describe('group commit on the local client', () => {
  it('commits the batches handed over in one turn in one transaction', async () => {
    const client = await freshClient()
    const transactions = countTransactions(client)
    const results = await Promise.all([
      client.batch([insert('a'), insert('b')]),
      client.batch([insert('c')]),
      client.batch([insert('d'), { sql: 'SELECT count(*) AS n FROM t', args: [] }]),
    ])
    expect(transactions()).toBe(1)
    expect(results.map((batch) => batch.map((result) => result.rowsAffected))).toEqual([[1, 1], [1], [1, 0]])
    // Each batch sees the ones before it in the group, as if they had run one after the other.
    expect(results[2][1].rows[0].n).toBe(4)
    expect(await values(client)).toEqual(['a', 'b', 'c', 'd'])
    client.close()
  })

  it('a failing batch writes nothing and fails as it does alone; the others commit', async () => {
    const client = await freshClient()
    const transactions = countTransactions(client)
    const [first, failing, last] = await Promise.all([
      settle(client.batch([insert('a')])),
      settle(client.batch([insert('b'), insert('bad'), insert('c')])),
      settle(client.batch([insert('d')])),
    ])
    expect(transactions()).toBe(1)
    expect(first).toHaveProperty('ok')
    expect(last).toHaveProperty('ok')
    expect(await values(client)).toEqual(['a', 'd'])

    const alone = await freshClient()
    const expected = await settle(alone.batch([insert('b'), insert('bad'), insert('c')]))
    expect(expected).toMatchObject({
      error: { name: 'LibsqlBatchError', code: 'SQLITE_CONSTRAINT', index: 1 },
    })
    expect(failing).toEqual(expected)
    client.close()
    alone.close()
  })

  it('a group whose COMMIT fails is run again batch by batch: only the faulty batch fails', async () => {
    const client = await freshClient()
    const transactions = countTransactions(client)
    const [orphan, good] = await Promise.all([
      settle(client.batch([insert('x'), { sql: 'INSERT INTO child (parent) VALUES (?)', args: [42] }])),
      settle(client.batch([insert('y')])),
    ])
    // One group transaction, then one transaction for each batch.
    expect(transactions()).toBe(3)
    expect(orphan).toMatchObject({
      error: { code: 'SQLITE_CONSTRAINT', message: expect.stringMatching(/FOREIGN KEY/) },
    })
    expect(good).toHaveProperty('ok')
    expect(await values(client)).toEqual(['y'])
    expect((await client.execute('SELECT count(*) AS n FROM child')).rows[0].n).toBe(0)
    client.close()
  })

  it('when another connection holds the write lock past the busy timeout, the group fails at once', async () => {
    const client = await freshClient()
    await client.execute('PRAGMA busy_timeout = 20')
    const other = new LocalClient(join(folder, `group-${files}.db`))
    await other.execute('BEGIN IMMEDIATE')
    const transactions = countTransactions(client)
    const outcomes = await Promise.all([
      settle(client.batch([insert('a')])),
      settle(client.batch([insert('b')])),
    ])
    // One wait for the lock, not one per batch; the error is the one a batch alone gets.
    expect(transactions()).toBe(1)
    expect(outcomes).toEqual([0, 1].map(() => ({ error: expect.objectContaining({ code: 'SQLITE_BUSY' }) })))
    await other.execute('ROLLBACK')
    other.close()
    await client.batch([insert('c')])
    expect(await values(client)).toEqual(['c'])
    client.close()
  })

  it('commits at most 64 batches together; the rest in the next turn', async () => {
    const client = await freshClient()
    const transactions = countTransactions(client)
    const keys = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`)
    await Promise.all(keys.map((key) => client.batch([insert(key)])))
    expect(transactions()).toBe(2)
    expect(await values(client)).toEqual(keys)
    client.close()
  })

  it('closing commits the batches already handed over before the file closes', async () => {
    const path = join(folder, 'closing.db')
    const client = new LocalClient(path)
    await client.batch(['CREATE TABLE t (v TEXT)'])
    const pending = client.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', args: ['kept'] }])
    client.close()
    expect((await pending)[0].rowsAffected).toBe(1)
    const reopened = new LocalClient(path)
    expect((await reopened.execute('SELECT v FROM t')).rows.map((row) => row.v)).toEqual(['kept'])
    reopened.close()
  })

  it('runs a read batch at once, without waiting for the group', async () => {
    const client = await freshClient()
    await client.batch([insert('a')])
    const transactions = countTransactions(client)
    const write = client.batch([insert('b')])
    // Not yet committed: the read sees the committed state only, and does not begin a write.
    const [read] = await client.batch([{ sql: 'SELECT count(*) AS n FROM t', args: [] }])
    expect(read.rows[0].n).toBe(1)
    await write
    expect(transactions()).toBe(1)
    expect(await values(client)).toEqual(['a', 'b'])
    client.close()
  })
})

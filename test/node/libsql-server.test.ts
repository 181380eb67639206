import { createClient } from '@libsql/client'
import Database from 'libsql'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type LibsqlServer, startLibsqlServer } from '../../scripts/libsql-server/server'

let server: LibsqlServer

beforeAll(async () => {
  server = await startLibsqlServer({ database: ':memory:', streamIdleMs: 300, lockWaitMs: 2000 })
  const client = createClient({ url: server.url })
  await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'bad'))")
  client.close()
})
afterAll(() => server.close())

/** One raw Hrana pipeline POST; answers the HTTP status and parsed body. */
async function pipeline(body: unknown, path = '/v2/pipeline') {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as any }
}

const text = (value: string) => ({ type: 'text', value })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('requests of @libsql/client', () => {
  it('executes statements and round-trips every value type', async () => {
    const client = createClient({ url: server.url })
    const result = await client.execute({
      sql: 'SELECT ? AS i, ? AS f, ? AS s, ? AS b, ? AS n',
      args: [42, 2.5, 'text', new Uint8Array([1, 2]), null],
    })
    expect(result.rows[0].i).toBe(42)
    expect(result.rows[0].f).toBe(2.5)
    expect(result.rows[0].s).toBe('text')
    expect(new Uint8Array(result.rows[0].b as ArrayBuffer)).toEqual(new Uint8Array([1, 2]))
    expect(result.rows[0].n).toBeNull()
    const big = createClient({ url: server.url, intMode: 'bigint' })
    expect((await big.execute({ sql: 'SELECT ? AS i', args: [9007199254740993n] })).rows[0].i).toBe(
      9007199254740993n,
    )
    const named = await client.execute({ sql: 'SELECT :a + @b AS s', args: { a: 1, b: 2 } })
    expect(named.rows[0].s).toBe(3)
    client.close()
    big.close()
  })

  it('runs a batch atomically: a failing statement leaves nothing, seen through a second client', async () => {
    const writer = createClient({ url: server.url })
    const reader = createClient({ url: server.url })
    await expect(
      writer.batch([
        { sql: 'INSERT INTO t (v) VALUES (?)', args: ['first'] },
        { sql: 'INSERT INTO t (v) VALUES (?)', args: ['bad'] },
      ]),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT' })
    expect((await reader.execute("SELECT count(*) AS n FROM t WHERE v = 'first'")).rows[0].n).toBe(0)
    const results = await writer.batch([
      { sql: 'INSERT INTO t (v) VALUES (?) RETURNING id', args: ['kept'] },
      "SELECT v FROM t WHERE v = 'kept'",
    ])
    expect(results[0].rows).toHaveLength(1)
    expect(results[0].rowsAffected).toBe(1)
    expect(results[1].rows[0].v).toBe('kept')
    writer.close()
    reader.close()
  })

  it('supports executeMultiple (sequence) and interactive transactions', async () => {
    const client = createClient({ url: server.url })
    await client.executeMultiple("INSERT INTO t (v) VALUES ('seq1'); INSERT INTO t (v) VALUES ('seq2');")
    const tx = await client.transaction('write')
    await tx.execute("INSERT INTO t (v) VALUES ('tx')")
    expect((await tx.execute("SELECT count(*) AS n FROM t WHERE v = 'tx'")).rows[0].n).toBe(1)
    await tx.rollback()
    expect(
      (await client.execute("SELECT count(*) AS n FROM t WHERE v IN ('seq1','seq2','tx')")).rows[0].n,
    ).toBe(2)
    client.close()
  })
})

describe('the protocol', () => {
  it('evaluates batch conditions: ok, error, not, and, or, is_autocommit', async () => {
    const step = (sql: string, condition?: unknown) => ({
      stmt: { sql },
      ...(condition ? { condition } : {}),
    })
    const { status, body } = await pipeline({
      baton: null,
      requests: [
        {
          type: 'batch',
          batch: {
            steps: [
              step('SELECT 1'),
              step('SELECT nonsense FROM nowhere'),
              step('SELECT 3', { type: 'ok', step: 1 }),
              step('SELECT 4', { type: 'error', step: 1 }),
              step('SELECT 5', { type: 'not', cond: { type: 'ok', step: 2 } }),
              step('SELECT 6', {
                type: 'and',
                conds: [
                  { type: 'ok', step: 0 },
                  { type: 'error', step: 1 },
                ],
              }),
              step('SELECT 7', { type: 'or', conds: [{ type: 'ok', step: 2 }, { type: 'is_autocommit' }] }),
            ],
          },
        },
        { type: 'close' },
      ],
    })
    expect(status).toBe(200)
    const { step_results, step_errors } = body.results[0].response.result
    expect(step_results.map((r: any) => r?.rows[0][0].value ?? null)).toEqual([
      '1',
      null,
      null,
      '4',
      '5',
      '6',
      '7',
    ])
    expect(step_errors[1]).toMatchObject({ code: 'SQLITE_ERROR' })
    expect(body.baton).toBeNull()
  })

  it('stores and closes SQL texts, describes statements and reports autocommit', async () => {
    const first = await pipeline({
      baton: null,
      requests: [
        { type: 'store_sql', sql_id: 1, sql: 'SELECT ? AS x' },
        { type: 'execute', stmt: { sql_id: 1, args: [text('stored')] } },
        { type: 'describe', sql: 'SELECT id, v FROM t WHERE v = :v' },
        { type: 'get_autocommit' },
        { type: 'execute', stmt: { sql: 'BEGIN' } },
        { type: 'get_autocommit' },
        { type: 'execute', stmt: { sql: 'ROLLBACK' } },
      ],
    })
    const [, executed, described, autocommit, , inTx] = first.body.results.map((r: any) => r.response)
    expect(executed.result.rows).toEqual([[text('stored')]])
    expect(described.result).toMatchObject({
      params: [{ name: ':v' }],
      cols: [{ name: 'id' }, { name: 'v' }],
      is_readonly: true,
    })
    expect(autocommit.is_autocommit).toBe(true)
    expect(inTx.is_autocommit).toBe(false)
    const second = await pipeline({
      baton: first.body.baton,
      requests: [
        { type: 'close_sql', sql_id: 1 },
        { type: 'execute', stmt: { sql_id: 1 } },
        { type: 'close' },
      ],
    })
    expect(second.body.results[1]).toMatchObject({ type: 'error', error: { code: 'SQL_NOT_FOUND' } })
  })

  it('answers malformed requests clearly and stays up', async () => {
    expect((await pipeline('{not json')).status).toBe(400)
    expect((await pipeline({ baton: null })).status).toBe(400)
    expect((await pipeline({ baton: 'forged', requests: [] })).status).toBe(400)
    const bad = await pipeline({
      baton: null,
      requests: [
        { type: 'explode' },
        { type: 'execute', stmt: { sql: 'SELECT ?', args: [{ type: 'integer', value: 'x' }] } },
        { type: 'execute', stmt: {} },
        {
          type: 'batch',
          batch: { steps: [{ stmt: { sql: 'SELECT 1' }, condition: { type: 'ok', step: 5 } }] },
        },
        'nonsense',
        { type: 'close' },
      ],
    })
    expect(bad.status).toBe(200)
    expect(bad.body.results.map((r: any) => r.type)).toEqual([
      'error',
      'error',
      'error',
      'error',
      'error',
      'ok',
    ])
    expect(bad.body.results[0].error.code).toBe('PROTOCOL_ERROR')
    expect((await fetch(`${server.url}/v2/pipeline`, { method: 'GET' })).status).toBe(405)
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404)
    const client = createClient({ url: server.url })
    expect((await client.execute('SELECT 42 AS answer')).rows[0].answer).toBe(42)
    client.close()
  })
})

describe('isolation between streams', () => {
  it('makes another stream wait for an open transaction instead of running inside it', async () => {
    const a = await pipeline({
      baton: null,
      requests: [
        { type: 'execute', stmt: { sql: 'BEGIN' } },
        { type: 'execute', stmt: { sql: "INSERT INTO t (v) VALUES ('a-uncommitted')" } },
      ],
    })
    const client = createClient({ url: server.url })
    let bDone = false
    const b = client.execute("SELECT count(*) AS n FROM t WHERE v = 'a-uncommitted'").then((r) => {
      bDone = true
      return r.rows[0].n
    })
    await sleep(100)
    expect(bDone).toBe(false)
    await pipeline({
      baton: a.body.baton,
      requests: [{ type: 'execute', stmt: { sql: 'COMMIT' } }, { type: 'close' }],
    })
    expect(await b).toBe(1)
    client.close()
  })

  it("keeps stream B's committed write when stream A expires and its transaction is rolled back", async () => {
    // A abandons an open transaction: it never commits and never closes.
    await pipeline({
      baton: null,
      requests: [
        { type: 'execute', stmt: { sql: 'BEGIN' } },
        { type: 'execute', stmt: { sql: "INSERT INTO t (v) VALUES ('abandoned')" } },
      ],
    })
    const client = createClient({ url: server.url })
    // B waits for A's transaction, then commits once A expired (streamIdleMs = 300).
    await client.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', args: ['b-committed'] }], 'write')
    const rows = (await client.execute("SELECT v FROM t WHERE v IN ('abandoned', 'b-committed')")).rows
    expect(rows.map((r) => r.v)).toEqual(['b-committed'])
    await sleep(400)
    expect((await client.execute("SELECT count(*) AS n FROM t WHERE v = 'b-committed'")).rows[0].n).toBe(1)
    client.close()
  })

  it('rolls back a transaction a client abandons', async () => {
    const client = createClient({ url: server.url })
    const tx = await client.transaction('write')
    await tx.execute("INSERT INTO t (v) VALUES ('never-committed')")
    // The client walks away; after the stream expires another client sees nothing and can write.
    const other = createClient({ url: server.url })
    await other.execute("INSERT INTO t (v) VALUES ('after-abandon')")
    expect((await other.execute("SELECT count(*) AS n FROM t WHERE v = 'never-committed'")).rows[0].n).toBe(0)
    await expect(tx.commit()).rejects.toThrow()
    client.close()
    other.close()
  })

  it('fails with SQLITE_BUSY when the wait is longer than allowed', async () => {
    const strict = await startLibsqlServer({ database: ':memory:', streamIdleMs: 5000, lockWaitMs: 100 })
    try {
      const opened = await fetch(`${strict.url}/v2/pipeline`, {
        method: 'POST',
        body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'BEGIN' } }] }),
      })
      expect(opened.status).toBe(200)
      const client = createClient({ url: strict.url })
      await expect(client.execute('SELECT 1')).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
      client.close()
    } finally {
      await strict.close()
    }
  })
})

describe('authentication and databases', () => {
  it('requires the bearer token when one is set', async () => {
    const guarded = await startLibsqlServer({ database: ':memory:', authToken: 's3cret' })
    try {
      await expect(createClient({ url: guarded.url }).execute('SELECT 1')).rejects.toThrow()
      await expect(
        createClient({ url: guarded.url, authToken: 'wrong' }).execute('SELECT 1'),
      ).rejects.toThrow()
      const ok = createClient({ url: guarded.url, authToken: 's3cret' })
      expect((await ok.execute('SELECT 1 AS one')).rows[0].one).toBe(1)
      ok.close()
    } finally {
      await guarded.close()
    }
  })

  it('creates separate databases on request and counts their pipelines', async () => {
    const prepared: string[] = []
    const multi = await startLibsqlServer({
      database: ':memory:',
      prepareDatabase: async (url) => {
        prepared.push(url)
        const client = createClient({ url })
        await client.execute('CREATE TABLE only_here (x)')
        client.close()
      },
    })
    try {
      const { name, url } = (await (
        await fetch(`${multi.url}/dev/databases`, { method: 'POST' })
      ).json()) as {
        name: string
        url: string
      }
      expect(prepared).toEqual([url])
      const client = createClient({ url })
      const before = multi.pipelines(name)
      await client.execute('INSERT INTO only_here VALUES (1)')
      expect(multi.pipelines(name) - before).toBe(1)
      const main = createClient({ url: multi.url })
      await expect(main.execute('SELECT * FROM only_here')).rejects.toThrow(/no such table/)
      client.close()
      main.close()
    } finally {
      await multi.close()
    }
  })
})

/** What the official client's own suite (Hrana 2 over HTTP) found; each case failed on the old server. */
describe('defects found by the libSQL client suite', () => {
  it('binds a lone blob or a lone null argument (once a crash of the whole server)', async () => {
    const client = createClient({ url: server.url })
    const blob = await client.execute({ sql: 'SELECT ? AS b', args: [new Uint8Array([0, 255, 7])] })
    expect(new Uint8Array(blob.rows[0].b as ArrayBuffer)).toEqual(new Uint8Array([0, 255, 7]))
    expect((await client.execute({ sql: 'SELECT ? AS n', args: [null] })).rows[0].n).toBeNull()
    expect(
      (await client.execute({ sql: 'SELECT ?2 AS two, ?1 AS one', args: ['a', 'b'] })).rows[0],
    ).toMatchObject({
      two: 'b',
      one: 'a',
    })
    expect(
      (await client.execute({ sql: 'SELECT :x AS x', args: { x: new Uint8Array([1]) } })).rows[0].x,
    ).toBeInstanceOf(ArrayBuffer)
    client.close()
  })

  it('keeps integers beyond 2^53 exact both ways, and rowids too', async () => {
    const client = createClient({ url: server.url, intMode: 'bigint' })
    const max = 9223372036854775807n
    expect(
      (await client.execute({ sql: 'SELECT ? AS i, -9223372036854775808 AS j', args: [max] })).rows[0],
    ).toMatchObject({
      i: max,
      j: -9223372036854775808n,
    })
    await client.execute('CREATE TABLE big_rowids (id INTEGER PRIMARY KEY, v TEXT)')
    const inserted = await client.execute({
      sql: 'INSERT INTO big_rowids VALUES (?, ?)',
      args: [4611686018427387905n, 'x'],
    })
    expect(inserted.lastInsertRowid).toBe(4611686018427387905n)
    client.close()
  })

  it('reports a rowid only for a statement that inserted a row, never another stream’s', async () => {
    const one = createClient({ url: server.url })
    const two = createClient({ url: server.url })
    await one.execute('CREATE TABLE rowids (id INTEGER PRIMARY KEY, v TEXT UNIQUE)')
    expect((await one.execute("INSERT INTO rowids (v) VALUES ('a')")).lastInsertRowid).toBe(1n)
    expect((await two.execute('SELECT * FROM rowids')).lastInsertRowid).toBeUndefined()
    expect(
      (await two.execute("INSERT OR IGNORE INTO rowids (v) VALUES ('a')")).lastInsertRowid,
    ).toBeUndefined()
    expect((await two.execute("UPDATE rowids SET v = 'b'")).lastInsertRowid).toBeUndefined()
    one.close()
    two.close()
  })

  it('counts the rows a RETURNING statement changed, not its triggers’', async () => {
    const client = createClient({ url: server.url })
    await client.executeMultiple(`
      CREATE TABLE audited (id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE audit (v TEXT);
      CREATE TRIGGER audited_insert AFTER INSERT ON audited BEGIN
        INSERT INTO audit VALUES (NEW.v); INSERT INTO audit VALUES (NEW.v);
      END;`)
    const result = await client.execute("INSERT INTO audited (v) VALUES ('x') RETURNING id")
    expect(result.rowsAffected).toBe(1)
    expect((await client.execute('SELECT 1')).rowsAffected).toBe(0)
    client.close()
  })

  it('answers SQLite’s primary error code, as the libSQL server does', async () => {
    const client = createClient({ url: server.url })
    await client.execute('CREATE TABLE pk (id INTEGER PRIMARY KEY)')
    await client.execute('INSERT INTO pk VALUES (1)')
    await expect(client.execute('INSERT INTO pk VALUES (1)')).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT',
    })
    client.close()
  })

  it('rolls back a transaction its stream opened and closed in one request; others lose nothing', async () => {
    const opener = createClient({ url: server.url })
    const other = createClient({ url: server.url })
    await other.execute('CREATE TABLE kept (v TEXT)')
    await other.execute("INSERT INTO kept VALUES ('acknowledged')")
    // execute() is [execute, close] in one pipeline: the BEGIN must not outlive its stream.
    await opener.execute('BEGIN')
    // A failing sequence that opened a transaction, likewise.
    await expect(
      opener.executeMultiple("BEGIN; INSERT INTO kept VALUES ('uncommitted'); SELECT nonsense"),
    ).rejects.toThrow()
    await other.batch([{ sql: 'INSERT INTO kept VALUES (?)', args: ['after'] }], 'write')
    expect((await other.execute('SELECT v FROM kept ORDER BY rowid')).rows.map((row) => row.v)).toEqual([
      'acknowledged',
      'after',
    ])
    opener.close()
    other.close()
  })

  it('serialises competing interactive transactions: no lost update, no torn commit', async () => {
    const setup = createClient({ url: server.url })
    await setup.execute('CREATE TABLE counter (n INTEGER NOT NULL)')
    await setup.execute('INSERT INTO counter VALUES (0)')
    const clients = Array.from({ length: 15 }, () => createClient({ url: server.url }))
    const commits = await Promise.all(
      clients.map(async (client) => {
        const tx = await client.transaction('write')
        try {
          const n = Number((await tx.execute('SELECT n FROM counter')).rows[0].n)
          await tx.execute({ sql: 'UPDATE counter SET n = ?', args: [n + 1] })
          await tx.commit()
          return 1
        } catch {
          tx.close()
          return 0
        }
      }),
    )
    const committed = commits.reduce((a: number, b) => a + b, 0)
    expect(committed).toBeGreaterThan(0)
    expect(Number((await setup.execute('SELECT n FROM counter')).rows[0].n)).toBe(committed)
    // A commit that fails (a deferred foreign key) leaves none of its writes.
    await setup.executeMultiple(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);',
    )
    const tx = await setup.transaction('write')
    await tx.execute('INSERT INTO child VALUES (42)')
    await expect(tx.commit()).rejects.toThrow()
    tx.close()
    expect((await setup.execute('SELECT count(*) AS n FROM child')).rows[0].n).toBe(0)
    for (const client of clients) client.close()
    setup.close()
  })

  it('answers an expired stream with STREAM_EXPIRED', async () => {
    const opened = await pipeline({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] })
    await sleep(400)
    const late = await pipeline({
      baton: opened.body.baton,
      requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }],
    })
    expect(late.status).toBe(400)
    expect(late.body.code).toBe('STREAM_EXPIRED')
  })

  it('closes the connection after refusing a body over 16 MiB', async () => {
    const response = await fetch(`${server.url}/v2/pipeline`, {
      method: 'POST',
      body: 'x'.repeat(17 * 1024 * 1024),
    })
    expect(response.status).toBe(413)
    expect(response.headers.get('connection')).toBe('close')
    const client = createClient({ url: server.url })
    expect((await client.execute('SELECT 1 AS one')).rows[0].one).toBe(1)
    client.close()
  })
})

describe('prepared statements', () => {
  it('prepares a statement once per text, and afresh after a schema change', async () => {
    const prepare = vi.spyOn(Database.prototype, 'prepare')
    const client = createClient({ url: server.url })
    await client.execute('CREATE TABLE shapes (a INTEGER)')
    await client.execute('INSERT INTO shapes (a) VALUES (1)')
    const select = 'SELECT * FROM shapes'
    for (let i = 0; i < 3; i++) await client.execute(select)
    expect(prepare.mock.calls.filter(([sql]) => sql === select)).toHaveLength(1)
    // The cached statement knew one column: after the change, the answer has both.
    await client.execute("ALTER TABLE shapes ADD COLUMN b TEXT DEFAULT 'x'")
    const after = await client.execute(select)
    expect(after.columns).toEqual(['a', 'b'])
    expect(after.rows.map((row) => ({ ...row }))).toEqual([{ a: 1, b: 'x' }])
    expect(prepare.mock.calls.filter(([sql]) => sql === select)).toHaveLength(2)
    prepare.mockRestore()
    client.close()
  })
})

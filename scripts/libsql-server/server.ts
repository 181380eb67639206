/**
 * A development libSQL server — a tool for development and tests, not for production: libSQL's HTTP
 * protocol (Hrana v2 JSON, `POST /v2/pipeline`) over the real libSQL engine (the `libsql` package), so
 * that `wrangler dev` and the workerd tests have a real database with nothing installed by hand.
 * Where the Turso CLI exists, `turso dev` serves the same protocol. One process, one connection per
 * database. It passes the official TypeScript client's own test suite (Hrana 2 over HTTP).
 *
 * Isolation: one stream at a time holds a database — while its pipeline runs, and between pipelines
 * while it keeps a transaction open. Other streams wait in line (at most `lockWaitMs`, then
 * SQLITE_BUSY) and are handed the database one by one. So a batch never interleaves with anything and
 * nobody sees uncommitted rows. Where the libSQL server would give a concurrent reader a snapshot,
 * this one makes it wait for the writer: slower, never wrong. A transaction is rolled back when its
 * stream closes or expires without committing.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { dirname, resolve } from 'node:path'
import Database from 'libsql'
import { executeRequest, type StreamState, toError } from './hrana'

export interface LibsqlServerOptions {
  /** The default database: a file path, or `:memory:`. */
  database: string
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  authToken?: string
  /** A stream unused for this long is closed and its open transaction rolled back. */
  streamIdleMs?: number
  /** How long a pipeline waits for another stream's transaction before failing with SQLITE_BUSY. */
  lockWaitMs?: number
  /**
   * Enables `POST /dev/databases`, which creates a fresh in-memory database, runs this (e.g. the
   * migrations) against its URL, and answers `{name, url}`. Used by the test suites.
   */
  prepareDatabase?: (url: string) => Promise<void>
}

type Db = InstanceType<typeof Database>

/** A waiting pipeline: handed the database when it is its turn, or told `false` at its deadline. */
interface Waiter {
  stream: Stream
  grant: (granted: boolean) => void
  timer: NodeJS.Timeout
}

class LocalDatabase {
  readonly db: Db
  /**
   * The stream that holds this database: the one whose pipeline is running, or whose transaction is
   * open between pipelines. Nobody else runs a statement until it lets go.
   */
  owner: Stream | undefined
  private readonly waiters: Waiter[] = []
  /** Pipelines served: one per client round trip. */
  pipelines = 0

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
    this.db = new Database(path)
    if (path !== ':memory:') {
      this.db.exec('PRAGMA journal_mode = WAL')
      this.db.exec('PRAGMA synchronous = NORMAL')
    }
    this.db.exec('PRAGMA foreign_keys = ON')
  }

  /**
   * Takes the database for `stream`, waiting in line (first come, first served) while another stream
   * holds it; false when `deadline` passes first. Taking it is one synchronous step, so two waiters
   * can never both believe they hold it.
   */
  acquire(stream: Stream, deadline: number): Promise<boolean> {
    if (this.owner === stream) return Promise.resolve(true)
    if (!this.owner && this.waiters.length === 0) {
      this.owner = stream
      return Promise.resolve(true)
    }
    return new Promise<boolean>((grant) => {
      const waiter: Waiter = {
        stream,
        grant,
        timer: setTimeout(
          () => {
            this.waiters.splice(this.waiters.indexOf(waiter), 1)
            grant(false)
          },
          Math.max(0, deadline - Date.now()),
        ),
      }
      this.waiters.push(waiter)
    })
  }

  /** Lets go of the database and hands it to the next waiter, if any. */
  release(stream: Stream) {
    if (this.owner !== stream) return
    const next = this.waiters.shift()
    this.owner = next?.stream
    if (next) {
      clearTimeout(next.timer)
      next.grant(true)
    }
  }
}

class Stream implements StreamState {
  readonly id = randomUUID()
  readonly sqls = new Map<number, string>()
  baton = ''
  busy = false
  timer: NodeJS.Timeout | undefined
  constructor(readonly database: LocalDatabase) {}
}

/** An HTTP-level failure, sent as `{message, code}` (the client turns `code` into its error code). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

const MAX_BODY_BYTES = 16 * 1024 * 1024

export interface LibsqlServer {
  /** Base URL of the default database. */
  url: string
  port: number
  /** Pipelines served so far for a database (round trips), by name; '' is the default. */
  pipelines(name?: string): number
  close(): Promise<void>
}

export async function startLibsqlServer(options: LibsqlServerOptions): Promise<LibsqlServer> {
  const streamIdleMs = options.streamIdleMs ?? 10_000
  const lockWaitMs = options.lockWaitMs ?? 5_000
  const databases = new Map<string, LocalDatabase>([['', new LocalDatabase(options.database)]])
  const streams = new Map<string, Stream>()
  let baseUrl = ''

  function expire(stream: Stream) {
    streams.delete(stream.baton)
    if (stream.database.owner === stream) {
      // An abandoned transaction must not hold the database or leak its writes.
      if (stream.database.db.inTransaction) stream.database.db.exec('ROLLBACK')
      stream.database.release(stream)
    }
  }

  async function pipeline(database: LocalDatabase, body: unknown) {
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { requests?: unknown }).requests)
    ) {
      throw new HttpError(400, 'a pipeline body is {"baton": string|null, "requests": [...]}')
    }
    const { baton, requests } = body as { baton?: unknown; requests: unknown[] }
    let stream: Stream
    if (baton === null || baton === undefined) {
      stream = new Stream(database)
    } else {
      const found = typeof baton === 'string' ? streams.get(baton) : undefined
      if (!found || found.database !== database) {
        throw new HttpError(400, 'the stream has expired or was closed', 'STREAM_EXPIRED')
      }
      if (found.busy) throw new HttpError(400, 'the stream is already running a pipeline')
      stream = found
      streams.delete(found.baton)
      clearTimeout(found.timer)
    }
    stream.busy = true
    database.pipelines++
    try {
      const results: unknown[] = []
      let closing = false
      if (!(await database.acquire(stream, Date.now() + lockWaitMs))) {
        for (const _ of requests) {
          results.push({
            type: 'error',
            error: { message: 'database is locked by another stream', code: 'SQLITE_BUSY' },
          })
        }
      } else {
        for (const request of requests) {
          try {
            results.push({ type: 'ok', response: executeRequest(database.db, stream, request) })
            if ((request as { type?: unknown }).type === 'close') closing = true
          } catch (error) {
            results.push({ type: 'error', error: toError(error) })
          }
          if (closing) break
        }
        // A transaction still open belongs to this stream (it held the database throughout): it
        // keeps the database until its next pipeline, unless the stream closed, which rolls it back.
        if (database.db.inTransaction && closing) database.db.exec('ROLLBACK')
        if (!database.db.inTransaction) database.release(stream)
      }
      if (closing) return { baton: null, base_url: null, results }
      stream.baton = `${stream.id}.${randomBytes(12).toString('base64url')}`
      streams.set(stream.baton, stream)
      stream.timer = setTimeout(() => expire(stream), streamIdleMs)
      stream.timer.unref()
      return { baton: stream.baton, base_url: null, results }
    } finally {
      stream.busy = false
    }
  }

  function authorized(request: IncomingMessage): boolean {
    if (!options.authToken) return true
    const given = Buffer.from(request.headers.authorization ?? '')
    const expected = Buffer.from(`Bearer ${options.authToken}`)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of request) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large')
      chunks.push(chunk as Buffer)
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      throw new HttpError(400, 'the body is not valid JSON')
    }
  }

  async function createDatabase() {
    if (!options.prepareDatabase) throw new HttpError(404, 'not found')
    const name = randomUUID()
    databases.set(name, new LocalDatabase(':memory:'))
    const url = `${baseUrl}/db/${name}/`
    await options.prepareDatabase(url)
    return { name, url }
  }

  async function route(request: IncomingMessage): Promise<[number, unknown]> {
    if (!authorized(request)) throw new HttpError(401, 'unauthorized')
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const match = /^(?:\/db\/([^/]+))?\/(v2|v2\/pipeline)$/.exec(path)
    if (match) {
      const database = databases.get(match[1] ?? '')
      if (!database) throw new HttpError(404, 'no such database')
      if (match[2] === 'v2') return [200, { version: 2 }]
      if (request.method !== 'POST') throw new HttpError(405, 'use POST')
      return [200, await pipeline(database, await readBody(request))]
    }
    if (path === '/health') return [200, { ok: true }]
    if (path === '/dev/databases' && request.method === 'POST') return [200, await createDatabase()]
    const stats = /^\/dev\/databases\/([^/]*)\/stats$/.exec(path)
    if (stats && options.prepareDatabase) {
      const database = databases.get(stats[1])
      if (database) return [200, { pipelines: database.pipelines }]
    }
    throw new HttpError(404, 'not found')
  }

  const server = createServer((request, response: ServerResponse) => {
    route(request).then(
      ([status, body]) => send(response, status, body),
      (error: unknown) => {
        if (error instanceof HttpError) {
          // The rest of a refused body is never read: close the connection rather than leave the
          // client's next request queued behind it.
          if (error.status === 413) response.setHeader('Connection', 'close')
          send(response, error.status, {
            message: error.message,
            ...(error.code ? { code: error.code } : {}),
          })
        } else send(response, 500, { message: error instanceof Error ? error.message : 'internal error' })
      },
    )
  })
  await new Promise<void>((ready) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', ready))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`

  return {
    url: baseUrl,
    port,
    pipelines: (name = '') => databases.get(name)?.pipelines ?? 0,
    async close() {
      for (const stream of streams.values()) clearTimeout(stream.timer)
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      for (const database of databases.values()) database.db.close()
    },
  }
}

function send(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}

/**
 * What the Node and Deno entries share: configuration, database (opened and migrated) and the app.
 * Only their HTTP servers differ.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { setImmediate } from 'node:timers'
import { getHeapStatistics } from 'node:v8'
import { createApp } from './app'
import { entryConfigFromEnv } from './config'
import { applyMigrations, openDatabase } from './db/node'
import type { MemoryFigures } from './env'
import type { LineWriter } from './http/access-log'
import type { DocsAssetReader } from './http/docs'
import { explainStartupFailure } from './startup'

/** The embedded database of `npm start` when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'file:.data/context.db'

/** A start that failed, with the one line that says why and what to do (`explainStartupFailure`). */
export class StartupFailure extends Error {
  override name = 'StartupFailure'
}

export async function bootstrap(env: Record<string, string | undefined>) {
  let database: string | undefined
  try {
    const config = entryConfigFromEnv(env)
    const databaseUrl = config.databaseUrl ?? DEFAULT_DATABASE_URL
    database = describeDatabase(databaseUrl)
    const { client, db } = await openDatabase(databaseUrl, {
      authToken: config.databaseAuthToken,
      timeoutMs: config.databaseTimeoutMs,
      fileDriver: config.fileDriver,
      backgroundCheckpoints: true,
    })
    try {
      await applyMigrations(db)
    } catch (error) {
      client.close()
      throw error
    }
    const app = createApp({
      database: () => ({ db }),
      config: config.app,
      docsAsset: readDocsAsset,
      memory,
      logLine: linesPerTurn,
    })
    return { app, client, config, databaseUrl }
  } catch (error) {
    throw new StartupFailure(explainStartupFailure(error, { database }), { cause: error })
  }
}

/**
 * Access-log lines on standard output, written together once per turn of the event loop: one write
 * per request (a system call: stdout is synchronous for files and pipes) cost about 20 µs, a fifth of
 * a small request. What the last turn logged is written when the process exits. One buffer for the
 * process, however many apps it bootstraps.
 */
let pendingLines: string[] = []

function flushLines(): void {
  if (pendingLines.length === 0) return
  const text = `${pendingLines.join('\n')}\n`
  pendingLines = []
  process.stdout.write(text)
}

process.once('exit', flushLines)

const linesPerTurn: LineWriter = (line) => {
  if (pendingLines.push(line) === 1) setImmediate(flushLines)
}

/** The line an entry prints once it listens: where, on which database, and whether auth is on. */
export function startLine(
  runtime: string,
  address: { host: string; port: number },
  databaseUrl: string,
  tokens: number,
): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host
  const auth = tokens
    ? `auth on (${tokens} root token${tokens === 1 ? '' : 's'}, API keys)`
    : 'auth OFF: open to anyone who can reach it (set API_TOKENS)'
  return `context-edge${runtime} listening on http://${host}:${address.port} (database ${describeDatabase(databaseUrl)}; ${auth})`
}

const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

/** The reference page's files, read from the installed `swagger-ui-dist` package. */
const readDocsAsset: DocsAssetReader = (file) =>
  readFile(join(swaggerUi, file)).then(
    (content) => new Response(content),
    () => null,
  )

/** Memory figures of the status (docs/behaviour.md#server-mode): the heap limit, used, allocated (RSS). */
function memory(): MemoryFigures {
  const { heapUsed, rss } = process.memoryUsage()
  const max = getHeapStatistics().heap_size_limit
  return {
    max_memory: max,
    used_memory: heapUsed,
    allocated_memory: rss,
    free_memory: Math.max(0, max - heapUsed),
  }
}

/** Where the database is, without credentials or query parameters (for the start line). */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('file:')) return databaseUrl
  try {
    const { protocol, host } = new URL(databaseUrl)
    return `${protocol}//${host}`
  } catch {
    return 'a libSQL server'
  }
}

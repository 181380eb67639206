import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Client, createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { migrate } from 'drizzle-orm/libsql/migrator'
import type { Database } from './database'
import { LocalClient } from './local-client'
import * as schema from './tables'
import { fetchWithTimeout } from './timeout'

// src/db/ and the server bundle's dist/server/ (`npm run build`) are both two folders deep: the same
// relative path finds the migrations from either.
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url))

/**
 * Which client opens an embedded file: our own (`LocalClient`, prepared statements cached), or
 * `@libsql/client`'s. Both give the same answers; the suite runs on both (docs/design.md#local-client).
 */
export type FileDriver = 'local' | 'libsql-client'

/** The page cache of an embedded file's connection, in KiB (it fills only as pages are read). */
export const PAGE_CACHE_KIB = 65_536

export interface OpenOptions {
  authToken?: string
  /** Wraps the client (the benchmark and tests count or record round trips). */
  wrap?: (client: Client) => Client
  /** How long a request to a libSQL server may take. */
  timeoutMs?: number
  fileDriver?: FileDriver
  /**
   * Embedded file, local client: WAL checkpoints on a worker thread, off the event loop
   * (docs/design.md#local-client). The servers turn it on; short-lived tools need not.
   */
  backgroundCheckpoints?: boolean
}

/**
 * Opens the database of the Node and Deno entries: an embedded file (`file:`), or a libSQL server
 * (`libsql://`, `http(s)://`, `ws(s)://`). A local file gets WAL with synchronous=NORMAL: durable
 * across process crashes, one fsync per checkpoint rather than per commit; and a 64 MiB page cache.
 */
export async function openDatabase(
  url: string,
  options: OpenOptions = {},
): Promise<{ client: Client; db: Database }> {
  const { authToken, wrap = (client) => client, timeoutMs = 10_000, fileDriver = 'local' } = options
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).split('?')[0]
    if (path && path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  }
  // One connection for a local file: batches run synchronously, so more connections add nothing
  // but lock hand-offs and page-cache invalidation between them (and each would need the pragmas).
  const local =
    url.startsWith('file:') && fileDriver === 'local'
      ? new LocalClient(url.slice('file:'.length).split('?')[0])
      : undefined
  const client =
    local?.asClient() ??
    createClient({
      url,
      authToken,
      ...(url.startsWith('file:') ? { concurrency: 1 } : { fetch: fetchWithTimeout(timeoutMs) }),
    })
  if (url.startsWith('file:')) {
    // The timeout first: another process (a migration, a benchmark) may hold the file for a moment.
    await client.execute('PRAGMA busy_timeout = 5000')
    await client.execute('PRAGMA journal_mode = WAL')
    await client.execute('PRAGMA synchronous = NORMAL')
    // A read touches a few pages spread over the file; in SQLite's default 2 MiB cache most missed,
    // and each miss is a system call (docs/design.md#local-client).
    await client.execute(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`)
    if (options.backgroundCheckpoints) local?.checkpointInBackground()
  }
  const wrapped = wrap(client)
  return { client: wrapped, db: drizzle(wrapped, { schema }) }
}

/** Applies the committed migrations in `drizzle/` (never `push`). */
export async function applyMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
}

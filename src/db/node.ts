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

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url))

/**
 * Which client opens an embedded file: our own (`LocalClient`, prepared statements cached), or
 * `@libsql/client`'s. Both give the same answers; the suite runs on both (docs/design.md#local-client).
 */
export type FileDriver = 'local' | 'libsql-client'

/**
 * Opens the database of the Node and Deno entries: an embedded file (`file:`), or a libSQL server
 * (`libsql://`, `http(s)://`, `ws(s)://`). A local file gets WAL with synchronous=NORMAL: durable
 * across process crashes, one fsync per checkpoint rather than per commit.
 */
export async function openDatabase(
  url: string,
  authToken?: string,
  wrap: (client: Client) => Client = (client) => client,
  timeoutMs = 10_000,
  fileDriver: FileDriver = 'local',
): Promise<{ client: Client; db: Database }> {
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).split('?')[0]
    if (path && path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  }
  // One connection for a local file: batches run synchronously, so more connections add nothing
  // but lock hand-offs and page-cache invalidation between them (and each would need the pragmas).
  const client =
    url.startsWith('file:') && fileDriver === 'local'
      ? new LocalClient(url.slice('file:'.length).split('?')[0]).asClient()
      : createClient({
          url,
          authToken,
          ...(url.startsWith('file:') ? { concurrency: 1 } : { fetch: fetchWithTimeout(timeoutMs) }),
        })
  if (url.startsWith('file:')) {
    // The timeout first: another process (a migration, a benchmark) may hold the file for a moment.
    await client.execute('PRAGMA busy_timeout = 5000')
    await client.execute('PRAGMA journal_mode = WAL')
    await client.execute('PRAGMA synchronous = NORMAL')
  }
  const wrapped = wrap(client)
  return { client: wrapped, db: drizzle(wrapped, { schema }) }
}

/** Applies the committed migrations in `drizzle/` (never `push`). */
export async function applyMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
}

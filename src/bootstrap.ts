/**
 * What the Node and Deno entries share: configuration, database (opened and migrated) and the app.
 * Only their HTTP servers differ.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import { createApp } from './app'
import { entryConfigFromEnv } from './config'
import { applyMigrations, openDatabase } from './db/node'
import type { MemoryFigures } from './env'
import type { DocsAssetReader } from './http/docs'

/** The embedded database of `npm start` when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'file:.data/context.db'

export async function bootstrap(env: Record<string, string | undefined>) {
  const config = entryConfigFromEnv(env)
  const databaseUrl = config.databaseUrl ?? DEFAULT_DATABASE_URL
  const { client, db } = await openDatabase(databaseUrl, config.databaseAuthToken)
  await applyMigrations(db)
  const app = createApp({ database: () => ({ db }), config: config.app, docsAsset: readDocsAsset, memory })
  return { app, client, config, databaseUrl }
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

import { serve } from '@hono/node-server'
import { createApp } from './app'
import { configFromEnv } from './config'
import { applyMigrations, openDatabase } from './db/node'

const url = process.env.DATABASE_URL || 'file:.data/context.db'
const port = Number(process.env.PORT || 8080)

const { client, db } = await openDatabase(url, process.env.DATABASE_AUTH_TOKEN || undefined)
await applyMigrations(db)
const app = createApp({ database: () => ({ db }), config: configFromEnv(process.env) })

/** Where the database is, without credentials or query parameters. */
function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('file:')) return databaseUrl
  try {
    const { protocol, host } = new URL(databaseUrl)
    return `${protocol}//${host}`
  } catch {
    return 'a libSQL server'
  }
}

const server = serve({ fetch: app.fetch, port }, (info) => {
  console.log(`context-edge listening on http://localhost:${info.port} (database ${describeDatabase(url)})`)
})

function shutdown(signal: string) {
  console.log(`${signal}: shutting down`)
  server.close(() => {
    client.close()
    process.exit(0)
  })
  // Keep-alive connections may hold close() open; do not wait for them forever.
  setTimeout(() => process.exit(0), 3000).unref()
}
process.once('SIGINT', () => shutdown('SIGINT'))
process.once('SIGTERM', () => shutdown('SIGTERM'))

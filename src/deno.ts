/**
 * Deno entry: `deno task start` (see deno.json). The same app and database setup as the Node entry;
 * only the HTTP server differs.
 */
import { createApp } from './app.ts'
import { configFromEnv } from './config.ts'
import { applyMigrations, openDatabase } from './db/node.ts'

declare const Deno: {
  env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname?: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  exit(code: number): never
}

const env = Deno.env.toObject()
const url = env.DATABASE_URL || 'file:.data/context.db'
const { client, db } = await openDatabase(url, env.DATABASE_AUTH_TOKEN || undefined)
await applyMigrations(db)
const app = createApp({ database: () => ({ db }), config: configFromEnv(env) })

const server = Deno.serve(
  {
    port: Number(env.PORT || 8080),
    onListen: ({ port }) => console.log(`context-edge (Deno) listening on http://localhost:${port}`),
  },
  app.fetch,
)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  Deno.addSignalListener(signal, () => {
    server.shutdown().then(() => {
      client.close()
      Deno.exit(0)
    })
  })
}

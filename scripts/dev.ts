/**
 * `npm run dev`: the worker in `wrangler dev` against a real libSQL database, with no account and
 * no network. Starts the development libSQL server on .data/dev.db, applies the migrations to it
 * and runs `wrangler dev` with DATABASE_URL pointing at it. Ctrl-C stops both.
 */
import { spawn } from 'node:child_process'
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { applyMigrations } from '../src/db/node'
import { startLibsqlServer } from './libsql-server/server'

const database = process.env.DEV_DATABASE ?? '.data/dev.db'
const libsqlPort = Number(process.env.LIBSQL_PORT ?? 8081)

const server = await startLibsqlServer({ database, port: libsqlPort })
const client = createClient({ url: server.url })
await applyMigrations(drizzle(client))
client.close()
console.log(`libSQL dev server on ${server.url} (${database}), migrations applied`)

const wrangler = spawn(
  'npx',
  ['wrangler', 'dev', '--var', `DATABASE_URL:${server.url}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
  },
)

let stopping = false
async function stop(code: number) {
  if (stopping) return
  stopping = true
  if (wrangler.exitCode === null) wrangler.kill('SIGTERM')
  await server.close()
  process.exit(code)
}
wrangler.once('exit', (code) => stop(code ?? 0))
process.once('SIGINT', () => stop(0))
process.once('SIGTERM', () => stop(0))

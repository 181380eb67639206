/**
 * Runs the development libSQL server:
 *   node --import tsx scripts/libsql-server/main.ts [--database .data/dev.db] [--port 8081] [--auth-token T]
 * `--database :memory:` keeps nothing. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util'
import { startLibsqlServer } from './server'

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: '.data/dev.db' },
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    'auth-token': { type: 'string' },
  },
})

const server = await startLibsqlServer({
  database: values.database,
  host: values.host,
  port: Number(values.port),
  authToken: values['auth-token'],
})
console.log(`libSQL dev server on ${server.url} (database ${values.database})`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0))
  })
}

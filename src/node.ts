import { serve } from '@hono/node-server'
import { bootstrap, describeDatabase } from './bootstrap'

const { app, client, config, databaseUrl } = await bootstrap(process.env)

const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
  console.log(
    `context-edge listening on http://localhost:${info.port} (database ${describeDatabase(databaseUrl)})`,
  )
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

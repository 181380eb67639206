import { serve } from '@hono/node-server'
import { bootstrap, StartupFailure, startLine } from './bootstrap'
import { explainStartupFailure } from './startup'

/** Stops the process with one line that says what is wrong and what to do (docs/design.md#entries). */
function fail(message: string): never {
  console.error(`context-edge: ${message}`)
  process.exit(1)
}

const started = await bootstrap(process.env).catch((error: unknown) =>
  fail(error instanceof StartupFailure ? error.message : explainStartupFailure(error)),
)
const { app, client, config, databaseUrl } = started
const { host, port } = config

const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
  console.log(startLine('', { host, port: info.port }, databaseUrl, config.app.apiTokens.length))
})
server.on('error', (error) => fail(explainStartupFailure(error, { host, port })))

/** How long SIGTERM waits for requests in flight before it gives up on them. */
const SHUTDOWN_GRACE_MS = 10_000

function shutdown(signal: string) {
  console.log(`${signal}: finishing requests in flight, then stopping`)
  // No new connections; requests in flight finish; idle keep-alive connections close now.
  server.close(() => {
    client.close()
    console.log('stopped')
    process.exit(0)
  })
  if ('closeIdleConnections' in server) server.closeIdleConnections()
  setTimeout(() => {
    console.error(`context-edge: requests still running after ${SHUTDOWN_GRACE_MS / 1000} s; stopping anyway`)
    process.exit(1)
  }, SHUTDOWN_GRACE_MS).unref()
}
process.once('SIGINT', () => shutdown('SIGINT'))
process.once('SIGTERM', () => shutdown('SIGTERM'))

/**
 * Deno entry: `deno task start` (see deno.json). The same bootstrap as the Node entry; only the HTTP
 * server differs.
 */
import { bootstrap, StartupFailure, startLine } from './bootstrap.ts'
import { explainStartupFailure } from './startup.ts'

declare const Deno: {
  env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname?: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  exit(code: number): never
}

function fail(message: string): never {
  console.error(`context-edge: ${message}`)
  Deno.exit(1)
}

const started = await bootstrap(Deno.env.toObject()).catch((error: unknown) =>
  fail(error instanceof StartupFailure ? error.message : explainStartupFailure(error)),
)
const { app, client, config, databaseUrl } = started
const { host, port } = config

let server: { shutdown(): Promise<void> }
try {
  server = Deno.serve(
    {
      port,
      hostname: host,
      onListen: ({ port: bound }) =>
        console.log(startLine(' (Deno)', { host, port: bound }, databaseUrl, config.app.apiTokens.length)),
    },
    app.fetch,
  )
} catch (error) {
  fail(explainStartupFailure(error, { host, port }))
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  Deno.addSignalListener(signal, () => {
    // Deno's shutdown lets requests in flight finish before it resolves.
    server.shutdown().then(() => {
      client.close()
      Deno.exit(0)
    })
  })
}

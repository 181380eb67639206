/**
 * Deno entry: `deno task start` (see deno.json). The same bootstrap as the Node entry; only the HTTP
 * server differs.
 */
import { bootstrap, describeDatabase } from './bootstrap.ts'

declare const Deno: {
  env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname?: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  exit(code: number): never
}

const { app, client, config, databaseUrl } = await bootstrap(Deno.env.toObject())

const server = Deno.serve(
  {
    port: config.port,
    onListen: ({ port }) =>
      console.log(
        `context-edge (Deno) listening on http://localhost:${port} (database ${describeDatabase(databaseUrl)})`,
      ),
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

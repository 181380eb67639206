/** The HTTP ceiling of the benchmark: a bare Hono hello-world on @hono/node-server. */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono().get('/', (c) => c.text('Hello Hono!'))

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0) }, (info) => {
  console.log(`hello-world listening on http://localhost:${info.port}`)
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))

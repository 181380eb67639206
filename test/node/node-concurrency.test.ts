import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startLibsqlServer } from '../../scripts/libsql-server/server'
import { createApp } from '../../src/app'
import { applyMigrations, openDatabase } from '../../src/db/node'
import { TEST_CONFIG } from '../helpers/apps'
import { abortedRequests, burst, type Caller, caller, prepareBurst, sequential } from '../helpers/burst'
import { createHarness } from '../helpers/harness'

/**
 * The Node entry shares one libSQL client among all requests, which is fine in Node (a request may
 * wait on another's I/O) as long as a failed or aborted request gives back whatever it held: a
 * connection of the file client's pool, a slot of the HTTP client's queue. Driven through a real
 * HTTP server, so that client aborts are real socket closes.
 */
function httpServer(fetch: (request: Request) => Response | Promise<Response>) {
  return new Promise<{ url: string; close: () => void }>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => server.close() }),
    )
  })
}

function suite(name: string, open: () => Promise<{ call: Caller; close: () => void }>) {
  describe(name, () => {
    let call: Caller
    let close: () => void
    beforeAll(async () => {
      ;({ call, close } = await open())
      await prepareBurst(call)
    })
    afterAll(() => close())

    it('answers a burst of 64 mixed requests, then keeps answering', async () => {
      await burst(call, 1)
      await sequential(call, 20)
    })

    it('keeps answering after requests that the client aborted mid-flight', async () => {
      await abortedRequests(call, 8)
      await burst(call, 2)
      await sequential(call, 20)
    })
  })
}

suite('the Node server on an embedded file', async () => {
  const harness = await createHarness()
  const server = await httpServer(harness.fetch)
  return {
    call: caller(fetch, server.url, 'node-concurrency'),
    close: () => {
      server.close()
      harness.close()
    },
  }
})

suite('the Node server on a libSQL server over HTTP', async () => {
  const libsql = await startLibsqlServer({ database: ':memory:' })
  const { client, db } = await openDatabase(libsql.url)
  await applyMigrations(db)
  const app = createApp({ database: () => ({ db }), config: TEST_CONFIG })
  const server = await httpServer(app.fetch)
  return {
    call: caller(fetch, server.url, 'node-concurrency'),
    close: () => {
      server.close()
      client.close()
      libsql.close()
    },
  }
})

import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { services } from '../../src/db/tables'
import { createHarness, type Harness } from '../helpers/harness'

/**
 * After a 413 the server closes the connection, and says so: a keep-alive client that reused the
 * socket would otherwise lose its next request (and, for a POST, not know whether it was applied).
 */
let h: Harness
let url: string
let close: () => void
beforeAll(async () => {
  h = await createHarness({ bodyLimitBytes: 1024 })
  await new Promise<void>((resolve) => {
    const server = serve({ fetch: h.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      url = `http://127.0.0.1:${info.port}`
      close = () => server.close()
      resolve()
    })
  })
})
afterAll(() => {
  close()
  h.close()
})

function post(agent: Agent, body: string, options: { chunked?: boolean } = {}) {
  return new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
    const headers = options.chunked ? { 'transfer-encoding': 'chunked' } : {}
    const sent = request(`${url}/services/start`, { method: 'POST', agent, headers }, (response) => {
      let text = ''
      response.on('data', (chunk) => {
        text += chunk
      })
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, text }),
      )
    })
    sent.on('error', reject)
    if (options.chunked) {
      // No Content-Length: the limit is counted as the body streams in.
      for (let i = 0; i < body.length; i += 100) sent.write(body.slice(i, i + 100))
      sent.end()
    } else sent.end(body)
  })
}

describe('a body over the limit on a keep-alive connection', () => {
  it('answers 413 with Connection: close, and the next request on the same agent succeeds', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const tooLarge = await post(agent, JSON.stringify({ service_type: 1, contact_key: 'x'.repeat(4000) }))
      expect(tooLarge.status).toBe(413)
      expect(tooLarge.connection).toBe('close')
      expect(JSON.parse(tooLarge.text).code).toBe('payload_too_large')
      const next = await post(agent, JSON.stringify({ service_type: 1, contact_key: 'K' }))
      expect(next.status).toBe(200)
    } finally {
      agent.destroy()
    }
  })

  it('counts a chunked body (no Content-Length) as it streams: over the limit 413 and nothing written, under it applied', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const before = await h.db.$count(services)
      const tooLarge = await post(agent, JSON.stringify({ service_type: 1, contact_key: 'x'.repeat(4000) }), {
        chunked: true,
      })
      expect(tooLarge.status).toBe(413)
      expect(JSON.parse(tooLarge.text).code).toBe('payload_too_large')
      expect(await h.db.$count(services)).toBe(before)
      const small = await post(agent, JSON.stringify({ service_type: 1, contact_key: 'chunked' }), {
        chunked: true,
      })
      expect(small.status).toBe(200)
      expect(await h.db.$count(services)).toBe(before + 1)
    } finally {
      agent.destroy()
    }
  })
})

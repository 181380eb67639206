import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../../src/app'
import { openDatabase } from '../../src/db/node'
import { apiClient } from '../helpers/api'
import { TEST_CONFIG } from '../helpers/apps'

afterEach(() => vi.restoreAllMocks())

/** A port that nothing listens on: taken from the system, then given back. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

describe('a database that cannot be reached', () => {
  it('answers 503 database_unavailable with Retry-After, and logs the cause without the body', async () => {
    const { client, db } = await openDatabase(`http://127.0.0.1:${await closedPort()}`)
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: string) => logged.push(line))
    const api = apiClient(createApp({ database: () => ({ db }), config: TEST_CONFIG }).fetch)
    const response = await api.post('/services/start', { service_type: 1, contact_key: 'SECRET-ANI-555' })
    client.close()
    expect(response.status).toBe(503)
    expect(response.body.code).toBe('database_unavailable')
    expect(response.headers.get('Retry-After')).toBe('1')
    expect(logged).toHaveLength(1)
    expect(JSON.parse(logged[0]).cause).toContain('ECONNREFUSED')
    expect(logged[0]).not.toContain('SECRET-ANI-555')
  })
})

describe('the readiness probe', () => {
  it('answers 503 database_unavailable when the database does not answer; /health still 200', async () => {
    const { client, db } = await openDatabase(`http://127.0.0.1:${await closedPort()}`)
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const api = apiClient(
      createApp({
        database: () => ({ db }),
        config: { ...TEST_CONFIG, apiTokens: ['root-token-of-16-chars'] },
      }).fetch,
    )
    const ready = await api.get('/ready')
    const health = await api.get('/health')
    client.close()
    expect(ready.status).toBe(503)
    expect(ready.body.code).toBe('database_unavailable')
    expect(health.status).toBe(200)
  })
})

describe('a database that does not answer in time', () => {
  it('answers 503 after DATABASE_TIMEOUT_MS, not when the client gives up', async () => {
    // Accepts the connection, never answers.
    const silent = createHttpServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    const { client, db } = await openDatabase(`http://127.0.0.1:${port}`, { timeoutMs: 300 })
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: string) => logged.push(line))
    const api = apiClient(createApp({ database: () => ({ db }), config: TEST_CONFIG }).fetch)
    const started = Date.now()
    const response = await api.get('/services/1')
    const took = Date.now() - started
    client.close()
    silent.closeAllConnections()
    silent.close()
    expect(response.status).toBe(503)
    expect(response.body.code).toBe('database_unavailable')
    expect(took).toBeLessThan(5_000)
    expect(JSON.parse(logged[0]).cause).toContain('TimeoutError')
  })
})

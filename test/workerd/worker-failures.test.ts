import { createExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker, { type WorkerEnv } from '../../src/worker'

/** The worker entry itself (a fresh module: its app is built by the first call below). */
describe('the worker when its configuration or database fails', () => {
  const request = () =>
    new Request('http://worker/services/start', {
      method: 'POST',
      body: '{"service_type":1,"contact_key":"K"}',
    })

  it('answers the JSON envelope when the configuration is invalid, then 503 when the database is unreachable', async () => {
    const bad = await worker.fetch(
      request(),
      { DATABASE_URL: 'http://127.0.0.1:9', LIST_LIMIT: 'many' } as WorkerEnv,
      createExecutionContext(),
    )
    expect(bad.status).toBe(500)
    expect(bad.headers.get('Content-Type')).toBe('application/json; charset=utf-8')
    expect(await bad.json()).toMatchObject({ code: 'internal_error', uri: '/services/start' })

    // Nothing listens on port 9 (discard) here: the database cannot be reached.
    const unreachable = await worker.fetch(
      request(),
      { DATABASE_URL: 'http://127.0.0.1:9' } as WorkerEnv,
      createExecutionContext(),
    )
    expect(unreachable.status).toBe(503)
    expect(unreachable.headers.get('Retry-After')).toBe('1')
    expect(unreachable.headers.get('Content-Type')).toBe('application/json; charset=utf-8')
    expect(await unreachable.json()).toMatchObject({ code: 'database_unavailable', status: 503 })
  })
})

import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

/** Through `src/worker.ts` itself, with the DATABASE_URL binding of the vitest config. */
describe('the worker entry', () => {
  it('serves a service start, complete and read round over the bound database', async () => {
    const headers = { ContactCenterId: 'worker-entry' }
    const start = await SELF.fetch('http://worker/services/start', {
      method: 'POST',
      headers,
      body: JSON.stringify({ service_type: 3, contact_key: 'ANI-W' }),
    })
    expect(start.status).toBe(200)
    const { service_id } = (await start.json()) as { service_id: number }
    const end = await SELF.fetch(`http://worker/genesys/1/cs/services/${service_id}/end`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ disposition: 'DONE', timestamp: '2026-01-01T00:00:00Z' }),
    })
    expect(end.status).toBe(204)
    const read = await SELF.fetch(`http://worker/services/${service_id}`, { headers })
    expect(await read.json()).toMatchObject({
      service_id,
      contact_key: 'ANI-W',
      service_type: 3,
      completed: { timestamp: '2026-01-01T00:00:00.000Z', disposition: 'DONE' },
    })
    const missing = await SELF.fetch('http://worker/services/999999', { headers })
    expect(missing.status).toBe(404)
    expect(missing.headers.get('Content-Type')).toBe('application/json; charset=utf-8')
  })
})

describe('the reference page on the worker', () => {
  it('serves /docs and its files from Workers static assets, and no other asset', async () => {
    const page = await SELF.fetch('http://worker/docs')
    expect(page.status).toBe(200)
    const script = await SELF.fetch('http://worker/docs/swagger-ui-bundle.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    expect((await script.text()).length).toBeGreaterThan(100_000)
    const css = await SELF.fetch('http://worker/docs/swagger-ui.css')
    expect(css.status).toBe(200)
    // The worker runs first: the package's other files are not served.
    expect((await SELF.fetch('http://worker/index.html')).status).toBe(404)
  })
})

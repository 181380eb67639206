import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { services } from '../../src/db/tables'
import { ERROR_CODES } from '../../src/http/errors'
import { FEEDBACK, SATISFACTION, SEED_END_BODY } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness
beforeAll(async () => {
  h = await createHarness({ bodyLimitBytes: 4096 })
})
afterAll(() => h.close())

describe('routing', () => {
  it('answers unknown paths with a JSON 404 envelope', async () => {
    const response = await h.api.get('/no/such/path?phone=0612345678')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({
      http_method: 'GET',
      uri: '/no/such/path',
      status: 404,
      code: 'not_found',
      message: expect.any(String),
      request_id: response.headers.get('X-Request-Id'),
    })
    expect(response.text).not.toContain('0612345678')
  })

  it('answers a known path with a wrong method with 405 and the registered methods', async () => {
    for (const prefix of ['', '/genesys/1/cs']) {
      const end = await h.api.send('GET', `${prefix}/services/12/end`)
      expect(end.status).toBe(405)
      expect(end.headers.get('Allow')).toBe('POST')
      const service = await h.api.send('PATCH', `${prefix}/services/12`)
      expect(service.headers.get('Allow')).toBe('DELETE, GET, HEAD')
      const schemas = await h.api.send('DELETE', `${prefix}/metadata/services/extensions`)
      expect(schemas.headers.get('Allow')).toBe('GET, HEAD, POST')
    }
  })

  it('echoes a sane X-Request-Id and generates one otherwise', async () => {
    const echoed = await h.api.get('/services/1', { headers: { 'X-Request-Id': 'req-42' } })
    expect(echoed.headers.get('X-Request-Id')).toBe('req-42')
    expect(echoed.body.request_id).toBe('req-42')
    const generated = await h.api.get('/services/1', { headers: { 'X-Request-Id': 'bad id with spaces' } })
    expect(generated.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('declares every error code once, each with a 4xx/5xx status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/)
      expect(status).toBeGreaterThanOrEqual(400)
    }
  })
})

describe('body size limit', () => {
  it('refuses a body over the limit by its Content-Length with 413, writing nothing', async () => {
    const before = await h.db.$count(services)
    const response = await h.api.post('/services/start', {
      service_type: 1,
      customer_id: 'C',
      session_id: 'x'.repeat(5000),
    })
    expect(response.status).toBe(413)
    expect(response.body.code).toBe('payload_too_large')
    expect(await h.db.$count(services)).toBe(before)
  })

  it('counts the bytes actually read when there is no Content-Length', async () => {
    const before = await h.db.$count(services)
    const chunk = new TextEncoder().encode(' '.repeat(1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"service_type":1,"customer_id":"C"'))
        if (sent++ < 8) controller.enqueue(chunk)
        else {
          controller.enqueue(new TextEncoder().encode('}'))
          controller.close()
        }
      },
    })
    const response = await h.fetch(
      new Request('http://localhost/services/start', { method: 'POST', body, duplex: 'half' } as RequestInit),
    )
    expect(response.status).toBe(413)
    expect(await h.db.$count(services)).toBe(before)
  })
})

describe('tenants', () => {
  it('keeps services, schemas and lists apart per ContactCenterId and GroupId', async () => {
    await h.api.post('/metadata/services/extensions', FEEDBACK, { tenant: 'acme' })
    const start = await h.api.post(
      '/services/start',
      { service_type: 1, customer_id: 'SHARED', Feedback: { rating: 1 } },
      { tenant: 'acme' },
    )
    const id = start.body.service_id
    expect((await h.api.get(`/services/${id}`, { tenant: 'acme' })).status).toBe(200)
    expect((await h.api.get(`/services/${id}`, { tenant: 'globex' })).status).toBe(404)
    expect((await h.api.get(`/services/${id}`)).status).toBe(404)
    expect(
      (await h.api.get(`/services/${id}`, { headers: { ContactCenterId: 'acme', GroupId: 'sales' } })).status,
    ).toBe(404)
    expect((await h.api.post(`/services/${id}/end`, {}, { tenant: 'globex' })).status).toBe(404)
    expect((await h.api.delete(`/services/${id}`, { tenant: 'globex' })).status).toBe(404)
    expect((await h.api.get('/customers/SHARED/services', { tenant: 'globex' })).body).toEqual([])
    // The schema is acme's: another tenant cannot use it.
    const other = await h.api.post(
      '/services/start',
      { service_type: 1, customer_id: 'SHARED', Feedback: { rating: 1 } },
      { tenant: 'globex' },
    )
    expect(other.body.code).toBe('unknown_field')
    const [row] = await h.db.select().from(services).where(eq(services.id, id))
    expect(row.tenant).toBe('acme/')
    expect(row.completed).toBeNull()
  })

  it('refuses malformed tenant headers', async () => {
    const malformed: Record<string, string>[] = [
      { ContactCenterId: 'a/b' },
      { ContactCenterId: 'x'.repeat(65) },
      { GroupId: 'g g' },
    ]
    for (const headers of malformed) {
      const response = await h.api.get('/services/1', { headers })
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('invalid_tenant')
    }
  })
})

describe('both path prefixes answer identically', () => {
  it('runs the same session at / and /genesys/1/cs', async () => {
    const session = async (prefix: string, tenant: string) => {
      const opts = { tenant }
      const out: unknown[] = []
      out.push((await h.api.post(`${prefix}/metadata/services/extensions`, SATISFACTION, opts)).status)
      out.push((await h.api.post(`${prefix}/metadata/services/extensions`, FEEDBACK, opts)).status)
      const start = await h.api.post(`${prefix}/services/start`, { service_type: 2, contact_key: 'K' }, opts)
      const id = start.body.service_id
      out.push((await h.api.post(`${prefix}/services/${id}/end`, SEED_END_BODY, opts)).status)
      const read = await h.api.get(`${prefix}/services/${id}?extensions=Feedback,Satisfaction`, opts)
      out.push({ ...read.body, service_id: 'id', started: 'started' })
      out.push((await h.api.get(`${prefix}/services/anonymous/K/completed`, opts)).body.length)
      out.push((await h.api.post(`${prefix}/services/${id}/end`, {}, opts)).body.code)
      out.push((await h.api.get(`${prefix}/metadata/services/extensions`, opts)).body)
      return out
    }
    const bare = await session('', 'prefix-a')
    const aliased = await session('/genesys/1/cs', 'prefix-b')
    expect(aliased).toEqual(bare)
    expect(bare[0]).toBe(201)
  })
})

describe('round trips', () => {
  it('each read makes one round trip and each write at most two', async () => {
    const tenant = 'rt'
    await h.api.post('/metadata/services/extensions', SATISFACTION, { tenant })
    await h.api.post('/metadata/services/extensions', FEEDBACK, { tenant })
    let id = 0
    const writes: [string, () => Promise<unknown>][] = [
      [
        'create schema',
        () => h.api.post('/metadata/services/extensions', { ...FEEDBACK, name: 'Other' }, { tenant }),
      ],
      [
        'start',
        async () => {
          const r = await h.api.post(
            '/services/start',
            { service_type: 1, customer_id: 'R', Feedback: { rating: 1 } },
            { tenant },
          )
          id = r.body.service_id
        },
      ],
      [
        'associate',
        () => h.api.post(`/customers/R2/services/${id}`, { Feedback: { rating: 2 } }, { tenant }),
      ],
      [
        'put extension',
        () => h.api.put(`/services/${id}/extensions/Satisfaction`, [{ place: 'p' }], { tenant }),
      ],
      ['complete', () => h.api.post(`/services/${id}/end`, SEED_END_BODY, { tenant })],
      ['delete schema', () => h.api.delete('/metadata/services/extensions/Other', { tenant })],
      ['delete service', () => h.api.delete(`/services/${id}`, { tenant })],
    ]
    for (const [name, write] of writes) {
      const trips = await h.roundTripsOf(write)
      expect({ name, trips, ok: trips >= 1 && trips <= 2 }).toEqual({ name, trips, ok: true })
    }
    const again = await h.api.post('/services/start', { service_type: 1, customer_id: 'R' }, { tenant })
    const reads = [
      `/services/${again.body.service_id}?active_states=true&completed_states=true&active_tasks=true&completed_tasks=true&extensions=Feedback,Satisfaction`,
      '/customers/R/services?active_states=true&active_tasks=true&extensions=Feedback',
      '/services/anonymous/K/active?completed_tasks=true',
      '/metadata/services/extensions',
      '/metadata/services/extensions/Feedback',
    ]
    for (const path of reads) {
      expect({ path, trips: await h.roundTripsOf(() => h.api.get(path, { tenant })) }).toEqual({
        path,
        trips: 1,
      })
    }
  })
})

import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionRecords, services } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { FEEDBACK, SATISFACTION } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness

beforeAll(async () => {
  h = await createHarness({ listLimit: 3 })
  await h.api.post('/metadata/services/extensions', SATISFACTION)
  await h.api.post('/metadata/services/extensions', FEEDBACK)
})
afterAll(() => h.close())

async function start(body: Record<string, unknown>): Promise<number> {
  const response = await h.api.post('/services/start', { service_type: 1, ...body })
  expect(response.status).toBe(200)
  return response.body.service_id
}

const ids = (body: { service_id: number }[]) => body.map((s) => s.service_id)

describe('Associate Service', () => {
  it('moves an anonymous service to a customer, updating the fields it names', async () => {
    const id = await start({ contact_key: 'ANI-1', session_id: 'S-1', interaction_id: 'I-1' })
    expect(ids((await h.api.get('/services/anonymous/ANI-1')).body)).toEqual([id])

    const response = await h.api.post(`/customers/CUST-1/services/${id}`, {
      service_type: 'Upsell',
      est_duration: 60,
      interaction_id: 'I-2',
      Feedback: { rating: 4 },
    })
    expect(response.status).toBe(204)

    const [row] = await h.db.select().from(services).where(eq(services.id, id))
    expect(row).toMatchObject({
      customerId: 'CUST-1',
      contactKey: 'ANI-1',
      serviceType: 'Upsell',
      estDuration: 60,
    })
    expect(row.started).toMatchObject({ session_id: 'S-1', interaction_id: 'I-2' })
    expect((await h.api.get('/services/anonymous/ANI-1')).body).toEqual([])
    const listed = await h.api.get('/customers/CUST-1/services?extensions=Feedback')
    expect(listed.body).toEqual([
      {
        service_id: id,
        customer_id: 'CUST-1',
        contact_key: 'ANI-1',
        service_type: 'Upsell',
        est_duration: 60,
        started: { timestamp: row.started.timestamp, session_id: 'S-1', interaction_id: 'I-2' },
        Feedback: { rating: 4 },
      },
    ])
  })

  it('re-association wins: the service leaves the first customer', async () => {
    const id = await start({ customer_id: 'CUST-A' })
    expect((await h.api.send('POST', `/customers/CUST-B/services/${id}`)).status).toBe(204)
    expect((await h.api.get('/customers/CUST-A/services')).body).toEqual([])
    expect(ids((await h.api.get('/customers/CUST-B/services')).body)).toEqual([id])
  })

  it('works on a completed service; refuses another customer_id in the body; 404 for an unknown one', async () => {
    const id = await start({ contact_key: 'ANI-2' })
    await h.api.post(`/services/${id}/end`, {})
    expect((await h.api.post(`/customers/CUST-C/services/${id}`, { customer_id: 'CUST-C' })).status).toBe(204)
    const mismatch = await h.api.post(`/customers/CUST-D/services/${id}`, { customer_id: 'CUST-C' })
    expect(mismatch.status).toBe(400)
    const contact = await h.api.post(`/customers/CUST-D/services/${id}`, { contact_key: 'x' })
    expect(contact.status).toBe(400)
    expect(contact.body.code).toBe('unknown_field')
    const [row] = await h.db.select().from(services).where(eq(services.id, id))
    expect(row.customerId).toBe('CUST-C')
    expect((await h.api.post('/customers/CUST-D/services/987654', {})).status).toBe(404)
    expect((await h.api.post(`/customers/${'x'.repeat(17)}/services/${id}`, {})).status).toBe(400)
  })
})

describe('Query Services', () => {
  it('lists all, active and completed services of a customer in id order', async () => {
    const a = await start({ customer_id: 'LIST-1' })
    const b = await start({ customer_id: 'LIST-1' })
    const c = await start({ customer_id: 'LIST-1' })
    await start({ customer_id: 'LIST-2' })
    await h.api.post(`/services/${b}/end`, {})
    expect(ids((await h.api.get('/customers/LIST-1/services')).body)).toEqual([a, b, c])
    expect(ids((await h.api.get('/customers/LIST-1/services/active')).body)).toEqual([a, c])
    expect(ids((await h.api.get('/customers/LIST-1/services/completed')).body)).toEqual([b])
    expect((await h.api.get('/customers/NOBODY/services')).body).toEqual([])
  })

  it('returns the most recent LIST_LIMIT items in ascending order and says it cut the list', async () => {
    const started = []
    for (let i = 0; i < 5; i++) started.push(await start({ contact_key: 'MANY' }))
    const response = await h.api.get('/services/anonymous/MANY')
    expect(ids(response.body)).toEqual(started.slice(2))
    expect(response.headers.get('X-Result-Truncated')).toBe('true')
    const full = await h.api.get('/services/anonymous/MANY/completed')
    expect(full.headers.get('X-Result-Truncated')).toBeNull()
  })

  it('gives the state and task lists when asked, empty for a service without any', async () => {
    const id = await start({ contact_key: 'FLAGS' })
    const response = await h.api.get(
      '/services/anonymous/FLAGS?active_states=true&completed_states=TRUE&active_tasks=false&completed_tasks=True',
    )
    expect(response.body).toEqual([
      expect.objectContaining({
        service_id: id,
        active_states: [],
        completed_states: [],
        completed_tasks: [],
      }),
    ])
    expect(response.body[0]).not.toHaveProperty('active_tasks')
  })

  it('refuses bad flags and unregistered extensions, and ignores unknown parameters', async () => {
    const id = await start({ contact_key: 'Q' })
    for (const query of ['active_states=yes', 'completed_tasks=1', 'extensions=Nope']) {
      const response = await h.api.get(`/services/${id}?${query}`)
      expect(response.status).toBe(400)
    }
    expect((await h.api.get(`/services/${id}?color=blue`)).status).toBe(200)
    expect((await h.api.get('/services/anonymous/Q?extensions=Nope')).status).toBe(400)
  })

  it('decodes URL-encoded contact keys', async () => {
    const id = await start({ contact_key: '+1 (408) 832-7799' })
    const response = await h.api.get(`/services/anonymous/${encodeURIComponent('+1 (408) 832-7799')}`)
    expect(ids(response.body)).toEqual([id])
  })
})

describe('Update Service Extension', () => {
  it('replaces one extension (single and multi-valued) with 204, also on a completed service', async () => {
    const id = await start({ customer_id: 'EXT', Satisfaction: [{ place: 'a' }], Feedback: { rating: 1 } })
    await h.api.post(`/services/${id}/end`, {})
    const multi = await h.api.put(`/services/${id}/extensions/satisfaction`, [
      { place: 'x' },
      { place: 'y', rating: 2 },
    ])
    expect(multi.status).toBe(204)
    const single = await h.api.put(`/services/${id}/extensions/Feedback`, { notes: 'n' })
    expect(single.status).toBe(204)
    const rows = await h.db
      .select()
      .from(extensionRecords)
      .where(eq(extensionRecords.ownerId, id))
      .orderBy(extensionRecords.id)
    expect(rows.filter((r) => r.ownerKind === 'service').map((r) => [r.extension, r.data])).toEqual([
      ['satisfaction', { place: 'x' }],
      ['satisfaction', { rating: 2, place: 'y' }],
      ['feedback', { notes: 'n' }],
    ])
    const empty = await h.api.put(`/services/${id}/extensions/Satisfaction`, [])
    expect(empty.status).toBe(204)
    expect((await h.api.get(`/services/${id}?extensions=Satisfaction`)).body.Satisfaction).toEqual([])
  })

  it('refuses unknown extensions, bad values and unknown services', async () => {
    const id = await start({ customer_id: 'EXT2', Feedback: { rating: 1 } })
    expect((await h.api.put(`/services/${id}/extensions/Nope`, { a: 1 })).body.code).toBe('unknown_extension')
    expect((await h.api.put(`/services/${id}/extensions/Feedback`, { rating: 1.5 })).status).toBe(400)
    expect((await h.api.put(`/services/${id}/extensions/Feedback`, '"text"')).body.code).toBe('invalid_json')
    expect((await h.api.put('/services/99999/extensions/Feedback', { rating: 1 })).status).toBe(404)
    expect((await h.api.get(`/services/${id}?extensions=Feedback`)).body.Feedback).toEqual({ rating: 1 })
  })
})

describe('Delete Service', () => {
  it('deletes the service with its extension records, and only it', async () => {
    const keep = await start({ customer_id: 'DEL', Feedback: { rating: 1 } })
    const id = await start({ customer_id: 'DEL', Feedback: { rating: 2 }, Satisfaction: [{ place: 'p' }] })
    expect((await h.api.delete(`/services/${id}`)).status).toBe(204)
    expect(await h.db.$count(services, eq(services.id, id))).toBe(0)
    expect(await h.db.$count(extensionRecords, eq(extensionRecords.ownerId, id))).toBe(0)
    expect(await h.db.$count(extensionRecords, eq(extensionRecords.ownerId, keep))).toBe(1)
    expect((await h.api.get(`/services/${id}`)).status).toBe(404)
    expect((await h.api.delete(`/services/${id}`)).status).toBe(404)
  })
})

describe('Query Services by start time (started_from, started_to)', () => {
  it('bounds started.timestamp, both inclusive, before LIST_LIMIT; a malformed bound is 400', async () => {
    const api = forTenant(h.api, 'started-bounds')
    const at = (minute: number) => `2026-11-28T09:${String(minute).padStart(2, '0')}:00.000Z`
    const ids: number[] = []
    for (const minute of [1, 2, 3, 4]) {
      ids.push(
        (await api.post('/services/start', { service_type: 1, customer_id: 'B1', timestamp: at(minute) }))
          .body.service_id,
      )
    }
    const listed = async (query: string) =>
      (await api.get(`/customers/B1/services?${query}`)).body.map((s: { service_id: number }) => s.service_id)
    expect(await listed(`started_from=${at(2)}&started_to=${at(3)}`)).toEqual(ids.slice(1, 3))
    expect(await listed(`started_from=${encodeURIComponent('2026-11-28T10:03:00+01:00')}`)).toEqual(
      ids.slice(2),
    )
    expect(await listed(`started_to=${at(1)}`)).toEqual(ids.slice(0, 1))
    const anonymous = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'ANI-B',
      timestamp: at(5),
    })
    expect((await api.get(`/services/anonymous/ANI-B?started_from=${at(6)}`)).body).toEqual([])
    expect((await api.get(`/services/anonymous/ANI-B/active?started_from=${at(5)}`)).body[0].service_id).toBe(
      anonymous.body.service_id,
    )
    const bad = await api.get('/customers/B1/services?started_from=yesterday')
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('invalid_parameter')
  })
})

import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionRecords } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { FEEDBACK } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

/**
 * Each instance (process or isolate) caches its tenants' metadata. What another instance changes
 * must be seen at once: the write batch asserts the metadata version, and a refusal made on cached
 * metadata is checked again on fresh metadata.
 */
describe('metadata cached per instance', () => {
  it('sees schemas created and deleted by another instance, and its mode changes', async () => {
    const one = h.api
    const two = h.otherInstance()
    const start = () =>
      one.post('/services/start', { service_type: 1, customer_id: 'C', Feedback: { rating: 1 } })

    // Instance one caches metadata without Feedback.
    expect((await one.post('/services/start', { service_type: 1, customer_id: 'C' })).status).toBe(200)
    expect((await two.post('/metadata/services/extensions', FEEDBACK)).status).toBe(201)
    const created = await start()
    expect(created.status).toBe(200)

    // Instance one now caches Feedback; instance two deletes it.
    expect((await two.delete('/metadata/services/extensions/Feedback')).status).toBe(204)
    const refused = await start()
    expect(refused.status).toBe(400)
    expect(refused.body.code).toBe('unknown_field')
    expect(await h.db.$count(extensionRecords, eq(extensionRecords.extension, 'feedback'))).toBe(0)

    // Maintenance set by instance two applies to instance one's writes at once, and is lifted at once.
    expect((await two.post('/server/mode', { mode: 'maintenance' })).status).toBe(200)
    expect((await one.post('/services/start', { service_type: 1, customer_id: 'C' })).status).toBe(503)
    expect((await two.post('/server/mode', { mode: 'production' })).status).toBe(200)
    expect((await one.post('/services/start', { service_type: 1, customer_id: 'C' })).status).toBe(200)
  })

  it('reads see schema and mode changes made by another instance at once', async () => {
    const one = h.api
    const two = h.otherInstance()
    const { body } = await one.post('/services/start', { service_type: 1, customer_id: 'R' })
    // Instance one has cached metadata; instance two registers a schema and writes with it.
    expect((await one.get(`/services/${body.service_id}`)).status).toBe(200)
    await two.post('/metadata/services/extensions', { ...FEEDBACK, name: 'Later' })
    await two.put(`/services/${body.service_id}/extensions/Later`, { rating: 4 })
    const read = await one.get(`/services/${body.service_id}?extensions=Later`)
    expect(read.status).toBe(200)
    expect(read.body.Later).toEqual({ rating: 4 })
    await two.post('/server/mode', { mode: 'maintenance' })
    expect((await one.get(`/services/${body.service_id}`)).status).toBe(503)
    await two.post('/server/mode', { mode: 'production' })
    expect((await one.get(`/services/${body.service_id}`)).status).toBe(200)
    // In the steady state a read is one round trip.
    expect(await h.roundTripsOf(() => one.get(`/services/${body.service_id}?extensions=Later`))).toBe(1)
  })

  it('makes most writes a single round trip once metadata is cached', async () => {
    const { body } = await h.api.post('/services/start', { service_type: 1, customer_id: 'RT' })
    const trips = await h.roundTripsOf(() =>
      h.api.post(`/services/${body.service_id}/end`, { disposition: 1 }),
    )
    expect(trips).toBe(1)
  })
})

describe('two databases in one process', () => {
  it('never mixes up schemas that share a row id in different databases', async () => {
    const other = await createHarness()
    try {
      // Both first schemas get id 1, in different databases.
      await h.api.post('/metadata/tasks/extensions', {
        name: 'Shape',
        type: 'single-valued',
        attributes: [{ name: 'sides', type: 'integer' }],
      })
      await other.api.post('/metadata/tasks/extensions', {
        name: 'Shape',
        type: 'multi-valued',
        attributes: [{ name: 'color', type: 'string' }],
      })
      const sid = (await h.api.post('/services/start', { service_type: 1, customer_id: 'S' })).body.service_id
      const osid = (await other.api.post('/services/start', { service_type: 1, customer_id: 'S' })).body
        .service_id
      expect(
        (await h.api.post(`/services/${sid}/tasks/start`, { task_type: 1, Shape: { sides: 3 } })).status,
      ).toBe(200)
      expect(
        (await other.api.post(`/services/${osid}/tasks/start`, { task_type: 1, Shape: [{ color: 'red' }] }))
          .status,
      ).toBe(200)
      expect(
        (await other.api.post(`/services/${osid}/tasks/start`, { task_type: 1, Shape: { sides: 3 } })).status,
      ).toBe(400)
    } finally {
      other.close()
    }
  })
})

describe('a cascade raced by another instance (docs/behaviour.md#event-fields)', () => {
  it('never completes a child before the child started', async () => {
    const one = forTenant(h.api, 'cascade-race')
    const two = forTenant(h.otherInstance(), 'cascade-race')
    for (let round = 0; round < 5; round++) {
      const sid = (await one.post('/services/start', { service_type: 1, contact_key: 'K' })).body.service_id
      // States and tasks start on instance two while instance one completes the service: the
      // completion's time is taken before its batch, a start's may be later and still commit first.
      await Promise.all([
        ...Array.from({ length: 6 }, (_, i) =>
          i % 2
            ? two.post(`/services/${sid}/states/start`, { state_type: 1 })
            : two.post(`/services/${sid}/tasks/start`, { task_type: 1 }),
        ),
        one.post(`/services/${sid}/end`, {}),
      ])
      const rows = await h.client.execute({
        sql: 'SELECT started, completed FROM states WHERE service_id = ? UNION ALL SELECT started, completed FROM tasks WHERE service_id = ?',
        args: [sid, sid],
      })
      for (const row of rows.rows) {
        if (row.completed === null) continue
        const started = JSON.parse(String(row.started)).timestamp
        const completed = JSON.parse(String(row.completed)).timestamp
        expect(completed >= started, `${completed} ≥ ${started}`).toBe(true)
      }
    }
  })
})

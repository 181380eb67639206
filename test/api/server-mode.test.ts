import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forTenant } from '../helpers/api'
import { FEEDBACK, PHONE, PROFILE_SCHEMA_WITH_DOB, SATISFACTION } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot } from '../helpers/hostile'

let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

describe('server mode (docs/behaviour.md#server-mode)', () => {
  it('maintenance answers 503 to every profile, customer and service call of that tenant only, writing nothing', async () => {
    const api = forTenant(h.api, 'maint')
    const calm = forTenant(h.api, 'calm')
    expect((await api.put('/metadata/profiles', PROFILE_SCHEMA_WITH_DOB)).status).toBe(200)
    expect((await api.post('/metadata/profiles/extensions', PHONE)).status).toBe(201)
    for (const kind of ['services', 'states', 'tasks']) {
      expect((await api.post(`/metadata/${kind}/extensions`, FEEDBACK)).status).toBe(201)
    }
    expect((await api.post('/metadata/services/extensions', SATISFACTION)).status).toBe(201)
    await api.post('/profiles', { customer_id: 'K', Phone: [{ PhoneNumber: '1' }] })
    const sid = (await api.post('/services/start', { service_type: 1, contact_key: 'ANI' })).body.service_id
    const state = (await api.post(`/services/${sid}/states/start`, { state_type: 1 })).body.state_id
    const task = (await api.post(`/services/${sid}/tasks/start`, { task_type: 1 })).body.task_id
    const changed = await api.post('/server/mode', { mode: 'Maintenance' })
    expect(changed.status).toBe(200)
    expect(changed.body).toEqual({ 'server changed': 'maintenance' })
    expect(changed.headers.get('Location')).toBe('/server/status')
    expect((await api.get('/server/status')).body.mode).toBe('maintenance')
    const errorsBefore = (await api.get('/server/status')).body.server_errors_today

    const before = await databaseSnapshot(h.client)
    const calls: [string, string, unknown?][] = [
      ['GET', '/profiles/K'],
      ['POST', '/profiles', { customer_id: 'K2' }],
      ['PUT', '/profiles/K', { FirstName: 'x' }],
      ['DELETE', '/profiles/K'],
      ['GET', '/profiles?FirstName=x'],
      ['POST', '/profiles/K/extensions', { Phone: [{ PhoneNumber: '2' }] }],
      ['PUT', '/profiles/K/extensions/Phone/by/unique', { PhoneNumber: '1', description: 'x' }],
      ['PUT', '/profiles/K/extensions/Phone/delete/by/unique', { PhoneNumber: '1' }],
      ['GET', '/customers/K/services'],
      ['GET', '/customers/K/services/active'],
      ['GET', '/services/anonymous/ANI'],
      ['GET', '/services/anonymous/ANI/completed'],
      ['POST', '/services/start', { service_type: 1, customer_id: 'K' }],
      ['POST', `/services/${sid}/end`, {}],
      ['POST', `/customers/K/services/${sid}`, {}],
      ['PUT', `/services/${sid}/extensions/Feedback`, { rating: 1 }],
      ['GET', `/services/${sid}`],
      ['DELETE', `/services/${sid}`],
      ['POST', `/services/${sid}/states/start`, { state_type: 1 }],
      ['POST', `/services/${sid}/states/transition`, { from: { state_id: state }, to: { state_type: 2 } }],
      ['POST', `/services/${sid}/states/${state}/end`, {}],
      ['PUT', `/services/${sid}/states/${state}/extensions/Feedback`, { rating: 1 }],
      ['GET', `/services/${sid}/states`],
      ['GET', `/services/${sid}/states/${state}`],
      ['POST', `/services/${sid}/tasks/start`, { task_type: 1 }],
      ['POST', `/services/${sid}/tasks/${task}/end`, {}],
      ['PUT', `/services/${sid}/tasks/${task}/extensions/Feedback`, { rating: 1 }],
      ['GET', `/services/${sid}/tasks`],
      ['GET', `/services/${sid}/tasks/${task}`],
    ]
    for (const [method, path, body] of calls) {
      const response = await api.send(method, path, body)
      expect(response.body?.code, `${method} ${path}`).toBe('maintenance_mode')
    }
    expect(await databaseSnapshot(h.client)).toBe(before)
    // Maintenance answers are not server faults (docs/behaviour.md#server-mode).
    expect((await api.get('/server/status')).body.server_errors_today).toBe(errorsBefore)

    // Metadata and server calls work in both modes.
    expect((await api.get('/metadata/profiles')).status).toBe(200)
    expect(
      (await api.post('/metadata/identification-keys', { name: 'k', attributes: ['FirstName'] })).status,
    ).toBe(201)
    expect(
      (await api.post('/metadata/services/extensions', { name: 'M', type: 'single-valued', attributes: [] }))
        .status,
    ).toBe(201)
    // Another tenant is unaffected.
    expect((await calm.post('/services/start', { service_type: 1, contact_key: 'x' })).status).toBe(200)
    expect((await calm.get('/server/status')).body.mode).toBe('production')

    expect((await api.post('/server/mode', { mode: 'production' })).status).toBe(200)
    expect((await api.get('/profiles/K')).status).toBe(200)
    expect((await api.get('/profiles/K2')).status).toBe(404)
    expect((await api.post('/server/mode', { mode: 'off' })).status).toBe(400)
  })

  it('reports version, times and counters', async () => {
    const api = forTenant(h.api, 'status')
    await api.get('/no/such/path')
    const status = await api.get('/server/status')
    expect(status.body).toEqual({
      version: expect.any(String),
      mode: 'production',
      system_time: expect.stringMatching(/Z$/),
      started: expect.stringMatching(/Z$/),
      last_request: expect.stringMatching(/Z$/),
      request_today: expect.any(Number),
      client_errors_today: expect.any(Number),
      server_errors_today: expect.any(Number),
    })
    expect(status.body.client_errors_today).toBeGreaterThanOrEqual(1)
  })
})

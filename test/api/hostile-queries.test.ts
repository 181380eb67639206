import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forTenant } from '../helpers/api'
import { FEEDBACK } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot, expectRefused } from '../helpers/hostile'

/** Query strings a hostile client sends: a 4xx with its code, no echo, nothing written. */
let h: Harness
beforeAll(async () => {
  h = await createHarness({ listLimit: 3 })
})
afterAll(() => h.close())

describe('hostile query parameters', () => {
  it('refuses bad flags, unknown extensions and keys, and over-long lists without echoing them', async () => {
    const api = forTenant(h.api, 'hostile-queries')
    expect((await api.post('/metadata/services/extensions', FEEDBACK)).status).toBe(201)
    const sid = (await api.post('/services/start', { service_type: 1, contact_key: 'K' })).body.service_id
    const before = await databaseSnapshot(h.client)
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`).join(',')
    const cases: [string, string, string[]][] = [
      [`/services/${sid}?active_states=maybe-SECRET`, 'invalid_parameter', ['maybe-SECRET']],
      [`/services/${sid}?extensions=SecretExtension`, 'unknown_extension', ['SecretExtension']],
      [`/services/${sid}/states?state_types=${many}`, 'invalid_parameter', ['t100']],
      [`/services/${sid}/tasks?state_id=SECRET9`, 'invalid_parameter', ['SECRET9']],
      ['/profiles?FirstName=0612345678', 'no_identification_key', ['0612345678']],
      ['/profiles?id_key=SecretKeyName&FirstName=x', 'no_identification_key', ['SecretKeyName']],
      ['/profiles?include_profile=SECRET-yes', 'invalid_parameter', ['SECRET-yes']],
    ]
    for (const [path, code, inputs] of cases) expectRefused(await api.get(path), code, inputs)
    // Repeated names in a list are one name.
    const repeated = Array.from({ length: 500 }, () => 'Feedback').join(',')
    expect((await api.get(`/services/${sid}?extensions=${repeated}`)).status).toBe(200)
    expect(await databaseSnapshot(h.client)).toBe(before)
  })

  it('caps nested states and tasks like top-level lists, keeping the most recent', async () => {
    const api = forTenant(h.api, 'hostile-nested')
    const sid = (await api.post('/services/start', { service_type: 1, contact_key: 'K' })).body.service_id
    const stateIds: number[] = []
    for (let i = 0; i < 5; i++) {
      stateIds.push((await api.post(`/services/${sid}/states/start`, { state_type: 1 })).body.state_id)
      await api.post(`/services/${sid}/tasks/start`, { task_type: 1, state_id: stateIds[0] })
    }
    const service = await api.get(`/services/${sid}?active_states=true&active_tasks=true`)
    expect(service.headers.get('X-Result-Truncated')).toBe('true')
    expect(service.body.active_states.map((s: { state_id: number }) => s.state_id)).toEqual(stateIds.slice(2))
    expect(service.body.active_tasks).toHaveLength(3)
    const state = await api.get(`/services/${sid}/states/${stateIds[0]}?active_tasks=true`)
    expect(state.headers.get('X-Result-Truncated')).toBe('true')
    expect(state.body.active_tasks).toHaveLength(3)
    const plain = await api.get(`/services/${sid}`)
    expect(plain.headers.get('X-Result-Truncated')).toBeNull()
  })
})

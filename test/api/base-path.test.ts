import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_BASE_PATH } from '../helpers/contract'
import { createHarness, type Harness } from '../helpers/harness'

/** BASE_PATH (docs/behaviour.md#surface): the vendor's samples call /cv/… */
let h: Harness
beforeAll(async () => {
  h = await createHarness({ basePath: TEST_BASE_PATH })
})
afterAll(() => h.close())

describe('BASE_PATH', () => {
  it('serves every operation under the configured prefix too, with the same data', async () => {
    const started = await h.api.post('/cv/services/start', { service_type: 1, contact_key: 'ANI-CV' })
    expect(started.status).toBe(200)
    const id = started.body.service_id
    expect((await h.api.post(`/cv/services/${id}/end`, {})).status).toBe(204)
    expect((await h.api.get(`/services/${id}`)).body.completed).toBeDefined()
    expect((await h.api.get('/cv/services/anonymous/ANI-CV')).body).toHaveLength(1)
    expect((await h.api.get('/cv/services/999999')).body.code).toBe('service_not_found')
    expect((await h.api.get('/cms/services/1')).status).toBe(404)
  })

  it('answers Location under the prefix the request came in on', async () => {
    const created = await h.api.post('/cv/metadata/services/extensions', {
      name: 'Visit',
      type: 'single-valued',
      attributes: [{ name: 'page', type: 'string' }],
    })
    expect(created.status).toBe(201)
    expect(created.headers.get('Location')).toBe('/cv/metadata/services/extensions/Visit')
  })
})

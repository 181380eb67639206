import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../helpers/harness'

/** Browser agent desktops call the API from another origin (CORS_ORIGINS). */
let h: Harness
beforeAll(async () => {
  h = await createHarness({ corsOrigins: ['https://desk.example'], apiTokens: ['a-token-of-sixteen-chars'] })
})
afterAll(() => h.close())

describe('CORS', () => {
  it('answers a preflight before auth: no 401, no 405', async () => {
    const preflight = await h.fetch(
      new Request('http://localhost/services/start', {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://desk.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, contactcenterid, content-type',
        },
      }),
    )
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('https://desk.example')
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toContain('ContactCenterId')
  })

  it('marks answers for an allowed origin only, and exposes the API headers', async () => {
    const allowed = await h.api.get('/server/status', {
      headers: { Origin: 'https://desk.example', Authorization: 'Bearer a-token-of-sixteen-chars' },
    })
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe('https://desk.example')
    expect(allowed.headers.get('Access-Control-Expose-Headers')).toContain('X-Request-Id')
    const other = await h.api.get('/server/status', {
      headers: { Origin: 'https://evil.example', Authorization: 'Bearer a-token-of-sixteen-chars' },
    })
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})

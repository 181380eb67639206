import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot, expectRefused } from '../helpers/hostile'

/** Headers a hostile client sends: a 4xx with its code, no echo, nothing written. */
let h: Harness
beforeAll(async () => {
  h = await createHarness({ apiTokens: ['a-token-of-sixteen-chars'] })
})
afterAll(() => h.close())

const auth = { Authorization: 'Bearer a-token-of-sixteen-chars' }
const body = { service_type: 1, contact_key: 'K' }

describe('hostile headers', () => {
  it('refuses malformed tenants without echoing them', async () => {
    const before = await databaseSnapshot(h.client)
    for (const tenant of ['a b', 'x'.repeat(65), 'SECRET/../other', 'ä']) {
      const headers = { ...auth, ContactCenterId: tenant }
      expectRefused(await h.api.post('/services/start', body, { headers }), 'invalid_tenant', [tenant])
      expectRefused(
        await h.api.post('/services/start', body, { headers: { ...auth, GroupId: tenant } }),
        'invalid_tenant',
        [tenant],
      )
    }
    expect(await databaseSnapshot(h.client)).toBe(before)
  })

  it('answers 401 with WWW-Authenticate and never echoes the token', async () => {
    const before = await databaseSnapshot(h.client)
    for (const authorization of [undefined, 'Bearer SECRET-WRONG-TOKEN', 'Basic SECRET', 'Bearer']) {
      const headers: Record<string, string> = authorization ? { Authorization: authorization } : {}
      const response = await h.api.post('/services/start', body, { headers })
      expect(response.status).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toBe('Bearer')
      expectRefused(response, 'unauthorized', ['SECRET'])
    }
    expect(await databaseSnapshot(h.client)).toBe(before)
  })

  it('replaces an unusable X-Request-Id instead of echoing it', async () => {
    const response = await h.api.get('/services/1', {
      headers: { ...auth, 'X-Request-Id': 'SECRET<script>' },
    })
    expect(response.headers.get('X-Request-Id')).not.toContain('SECRET')
    expect(response.text).not.toContain('SECRET')
  })
})

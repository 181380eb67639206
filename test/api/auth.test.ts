import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { services } from '../../src/db/tables'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness
beforeAll(async () => {
  h = await createHarness({ apiTokens: ['token-one', 'token-two'] })
})
afterAll(() => h.close())

const body = { service_type: 1, customer_id: 'AUTH' }

describe('API_TOKENS', () => {
  const refused: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong token', { Authorization: 'Bearer token-three' }],
    ['a token of another scheme', { Authorization: 'Basic dG9rZW4tb25l' }],
    ['a malformed header', { Authorization: 'Bearer' }],
    ['a token with forbidden characters', { Authorization: 'Bearer token one' }],
  ]
  for (const [what, headers] of refused) {
    it(`refuses ${what} with 401 and writes nothing`, async () => {
      const response = await h.api.post('/services/start', body, { headers })
      expect(response.status).toBe(401)
      expect(response.body.code).toBe('unauthorized')
      expect(await h.db.$count(services)).toBe(0)
    })
  }

  it('accepts every configured token', async () => {
    for (const token of ['token-one', 'token-two']) {
      const response = await h.api.post('/services/start', body, {
        headers: { Authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(200)
    }
    expect(await h.db.$count(services)).toBe(2)
  })

  it('guards reads and unknown paths too', async () => {
    expect((await h.api.get('/services/1')).status).toBe(401)
    expect((await h.api.get('/no/such/path')).status).toBe(401)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forTenant } from '../helpers/api'
import { FEEDBACK } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot, expectRefused } from '../helpers/hostile'

/** Path parameters a hostile client sends: a 4xx with its code, no echo, nothing written. */
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

describe('hostile path parameters', () => {
  it('refuses malformed ids and keys, and names no input in the answer', async () => {
    const api = forTenant(h.api, 'hostile-paths')
    expect((await api.post('/metadata/services/extensions', FEEDBACK)).status).toBe(201)
    const before = await databaseSnapshot(h.client)
    const cases: [string, string, string, string[]][] = [
      ['GET', '/services/abc', 'invalid_parameter', ['abc']],
      ['GET', '/services/0', 'invalid_parameter', []],
      ['GET', '/services/-5', 'invalid_parameter', []],
      ['GET', '/services/1e3', 'invalid_parameter', ['1e3']],
      ['POST', '/services/12x/end', 'invalid_parameter', ['12x']],
      ['GET', '/services/anonymous/a%00b', 'invalid_parameter', []],
      ['GET', `/services/anonymous/${'K'.repeat(129)}`, 'invalid_parameter', ['KKKK']],
      ['GET', '/customers/SECRET-CUSTOMER-ID-TOO-LONG/services', 'invalid_parameter', ['SECRET']],
      ['GET', '/profiles/bad%20id', 'invalid_parameter', ['bad']],
      ['GET', '/profiles/SecretCustomer', 'profile_not_found', ['SecretCustomer']],
      ['GET', '/metadata/services/extensions/SecretSchema', 'extension_not_found', ['SecretSchema']],
      ['DELETE', '/metadata/services/extensions/SecretSchema', 'extension_not_found', ['SecretSchema']],
      ['GET', '/metadata/identification-keys/SecretKey', 'identification_key_not_found', ['SecretKey']],
      ['DELETE', '/metadata/identification-keys/SecretKey', 'identification_key_not_found', ['SecretKey']],
      ['PUT', '/services/1/extensions/SecretExt', 'unknown_extension', ['SecretExt']],
      ['PUT', '/profiles/A/extensions/SecretExt/by/unique', 'unknown_extension', ['SecretExt']],
      ['GET', '/services/987654321', 'service_not_found', ['987654321']],
      ['GET', '/services/987654321/states/5', 'service_not_found', ['987654321']],
    ]
    for (const [method, path, code, inputs] of cases) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : { rating: 1 }
      const response = await api.send(method, path, body)
      expectRefused(response, code, inputs)
    }
    expect(await databaseSnapshot(h.client)).toBe(before)
  })

  it('answers 404 for a well-formed id beyond 2^53 (a migrated 64-bit id cannot exist here)', async () => {
    const api = forTenant(h.api, 'hostile-paths-64bit')
    const sid = (await api.post('/services/start', { service_type: 1, contact_key: 'K' })).body.service_id
    const before = await databaseSnapshot(h.client)
    for (const id of ['9007199254740993', '18446744073709551615']) {
      expectRefused(await api.get(`/services/${id}`), 'service_not_found', [id])
      expectRefused(await api.post(`/services/${id}/end`, {}), 'service_not_found', [id])
      expectRefused(await api.get(`/services/${sid}/states/${id}`), 'state_not_found', [id])
      expect((await api.get(`/services/${sid}/tasks?state_id=${id}`)).body).toEqual([])
    }
    expectRefused(await api.get(`/services/${'9'.repeat(41)}`), 'invalid_parameter')
    expect(await databaseSnapshot(h.client)).toBe(before)
  })

  it('does not echo an existing customer id in a conflict', async () => {
    const api = forTenant(h.api, 'hostile-paths-conflict')
    expect((await api.post('/profiles', { customer_id: 'SECRET-C1' })).status).toBe(201)
    expectRefused(await api.post('/profiles', { customer_id: 'SECRET-C1' }), 'customer_exists', ['SECRET-C1'])
  })
})

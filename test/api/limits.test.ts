import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../src/config'
import { forTenant } from '../helpers/api'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot, expectRefused } from '../helpers/hostile'

/**
 * Bounded work per request (docs/behaviour.md#limits): every limit is reachable and accepted, one past it is
 * refused with its own code and nothing written — and a refusal costs no more than the accepted write.
 */
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const { valuesPerAttribute, recordsPerExtension, keyEntriesPerProfile, identifyFilters } = DEFAULT_LIMITS
const values = (n: number, prefix = 'v') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

const PHONE = {
  name: 'Phone',
  type: 'multi-valued',
  unique: ['PhoneNumber'],
  attributes: [
    { name: 'PhoneNumber', type: 'string', mandatory: true },
    { name: 'Note', type: 'string' },
  ],
}
const NOTES = { name: 'Notes', type: 'multi-valued', attributes: [{ name: 'text', type: 'string' }] }

async function unchangedAfter(send: () => Promise<import('../helpers/api').ApiResponse>, code: string) {
  const before = await databaseSnapshot(h.client)
  const response = await send()
  expectRefused(response, code)
  expect(await databaseSnapshot(h.client)).toBe(before)
}

describe('values per core attribute', () => {
  it(`accepts ${valuesPerAttribute} values and refuses one more`, async () => {
    const api = forTenant(h.api, 'limit-values')
    expect(
      (await api.post('/profiles', { customer_id: 'A', EmailAddress: values(valuesPerAttribute) })).status,
    ).toBe(201)
    await unchangedAfter(
      () => api.put('/profiles/A', { EmailAddress: values(valuesPerAttribute + 1) }),
      'too_many_values',
    )
    await unchangedAfter(
      () => api.post('/profiles', { customer_id: 'B', Title: values(1000) }),
      'too_many_values',
    )
  })
})

describe('identification-key entries per profile', () => {
  it('bounds the product of a core key’s values, on every write path, without building it', async () => {
    const api = forTenant(h.api, 'limit-core-key')
    expect(
      (
        await api.post('/metadata/identification-keys', {
          name: 'byName',
          attributes: ['FirstName', 'LastName'],
        })
      ).status,
    ).toBe(201)
    // 16 × 16 = 256 entries: at the limit.
    const atLimit = { FirstName: values(16, 'f'), LastName: values(keyEntriesPerProfile / 16, 'l') }
    expect((await api.post('/profiles', { customer_id: 'A', ...atLimit })).status).toBe(201)
    const entries = await h.client.execute(
      "SELECT count(*) AS n FROM key_entries WHERE tenant = 'limit-core-key/'",
    )
    expect(Number(entries.rows[0].n)).toBe(keyEntriesPerProfile)
    const past = { FirstName: values(16, 'f'), LastName: values(keyEntriesPerProfile / 16 + 1, 'l') }
    await unchangedAfter(() => api.put('/profiles/A', past), 'too_many_key_entries')
    await unchangedAfter(() => api.post('/profiles', { customer_id: 'B', ...past }), 'too_many_key_entries')
  })

  it('refuses the first report’s 2,560,000-entry profile at once', async () => {
    const api = forTenant(h.api, 'limit-wide-key')
    const attributes = ['FirstName', 'LastName', 'Title', 'EmailAddress']
    expect((await api.post('/metadata/identification-keys', { name: 'wide', attributes })).status).toBe(201)
    const forty = Object.fromEntries(attributes.map((name) => [name, values(40)]))
    await unchangedAfter(() => api.post('/profiles', { customer_id: 'W', ...forty }), 'too_many_values')
    const thirtyTwo = Object.fromEntries(attributes.map((name) => [name, values(valuesPerAttribute)]))
    await unchangedAfter(
      () => api.post('/profiles', { customer_id: 'W', ...thirtyTwo }),
      'too_many_key_entries',
    )
  })

  it('refuses a new key over existing profiles that would exceed it, and creates nothing', async () => {
    const api = forTenant(h.api, 'limit-new-key')
    const past = { FirstName: values(16, 'f'), LastName: values(17, 'l') }
    expect((await api.post('/profiles', { customer_id: 'A', ...past })).status).toBe(201)
    await unchangedAfter(
      () =>
        api.post('/metadata/identification-keys', { name: 'byName', attributes: ['FirstName', 'LastName'] }),
      'too_many_key_entries',
    )
    expect((await api.get('/metadata/identification-keys')).body).toEqual([])
  })

  it('bounds the records of an extension key, also when appended', async () => {
    const api = forTenant(h.api, 'limit-extension-key')
    expect((await api.post('/metadata/profiles/extensions', PHONE)).status).toBe(201)
    expect(
      (
        await api.post('/metadata/identification-keys', {
          name: 'byPhone',
          source: 'Phone',
          attributes: ['PhoneNumber'],
        })
      ).status,
    ).toBe(201)
    const phones = values(keyEntriesPerProfile, '555-').map((PhoneNumber) => ({ PhoneNumber }))
    expect((await api.post('/profiles', { customer_id: 'A', Phone: phones })).status).toBe(201)
    await unchangedAfter(
      () => api.post('/profiles/A/extensions', { Phone: [{ PhoneNumber: 'one-more' }] }),
      'too_many_key_entries',
    )
    // Replacing a record keeps the count: accepted.
    expect(
      (await api.post('/profiles/A/extensions', { Phone: [{ PhoneNumber: '555-0', Note: 'x' }] })).status,
    ).toBe(200)
  })
})

describe('records per owner per extension', () => {
  it(`accepts ${recordsPerExtension} records in appends and refuses one more`, async () => {
    const api = forTenant(h.api, 'limit-records')
    expect((await api.post('/metadata/profiles/extensions', NOTES)).status).toBe(201)
    const notes = (n: number) => values(n).map((text) => ({ text }))
    expect((await api.post('/profiles', { customer_id: 'A', Notes: notes(600) })).status).toBe(201)
    expect(
      (await api.post('/profiles/A/extensions', { Notes: notes(recordsPerExtension - 600) })).status,
    ).toBe(200)
    await unchangedAfter(() => api.post('/profiles/A/extensions', { Notes: notes(1) }), 'too_many_records')
    await unchangedAfter(
      () => api.put('/profiles/A', { Notes: notes(recordsPerExtension + 1) }),
      'too_many_records',
    )
  })

  it('a record key with an absent unique attribute is the key of null', async () => {
    const api = forTenant(h.api, 'limit-absent-unique')
    const pairs = {
      name: 'Pairs',
      type: 'multi-valued',
      unique: ['a', 'b'],
      attributes: [
        { name: 'a', type: 'integer' },
        { name: 'b', type: 'integer' },
        { name: 'c', type: 'string' },
      ],
    }
    expect((await api.post('/metadata/profiles/extensions', pairs)).status).toBe(201)
    expect((await api.post('/profiles', { customer_id: 'A' })).status).toBe(201)
    await unchangedAfter(
      () => api.post('/profiles/A/extensions', { Pairs: [{ a: 1 }, { a: 1, b: null }] }),
      'invalid_extension_value',
    )
    expect((await api.post('/profiles/A/extensions', { Pairs: [{ a: 1, c: 'first' }] })).status).toBe(200)
    const merged = await api.post('/profiles/A/extensions', { Pairs: [{ a: 1, b: null, c: 'second' }] })
    expect(merged.body).toEqual({ Pairs: [{ a: 1, c: 'second' }] })
  })
})

describe('a body of the smallest records up to the body limit', () => {
  it('answers 2xx: statements do not grow with the records (no SQLite variable limit)', async () => {
    const big = await createHarness({ limits: { ...DEFAULT_LIMITS, recordsPerExtension: 1_000_000 } })
    try {
      const api = forTenant(big.api, 'limit-big-body')
      expect((await api.post('/metadata/profiles/extensions', NOTES)).status).toBe(201)
      // {"text":""} is 11 bytes: about 95,000 records in 1 MiB.
      const count = Math.floor((1024 * 1024 - 100) / 12)
      const body = JSON.stringify({
        customer_id: 'A',
        Notes: Array.from({ length: count }, () => ({ text: '' })),
      })
      expect(body.length).toBeLessThan(1024 * 1024)
      expect((await api.post('/profiles', body)).status).toBe(201)
      const stored = await big.client.execute(
        "SELECT count(*) AS n FROM extension_records WHERE tenant = 'limit-big-body/'",
      )
      expect(Number(stored.rows[0].n)).toBe(count)
    } finally {
      big.close()
    }
  }, 60_000)
})

describe('Identify filters', () => {
  it('merges duplicate filters, accepts the limit and refuses one more', async () => {
    const api = forTenant(h.api, 'limit-identify')
    expect(
      (await api.post('/metadata/identification-keys', { name: 'byFirst', attributes: ['FirstName'] }))
        .status,
    ).toBe(201)
    expect(
      (await api.post('/profiles', { customer_id: 'A', FirstName: 'Ann', Title: values(31) })).status,
    ).toBe(201)
    // 1,000 spellings of one filter are one filter (they once built an expression too deep for SQLite).
    const spellings = Array.from({ length: 1000 }, (_, i) =>
      [...'firstname'].map((ch, j) => ((i >> j) & 1 ? ch.toUpperCase() : ch)).join(''),
    )
    const merged = await api.get(`/profiles?${spellings.map((name) => `${name}=Ann`).join('&')}`)
    expect(merged.body).toEqual([{ customer_id: 'A' }])
    const titles = (n: number) => values(n).map((title) => `Title=${title}`)
    const atLimit = await api.get(`/profiles?FirstName=Ann&${titles(identifyFilters - 1).join('&')}`)
    expect(atLimit.body).toEqual([{ customer_id: 'A' }])
    const past = await api.get(`/profiles?FirstName=Ann&${titles(identifyFilters).join('&')}`)
    expectRefused(past, 'too_many_filters', ['v0'])
  })

  it('of two keys that score the same, the oldest is used', async () => {
    // FirstName+Title and LastName+EmailAddress both cover one attribute of FirstName=A&LastName=B;
    // each profile has entries under one key only, so the key used decides the answer.
    const profilesOf = async (tenant: string, keys: { name: string; attributes: string[] }[]) => {
      const api = forTenant(h.api, tenant)
      for (const key of keys) expect((await api.post('/metadata/identification-keys', key)).status).toBe(201)
      await api.post('/profiles', { customer_id: 'TITLED', FirstName: 'A', LastName: 'B', Title: 'Dr' })
      await api.post('/profiles', {
        customer_id: 'MAILED',
        FirstName: 'A',
        LastName: 'B',
        EmailAddress: 'e@x',
      })
      return (await api.get('/profiles?FirstName=A&LastName=B')).body
    }
    const titled = { name: 'byFirstTitle', attributes: ['FirstName', 'Title'] }
    const mailed = { name: 'byLastMail', attributes: ['LastName', 'EmailAddress'] }
    expect(await profilesOf('limit-tie-1', [titled, mailed])).toEqual([{ customer_id: 'TITLED' }])
    expect(await profilesOf('limit-tie-2', [mailed, titled])).toEqual([{ customer_id: 'MAILED' }])
  })
})

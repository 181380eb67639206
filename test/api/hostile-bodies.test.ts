import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forTenant } from '../helpers/api'
import { FEEDBACK, SATISFACTION } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot, expectRefused } from '../helpers/hostile'

/**
 * Bodies a hostile or careless client sends (docs/behaviour.md#limits–11.13): each is answered with the
 * envelope and its own 4xx code, the message repeats none of the input, and nothing is written.
 */
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const NUMBERS = {
  name: 'Numbers',
  type: 'multi-valued',
  attributes: [{ name: 'n', type: 'integer' }],
}
const MONEY = {
  name: 'Money',
  type: 'single-valued',
  attributes: [
    { name: 'amount', type: 'currency' },
    { name: 'day', type: 'date' },
    { name: 'at', type: 'datetime' },
  ],
}

async function tenant(name: string) {
  const api = forTenant(h.api, name)
  for (const schema of [SATISFACTION, FEEDBACK, NUMBERS, MONEY]) {
    expect((await api.post('/metadata/services/extensions', schema)).status).toBe(201)
  }
  return api
}

/** Sends a raw body (not JSON.stringify'd) and checks the refusal and that nothing changed. */
async function refusedUnchanged(
  send: () => Promise<import('../helpers/api').ApiResponse>,
  code: string,
  inputs: string[] = [],
) {
  const before = await databaseSnapshot(h.client)
  const response = await send()
  expectRefused(response, code, inputs)
  expect(await databaseSnapshot(h.client)).toBe(before)
  return response
}

describe('event bodies', () => {
  it('refuses lone surrogates, control characters and over-long text; counts characters, not UTF-16 units', async () => {
    const api = await tenant('hostile-events')
    const start = (raw: string) => () => api.post('/services/start', raw)
    // Two different lone surrogates would both become U+FFFD in the database: one key for two callers.
    await refusedUnchanged(start('{"service_type":1,"contact_key":"\\ud800"}'), 'invalid_json')
    await refusedUnchanged(
      start('{"service_type":1,"contact_key":"ok","Feedback":{"notes":"\\udc00x"}}'),
      'invalid_json',
    )
    // In a key, in upper case, nested in an array: found wherever it is.
    await refusedUnchanged(start('{"service_type":1,"contact_key":"ok","\\uD800x":1}'), 'invalid_json')
    await refusedUnchanged(
      start('{"service_type":1,"contact_key":"ok","Feedback":{"notes":[["\\uDBFF"]]}}'),
      'invalid_json',
    )
    await refusedUnchanged(start('{"service_type":1,"contact_key":"a\\u0000b"}'), 'validation_failed')
    await refusedUnchanged(start('{"service_type":1,"contact_key":"ANI\\u001b[31m"}'), 'validation_failed')
    await refusedUnchanged(
      start(JSON.stringify({ service_type: 1, contact_key: 'K', session_id: 'S'.repeat(33) })),
      'validation_failed',
      ['SSSS'],
    )
    // 128 emoji are 256 UTF-16 units and 128 characters: within contact_key's 128.
    const emoji = '😀'.repeat(128)
    const accepted = await api.post('/services/start', { service_type: 1, contact_key: emoji })
    expect(accepted.status).toBe(200)
    const read = await api.get(`/services/${accepted.body.service_id}`)
    expect(read.body.contact_key).toBe(emoji)
    await refusedUnchanged(
      start(JSON.stringify({ service_type: 1, contact_key: `${emoji}x` })),
      'validation_failed',
    )
  })

  it('says "is required" and "is not a known field", never a library text or the input', async () => {
    const api = await tenant('hostile-messages')
    const missing = await refusedUnchanged(
      () => api.post('/services/start', { contact_key: 'K' }),
      'validation_failed',
    )
    expect(missing.body.issues).toEqual([{ path: 'service_type', message: 'is required' }])
    const schema = await refusedUnchanged(
      () =>
        api.post('/metadata/services/extensions', { ...FEEDBACK, name: 'Other', secretField: 'SECRET-1' }),
      'validation_failed',
      ['SECRET-1', 'never'],
    )
    expect(schema.body.issues).toEqual([{ path: 'secretField', message: 'is not a known field' }])
    await refusedUnchanged(
      () => api.post('/services/start', { service_type: 1, contact_key: 'K', SecretExtension: {} }),
      'unknown_field',
      ['SecretExtension'],
    )
    await refusedUnchanged(
      () =>
        api.post('/services/start', {
          service_type: 1,
          contact_key: 'K',
          Feedback: { rating: '0612345678x' },
        }),
      'invalid_extension_value',
      ['0612345678x'],
    )
  })

  it('keeps years 0001–9999 as given and refuses the others', async () => {
    const api = await tenant('hostile-years')
    const old = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      timestamp: '0050-03-01T10:00:00Z',
      Money: { day: '0004-02-29', at: '0099-12-31T23:59:59.999+00:00' },
    })
    expect(old.status).toBe(200)
    const read = await api.get(`/services/${old.body.service_id}?extensions=Money`)
    expect(read.body.started.timestamp).toBe('0050-03-01T10:00:00.000Z')
    expect(read.body.Money).toEqual({ day: '0004-02-29', at: '0099-12-31T23:59:59.999Z' })
    for (const timestamp of [
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:30:00+01:00',
      '9999-12-31T23:00:00-02:00',
    ]) {
      await refusedUnchanged(
        () => api.post('/services/start', { service_type: 1, contact_key: 'K', timestamp }),
        'validation_failed',
        [timestamp],
      )
    }
    await refusedUnchanged(
      () => api.post('/services/start', { service_type: 1, contact_key: 'K', Money: { day: '0000-01-01' } }),
      'invalid_extension_value',
    )
  })

  it('stores and emits currency as a plain decimal string', async () => {
    const api = await tenant('hostile-currency')
    for (const [amount, stored] of [
      [1e21, '1000000000000000000000'],
      [2.5e-7, '0.00000025'],
      [12.5, '12.5'],
    ] as const) {
      const started = await api.post('/services/start', {
        service_type: 1,
        contact_key: 'K',
        Money: { amount },
      })
      expect(started.status).toBe(200)
      const read = await api.get(`/services/${started.body.service_id}?extensions=Money`)
      expect(read.body.Money.amount).toBe(stored)
    }
  })

  it('replaces two extensions that both already have records, in one request', async () => {
    const api = await tenant('hostile-two-extensions')
    const started = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Feedback: { rating: 1 },
      Satisfaction: [{ place: 'a' }, { place: 'b' }],
    })
    const id = started.body.service_id
    expect(
      (await api.post(`/services/${id}/end`, { Feedback: { rating: 2 }, Satisfaction: [{ place: 'c' }] }))
        .status,
    ).toBe(204)
    const read = await api.get(`/services/${id}?extensions=Feedback,Satisfaction`)
    expect(read.body.Feedback).toEqual({ rating: 2 })
    expect(read.body.Satisfaction).toEqual([{ place: 'c' }])
    const rows = await h.client.execute({
      sql: "SELECT extension, data FROM extension_records WHERE tenant = 'hostile-two-extensions/' ORDER BY id",
      args: [],
    })
    expect(rows.rows.map((row) => [row.extension, JSON.parse(String(row.data))])).toEqual([
      ['feedback', { rating: 2 }],
      ['satisfaction', { place: 'c' }],
    ])
  })

  it('refuses more records than an owner may hold, before parsing them, and a nested body that is no object', async () => {
    const api = await tenant('hostile-records')
    const records = Array.from({ length: 1001 }, (_, n) => ({ n }))
    await refusedUnchanged(
      () => api.post('/services/start', { service_type: 1, contact_key: 'K', Numbers: records }),
      'too_many_records',
    )
    const atLimit = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Numbers: records.slice(0, 1000),
    })
    expect(atLimit.status).toBe(200)
    await refusedUnchanged(() => api.post('/services/start', '['.repeat(200_000)), 'invalid_json')
  })
})

describe('names that are also JavaScript object keys', () => {
  it('keeps __proto__, constructor and prototype as ordinary attribute names everywhere', async () => {
    const api = forTenant(h.api, 'hostile-proto')
    const schema = {
      name: 'Odd',
      type: 'multi-valued',
      unique: ['__proto__'],
      attributes: [
        { name: '__proto__', type: 'string', mandatory: true },
        { name: 'constructor', type: 'integer' },
        { name: 'prototype', type: 'boolean', default: true },
      ],
    }
    expect((await api.post('/metadata/services/extensions', schema)).status).toBe(201)
    // mandatory holds for __proto__ like any attribute
    await refusedUnchanged(
      () => api.post('/services/start', { service_type: 1, contact_key: 'K', Odd: [{ constructor: 1 }] }),
      'invalid_extension_value',
    )
    // unique holds: two records with one __proto__ value collide
    await refusedUnchanged(
      () =>
        api.post('/services/start', {
          service_type: 1,
          contact_key: 'K',
          Odd: JSON.parse('[{"__proto__":"a"},{"__proto__":"a"}]'),
        }),
      'invalid_extension_value',
    )
    const body = JSON.parse(
      '{"service_type":1,"contact_key":"K","Odd":[{"__proto__":"a","constructor":7},{"__proto__":"b","prototype":false}]}',
    )
    const started = await api.post('/services/start', body)
    expect(started.status).toBe(200)
    const read = await api.get(`/services/${started.body.service_id}?extensions=Odd`)
    expect(read.text).toContain(
      '"Odd":[{"__proto__":"a","constructor":7,"prototype":true},{"__proto__":"b","prototype":false}]',
    )
  })

  it('keeps them as core profile attributes, in identification keys and in Identify queries', async () => {
    const api = forTenant(h.api, 'hostile-proto-profiles')
    const attributes = ['__proto__', 'constructor', 'prototype'].map((name) => ({ name, type: 'string' }))
    expect((await api.put('/metadata/profiles', { attributes })).status).toBe(200)
    expect(
      (await api.post('/metadata/identification-keys', { name: 'byProto', attributes: ['__proto__'] }))
        .status,
    ).toBe(201)
    const created = await api.post(
      '/profiles',
      JSON.parse('{"customer_id":"P1","__proto__":["x","y"],"constructor":"c"}'),
    )
    expect(created.status).toBe(201)
    await api.post('/profiles', JSON.parse('{"customer_id":"P2","__proto__":"z"}'))
    const read = await api.get('/profiles/P1')
    expect(read.text).toBe('{"customer_id":"P1","__proto__":["x","y"],"constructor":"c","prototype":null}')
    const found = await api.get('/profiles?__proto__=y')
    expect(found.body).toEqual([{ customer_id: 'P1' }])
    // The filter is not dropped: a second filter on prototype narrows to nothing.
    expect((await api.get('/profiles?__proto__=y&prototype=q')).body).toEqual([])
  })
})

import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionSchemas } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot } from '../helpers/hostile'

/**
 * Schemas exported from a live UCS load back unchanged (docs/behaviour.md#extension-schemas): the
 * vendor's GET prints every attribute with `length` (0 = none), `mandatory`, `unique`, `encrypt`,
 * and profile extension schemas with `required`. A body printed by GET creates the same schema in
 * another tenant.
 */
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

/** As a UCS prints them: per-attribute flags, `length: 0` on numbers, both forms of `unique`. */
const EXPORTED = {
  services: {
    name: 'Booking',
    type: 'multi-valued',
    attributes: [
      { name: 'ref', type: 'string', length: 12, mandatory: true, unique: true, encrypt: false },
      {
        name: 'seats',
        type: 'integer',
        length: 0,
        mandatory: false,
        unique: false,
        encrypt: false,
        default: 1,
      },
      { name: 'price', type: 'currency', length: 0, mandatory: false, unique: false, encrypt: false },
      { name: 'at', type: 'datetime', length: 0, mandatory: false, unique: false, encrypt: false },
    ],
    unique: ['ref'],
  },
  states: {
    name: 'Menu',
    type: 'single-valued',
    attributes: [
      { name: 'choice', type: 'long', length: 0, mandatory: true, unique: false, encrypt: false },
      { name: 'label', type: 'string', length: 0, mandatory: false, unique: false, encrypt: false },
    ],
    unique: [],
  },
  tasks: {
    name: 'Callback',
    type: 'multi-valued',
    attributes: [
      { name: 'number', type: 'string', length: 20, mandatory: true, unique: true, encrypt: false },
      { name: 'slot', type: 'date', length: 0, mandatory: true, unique: true, encrypt: false },
      { name: 'done', type: 'boolean', length: 0, mandatory: false, unique: false, encrypt: false },
    ],
    unique: ['number'],
  },
  profiles: {
    name: 'Loyalty',
    type: 'multi-valued',
    attributes: [
      { name: 'program', type: 'string', length: 16, mandatory: true, unique: true, encrypt: false },
      { name: 'points', type: 'double', length: 0, mandatory: false, unique: false, encrypt: false },
    ],
    unique: ['program'],
    required: false,
  },
} as const

describe('a UCS schema export', () => {
  for (const [segment, exported] of Object.entries(EXPORTED)) {
    it(`${segment}: loads, prints the vendor shape, and the printed body recreates it in another tenant`, async () => {
      const source = forTenant(h.api, `export-${segment}`)
      const target = forTenant(h.api, `import-${segment}`)
      const base = `/metadata/${segment}/extensions`
      expect((await source.post(base, exported)).status).toBe(201)
      const printed = (await source.get(`${base}/${exported.name}`)).body
      // Per-attribute `unique: true` and the schema-level list name the same attributes, in schema order.
      const unique = exported.attributes.filter((a) => a.unique).map((a) => a.name)
      expect(printed).toEqual({ ...exported, unique })

      expect((await target.post(base, printed)).status).toBe(201)
      expect((await target.get(`${base}/${exported.name}`)).body).toEqual(printed)
      const rows = await h.db
        .select()
        .from(extensionSchemas)
        .where(
          and(eq(extensionSchemas.tenant, `import-${segment}/`), eq(extensionSchemas.name, exported.name)),
        )
      expect(rows).toHaveLength(1)
      expect(rows[0].unique).toEqual(unique.length ? unique : null)
      expect(rows[0].required).toBe(segment === 'profiles' ? false : null)
    })
  }

  it('behaves as it says: length 0 is no limit, both forms of unique are enforced', async () => {
    const api = forTenant(h.api, 'export-services')
    const service = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Booking: [
        { ref: 'A1', price: '10.50', at: '2026-11-28T10:00:00Z' },
        { ref: 'A2', seats: '3' },
      ],
    })
    expect(service.status).toBe(200)
    const read = await api.get(`/services/${service.body.service_id}?extensions=Booking`)
    expect(read.body.Booking).toEqual([
      { ref: 'A1', seats: 1, price: '10.50', at: '2026-11-28T10:00:00.000Z' },
      { ref: 'A2', seats: 3 },
    ])
    const twice = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Booking: [{ ref: 'A1' }, { ref: 'A1' }],
    })
    expect(twice.status).toBe(400)
    const state = forTenant(h.api, 'export-states')
    const sid = (await state.post('/services/start', { service_type: 1, contact_key: 'K' })).body.service_id
    const long = 'x'.repeat(5000)
    const started = await state.post(`/services/${sid}/states/start`, {
      state_type: 1,
      Menu: { choice: '9007199254740993', label: long },
    })
    expect(started.status).toBe(200)
    const menu = (await state.get(`/services/${sid}/states/${started.body.state_id}?extensions=Menu`)).body
      .Menu
    expect(menu).toEqual({ choice: '9007199254740993', label: long })
  })

  it('a profile extension may say required: true, printed back as given', async () => {
    const api = forTenant(h.api, 'required')
    const body = { name: 'Consent', type: 'single-valued', attributes: [], required: 'true' }
    expect((await api.post('/metadata/profiles/extensions', body)).status).toBe(201)
    expect((await api.get('/metadata/profiles/extensions/consent')).body).toEqual({
      name: 'Consent',
      type: 'single-valued',
      attributes: [],
      unique: [],
      required: true,
    })
  })
})

describe('what the vendor shape cannot say here', () => {
  const refusals: [string, string, Record<string, unknown>, string][] = [
    [
      'classifier',
      '/metadata/services/extensions',
      { name: 'Kind', type: 'classifier', attributes: [] },
      'classifier (an 8.0 type) is not supported: use single-valued',
    ],
    [
      'unique on a single-valued schema',
      '/metadata/services/extensions',
      { name: 'One', type: 'single-valued', attributes: [{ name: 'a', type: 'string', unique: true }] },
      'is only allowed on a multi-valued extension',
    ],
    [
      'required outside profile extensions',
      '/metadata/tasks/extensions',
      { name: 'Req', type: 'single-valued', attributes: [], required: false },
      'is only allowed on a profile extension schema',
    ],
    [
      'a negative length',
      '/metadata/states/extensions',
      { name: 'Neg', type: 'single-valued', attributes: [{ name: 'a', type: 'string', length: -1 }] },
      'must be a non-negative integer',
    ],
  ]
  for (const [what, path, body, message] of refusals) {
    it(`refuses ${what} (400), writing nothing`, async () => {
      const before = await databaseSnapshot(h.client)
      const response = await h.api.post(path, body)
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('validation_failed')
      expect(response.body.issues.map((issue: { message: string }) => issue.message)).toContain(message)
      expect(await databaseSnapshot(h.client)).toEqual(before)
    })
  }

  it('core attributes take length 0 and false flags, and refuse unique or encrypt', async () => {
    const api = forTenant(h.api, 'core')
    const printed = {
      name: 'Tier',
      type: 'integer',
      length: 0,
      mandatory: false,
      unique: false,
      encrypt: false,
    }
    expect((await api.put('/metadata/profiles', { attributes: [printed] })).status).toBe(200)
    for (const flag of ['unique', 'encrypt']) {
      const refused = await api.put('/metadata/profiles', { attributes: [{ ...printed, [flag]: true }] })
      expect(refused.status).toBe(400)
      expect(refused.body.issues).toEqual([
        { path: `attributes[0].${flag}`, message: 'is not supported on core attributes' },
      ])
    }
  })
})

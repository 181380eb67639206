import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionRecords, extensionSchemas, tenantState } from '../../src/db/tables'
import { FEEDBACK, SATISFACTION } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const schema = (attributes: unknown[], extra: Record<string, unknown> = {}) => ({
  name: `S${Math.random().toString(36).slice(2, 10)}`,
  type: 'single-valued',
  attributes,
  ...extra,
})

describe('extension schemas for services, states and tasks', () => {
  for (const kind of ['services', 'states', 'tasks']) {
    it(`${kind}: create (201 + Location), list, get any case, delete`, async () => {
      const created = await h.api.post(`/metadata/${kind}/extensions`, SATISFACTION)
      expect(created.status).toBe(201)
      expect(created.body).toEqual({ name: 'Satisfaction' })
      expect(created.headers.get('Location')).toBe(`/metadata/${kind}/extensions/Satisfaction`)
      const aliased = await h.api.post(`/genesys/1/cs/metadata/${kind}/extensions`, FEEDBACK)
      expect(aliased.headers.get('Location')).toBe(`/genesys/1/cs/metadata/${kind}/extensions/Feedback`)

      // The vendor's full shape: every property of every attribute (docs/behaviour.md#extension-schemas).
      const none = { length: 0, mandatory: false, unique: false, encrypt: false }
      const expected = {
        name: 'Satisfaction',
        type: 'multi-valued',
        attributes: [
          { name: 'rating', type: 'integer', ...none },
          { name: 'pertinence', type: 'integer', ...none },
          { name: 'usefull', type: 'boolean', ...none },
          { name: 'place', type: 'string', length: 64, mandatory: true, unique: true, encrypt: false },
        ],
        unique: ['place'],
      }
      expect((await h.api.get(`/metadata/${kind}/extensions`)).body).toEqual([
        expected,
        {
          name: 'Feedback',
          type: 'single-valued',
          attributes: [
            { name: 'FeedbackType', type: 'string', ...none, length: 32 },
            { name: 'rating', type: 'integer', ...none },
            { name: 'notes', type: 'string', ...none, length: 256 },
          ],
          unique: [],
        },
      ])
      expect((await h.api.get(`/metadata/${kind}/extensions/SATISFACTION`)).body).toEqual(expected)
      expect(
        (await h.api.post(`/metadata/${kind}/extensions`, { ...SATISFACTION, name: 'satisfaction' })).status,
      ).toBe(409)

      expect((await h.api.delete(`/metadata/${kind}/extensions/satisfaction`)).status).toBe(204)
      expect((await h.api.get(`/metadata/${kind}/extensions/Satisfaction`)).status).toBe(404)
      expect((await h.api.delete(`/metadata/${kind}/extensions/Satisfaction`)).status).toBe(404)
      await h.api.delete(`/metadata/${kind}/extensions/Feedback`)
      expect(await h.db.$count(extensionSchemas)).toBe(0)
    })
  }

  it('deleting a schema deletes its records atomically and bumps the metadata version', async () => {
    await h.api.post('/metadata/services/extensions', FEEDBACK)
    const start = await h.api.post('/services/start', {
      service_type: 1,
      customer_id: 'C',
      Feedback: { rating: 1 },
    })
    const [{ metadataVersion: before }] = await h.db.select().from(tenantState)
    expect(await h.db.$count(extensionRecords, eq(extensionRecords.ownerId, start.body.service_id))).toBe(1)
    expect((await h.api.delete('/metadata/services/extensions/Feedback')).status).toBe(204)
    expect(await h.db.$count(extensionRecords, eq(extensionRecords.extension, 'feedback'))).toBe(0)
    const [{ metadataVersion: after }] = await h.db.select().from(tenantState)
    expect(after).toBe(before + 1)
    // The name is free again, and the old records do not come back.
    await h.api.post('/metadata/services/extensions', FEEDBACK)
    expect(
      (await h.api.get(`/services/${start.body.service_id}?extensions=Feedback`)).body,
    ).not.toHaveProperty('Feedback')
  })
})

describe('schema validation', () => {
  const refused: [string, unknown, string][] = [
    ['a name starting with a digit', { ...FEEDBACK, name: '1abc' }, 'validation_failed'],
    ['a name with a dash', { ...FEEDBACK, name: 'a-b' }, 'validation_failed'],
    ['a 27-character name', { ...FEEDBACK, name: `A${'b'.repeat(26)}` }, 'validation_failed'],
    ['a reserved name', { ...FEEDBACK, name: 'Disposition' }, 'reserved_name'],
    ['a reserved list name', { ...FEEDBACK, name: 'active_states' }, 'reserved_name'],
    ['an unknown type', { ...FEEDBACK, type: 'classifier' }, 'validation_failed'],
    ['no attributes', { name: 'NoAttrs', type: 'single-valued' }, 'validation_failed'],
    ['an unknown attribute type', schema([{ name: 'a', type: 'text' }]), 'validation_failed'],
    [
      'a duplicate attribute (case-insensitive)',
      schema([
        { name: 'a', type: 'string' },
        { name: 'A', type: 'integer' },
      ]),
      'validation_failed',
    ],
    ['an attribute name with a dot', schema([{ name: 'a.b', type: 'string' }]), 'validation_failed'],
    [
      'an attribute name of 65 characters',
      schema([{ name: 'a'.repeat(65), type: 'string' }]),
      'validation_failed',
    ],
    [
      'a default of the wrong type',
      schema([{ name: 'a', type: 'integer', default: 'x' }]),
      'validation_failed',
    ],
    [
      'a default longer than length',
      schema([{ name: 'a', type: 'string', length: 3, default: 'abcd' }]),
      'validation_failed',
    ],
    [
      'unique on a single-valued schema',
      schema([{ name: 'a', type: 'string' }], { unique: ['a'] }),
      'validation_failed',
    ],
    [
      'unique naming no attribute',
      schema([{ name: 'a', type: 'string' }], { type: 'multi-valued', unique: ['b'] }),
      'validation_failed',
    ],
    ['an unknown schema field', { ...FEEDBACK, name: 'Other', colour: 1 }, 'validation_failed'],
  ]
  for (const [what, body, code] of refused) {
    it(`refuses ${what}`, async () => {
      const before = await h.db.$count(extensionSchemas)
      const response = await h.api.post('/metadata/services/extensions', body)
      expect(response.status).toBe(400)
      expect(response.body.code).toBe(code)
      expect(await h.db.$count(extensionSchemas)).toBe(before)
    })
  }

  it('accepts string forms of mandatory and length, any type case, and stores real types', async () => {
    const body = {
      name: 'Loose',
      type: 'Multi-Valued',
      unique: ['CODE'],
      attributes: [
        { name: 'code', type: 'String', length: '3', mandatory: 'true' },
        { name: 'when', type: 'DateTime', default: '2009-12-18T19:30:00+01:00' },
        { name: 'amount', type: 'currency', default: 12.5 },
        { name: 'big', type: 'LONG', default: '9007199254740993' },
      ],
    }
    expect((await h.api.post('/metadata/tasks/extensions', body)).status).toBe(201)
    expect((await h.api.get('/metadata/tasks/extensions/loose')).body).toEqual({
      name: 'Loose',
      type: 'multi-valued',
      attributes: [
        { name: 'code', type: 'string', length: 3, mandatory: true, unique: true, encrypt: false },
        { ...NONE, name: 'when', type: 'datetime', default: '2009-12-18T18:30:00.000Z' },
        { ...NONE, name: 'amount', type: 'currency', default: '12.5' },
        { ...NONE, name: 'big', type: 'long', default: '9007199254740993' },
      ],
      unique: ['code'],
    })
  })
})

/** The properties `GET` prints for an attribute that sets none of them. */
const NONE = { length: 0, mandatory: false, unique: false, encrypt: false }

describe('extension values against their schema', () => {
  beforeAll(async () => {
    await h.api.post('/metadata/services/extensions', {
      name: 'Typed',
      type: 'single-valued',
      attributes: [
        { name: 'flag', type: 'boolean' },
        { name: 'small', type: 'integer' },
        { name: 'big', type: 'long' },
        { name: 'ratio', type: 'double' },
        { name: 'day', type: 'date' },
        { name: 'at', type: 'datetime' },
        { name: 'price', type: 'currency' },
        { name: 'Code', type: 'string', length: 3, mandatory: true },
        { name: 'prefix', type: 'string', default: '555' },
      ],
    })
  })

  async function put(value: unknown) {
    const start = await h.api.post('/services/start', { service_type: 1, customer_id: 'T' })
    const id = start.body.service_id
    const response = await h.api.put(`/services/${id}/extensions/Typed`, value)
    const [row] = await h.db
      .select()
      .from(extensionRecords)
      .where(and(eq(extensionRecords.ownerId, id), eq(extensionRecords.extension, 'typed')))
    return { response, stored: row?.data }
  }

  it('stores canonical values, matches attribute names case-insensitively and fills defaults', async () => {
    const { response, stored } = await put({
      FLAG: true,
      small: -2147483648,
      big: '-9223372036854775808',
      ratio: 0.5,
      day: '2024-02-29',
      at: '2024-02-29T23:30:00-01:00',
      price: 10,
      code: '',
    })
    expect(response.status).toBe(204)
    expect(stored).toEqual({
      flag: true,
      small: -2147483648,
      big: '-9223372036854775808',
      ratio: 0.5,
      day: '2024-02-29',
      at: '2024-03-01T00:30:00.000Z',
      price: '10',
      Code: '',
      prefix: '555',
    })
    const { stored: safe } = await put({ big: '42', Code: 'a' })
    expect(safe).toEqual({ big: 42, Code: 'a', prefix: '555' })
  })

  it('accepts the exact text of a typed value and stores the typed value (ORS/VXML variables are strings)', async () => {
    const { response, stored } = await put({
      Code: 'a',
      flag: 'TRUE',
      small: '-2147483648',
      big: '9007199254740993',
      ratio: '1e3',
      price: '12.50',
    })
    expect(response.status).toBe(204)
    expect(stored).toEqual({
      Code: 'a',
      flag: true,
      small: -2147483648,
      big: '9007199254740993',
      ratio: 1000,
      price: '12.50',
      prefix: '555',
    })
    const { stored: max } = await put({
      Code: 'a',
      small: '2147483647',
      big: '9007199254740991',
      flag: 'false',
    })
    expect(max).toEqual({ Code: 'a', small: 2147483647, big: 9007199254740991, flag: false, prefix: '555' })
  })

  const refused: [string, unknown][] = [
    ['a missing mandatory attribute', { flag: true }],
    ['a string that is no boolean', { Code: 'a', flag: 'yes' }],
    ['a string beyond 32 bits for an integer', { Code: 'a', small: '2147483648' }],
    ['a decimal string for an integer', { Code: 'a', small: '7.0' }],
    ['a padded string for an integer', { Code: 'a', small: ' 7' }],
    ['a string that is no JSON number for a double', { Code: 'a', ratio: '.5' }],
    ['NaN for a double', { Code: 'a', ratio: 'NaN' }],
    ['an integer beyond 32 bits', { Code: 'a', small: 2147483648 }],
    ['an unsafe JSON number for a long', '{"Code":"a","big":9007199254740993}'],
    ['a long beyond 64 bits', { Code: 'a', big: '9223372036854775808' }],
    ['an impossible date', { Code: 'a', day: '2023-02-29' }],
    ['a date-time without zone', { Code: 'a', at: '2024-01-01T10:00:00' }],
    ['a non-decimal currency', { Code: 'a', price: '1e3' }],
    ['a string over its length', { Code: 'abcd' }],
    ['an attribute given twice in two cases', { Code: 'a', code: 'b' }],
  ]
  for (const [what, value] of refused) {
    it(`refuses ${what}`, async () => {
      const { response, stored } = await put(value)
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('invalid_extension_value')
      expect(stored).toBeUndefined()
    })
  }
})

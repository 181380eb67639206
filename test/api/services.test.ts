import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionRecords, services } from '../../src/db/tables'
import { FEEDBACK, SATISFACTION, SEED_END_BODY, x } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness

beforeAll(async () => {
  h = await createHarness()
  expect((await h.api.post('/metadata/services/extensions', SATISFACTION)).status).toBe(201)
  expect((await h.api.post('/metadata/services/extensions', FEEDBACK)).status).toBe(201)
})
afterAll(() => h.close())

async function startService(body: Record<string, unknown> = {}, tenant?: string): Promise<number> {
  const response = await h.api.post(
    '/services/start',
    { service_type: 7, customer_id: 'C-1', ...body },
    { tenant },
  )
  expect(response.status).toBe(200)
  return response.body.service_id
}

async function serviceRow(id: number) {
  const [row] = await h.db.select().from(services).where(eq(services.id, id))
  return row
}

async function recordsOf(id: number, extension?: string) {
  const rows = await h.db
    .select()
    .from(extensionRecords)
    .where(
      and(
        eq(extensionRecords.ownerKind, 'service'),
        eq(extensionRecords.ownerId, id),
        extension ? eq(extensionRecords.extension, extension) : undefined,
      ),
    )
    .orderBy(extensionRecords.id)
  return rows
}

describe('the seed example', () => {
  it('completes a service with the seed body and reads it back exactly', async () => {
    const id = await startService({ session_id: 'S-1', timestamp: '2009-05-12T12:00:00Z' })
    const end = await h.api.post(`/services/${id}/end`, SEED_END_BODY)
    expect(end.status).toBe(204)
    expect(end.text).toBe('')

    const read = await h.api.get(`/services/${id}?extensions=Feedback,Satisfaction`)
    expect(read.status).toBe(200)
    expect(read.headers.get('Content-Type')).toBe('application/json; charset=utf-8')
    expect(read.body).toEqual({
      service_id: id,
      customer_id: 'C-1',
      service_type: 7,
      started: { timestamp: '2009-05-12T12:00:00.000Z', session_id: 'S-1' },
      completed: {
        timestamp: '2009-05-12T12:05:12.145Z',
        interaction_id: '123ABCAADFJ1259ACF',
        resource_type: 2,
        resource_id: 5005,
        media_type: 1,
        disposition: 10,
        disposition_desc: 'SUCCESS',
      },
      Feedback: SEED_END_BODY.Feedback,
      Satisfaction: SEED_END_BODY.Satisfaction,
    })

    const row = await serviceRow(id)
    expect(row.completed).toMatchObject({ timestamp: '2009-05-12T12:05:12.145Z', disposition: 10 })
    const records = await recordsOf(id)
    expect(records.map((r) => [r.extension, r.recordKey, r.data])).toEqual([
      ['feedback', '', SEED_END_BODY.Feedback],
      ['satisfaction', '["Terranova mexico resort"]', SEED_END_BODY.Satisfaction[0]],
      ['satisfaction', '["Fancy resort Paris"]', SEED_END_BODY.Satisfaction[1]],
    ])
  })

  it('omits extensions that were not asked for, and emits the representation in order', async () => {
    const id = await startService({ contact_key: '555-0100', est_duration: 300, Feedback: { rating: 1 } })
    const read = await h.api.get(`/services/${id}`)
    expect(Object.keys(read.body)).toEqual([
      'service_id',
      'customer_id',
      'contact_key',
      'service_type',
      'est_duration',
      'started',
    ])
    const withExt = await h.api.get(`/services/${id}?extensions=feedback,SATISFACTION`)
    expect(withExt.body.Feedback).toEqual({ rating: 1 })
    expect(withExt.body.Satisfaction).toEqual([])
  })
})

describe('Start Service', () => {
  it('starts an anonymous service with extensions in the body, stored under the new id', async () => {
    const response = await h.api.post('/services/start', {
      service_type: 'Booking',
      contact_key: '408-832-7799',
      application_id: '42',
      interaction_id: 42,
      Satisfaction: [{ place: 'here', rating: 1 }],
    })
    expect(response.status).toBe(200)
    const id = response.body.service_id
    expect(Number.isInteger(id)).toBe(true)
    const row = await serviceRow(id)
    expect(row).toMatchObject({ customerId: null, contactKey: '408-832-7799', serviceType: 'Booking' })
    expect(row.started).toMatchObject({ application_id: 42, interaction_id: '42' })
    expect(typeof row.started.timestamp).toBe('string')
    expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: 1, place: 'here' }])
  })

  it('needs customer_id or contact_key, and service_type', async () => {
    const before = await h.db.$count(services)
    const neither = await h.api.post('/services/start', { service_type: 1 })
    expect(neither.status).toBe(400)
    expect(neither.body.code).toBe('validation_failed')
    const noType = await h.api.post('/services/start', { customer_id: 'C-1' })
    expect(noType.status).toBe(400)
    expect(noType.body.issues).toEqual([{ path: 'service_type', message: expect.any(String) }])
    expect(await h.db.$count(services)).toBe(before)
  })

  it('writes nothing when an extension in the body is invalid', async () => {
    const before = await h.db.$count(services)
    const records = await h.db.$count(extensionRecords)
    const response = await h.api.post('/services/start', {
      service_type: 1,
      customer_id: 'C-9',
      Feedback: { rating: 'high' },
    })
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('invalid_extension_value')
    expect(response.body.issues).toEqual([{ path: 'Feedback.rating', message: 'must be a 32-bit integer' }])
    expect(await h.db.$count(services)).toBe(before)
    expect(await h.db.$count(extensionRecords)).toBe(records)
  })
})

describe('field limits at the boundary', () => {
  const cases: [string, string, number][] = [
    ['session_id', 'end', 32],
    ['interaction_id', 'end', 50],
    ['disposition_desc', 'end', 64],
    ['customer_id', 'start', 16],
    ['contact_key', 'start', 128],
  ]
  for (const [field, where, limit] of cases) {
    it(`${field}: ${limit} characters pass, ${limit + 1} are refused`, async () => {
      if (where === 'start') {
        const base = field === 'customer_id' ? { contact_key: 'K' } : { customer_id: 'C-2' }
        const ok = await h.api.post('/services/start', { service_type: 1, ...base, [field]: x(limit) })
        expect(ok.status).toBe(200)
        expect(
          (await serviceRow(ok.body.service_id))[field === 'customer_id' ? 'customerId' : 'contactKey'],
        ).toBe(x(limit))
        const before = await h.db.$count(services)
        const tooLong = await h.api.post('/services/start', {
          service_type: 1,
          ...base,
          [field]: x(limit + 1),
        })
        expect(tooLong.status).toBe(400)
        expect(tooLong.body.issues[0].path).toBe(field)
        expect(await h.db.$count(services)).toBe(before)
      } else {
        const refused = await startService()
        const tooLong = await h.api.post(`/services/${refused}/end`, { [field]: x(limit + 1) })
        expect(tooLong.status).toBe(400)
        expect(tooLong.body.issues).toEqual([{ path: field, message: `must be at most ${limit} characters` }])
        expect((await serviceRow(refused)).completed).toBeNull()
        const ok = await h.api.post(`/services/${refused}/end`, { [field]: x(limit) })
        expect(ok.status).toBe(204)
        expect((await serviceRow(refused)).completed?.[field]).toBe(x(limit))
      }
    })
  }
})

describe('bad input is a 400 that changes nothing', () => {
  let id: number
  beforeAll(async () => {
    id = await startService({ Feedback: { rating: 5 } })
  })

  const bad: [string, unknown, string][] = [
    ['invalid JSON', '{"disposition": 1,', 'invalid_json'],
    ['a JSON array', '[1]', 'invalid_json'],
    ['a wrong type', { disposition: true }, 'validation_failed'],
    ['an empty-string business attribute', { media_type: '' }, 'validation_failed'],
    ['a fractional id field', { resource_id: 1.5 }, 'validation_failed'],
    ['a negative id field', { application_id: -1 }, 'validation_failed'],
    ['an unknown field', { disposition: 1, colour: 'red' }, 'unknown_field'],
    ['an unknown extension', { Survey: { a: 1 } }, 'unknown_field'],
    ['an unknown extension attribute', { Feedback: { stars: 5 } }, 'invalid_extension_value'],
    ['a too-long extension string', { Feedback: { FeedbackType: x(33) } }, 'invalid_extension_value'],
    ['a single-valued extension as an array', { Feedback: [{ rating: 1 }] }, 'invalid_extension_value'],
    ['a multi-valued extension as an object', { Satisfaction: { place: 'a' } }, 'invalid_extension_value'],
    [
      'a record without its mandatory attribute',
      { Satisfaction: [{ rating: 1 }] },
      'invalid_extension_value',
    ],
    ['a bad timestamp', { timestamp: '2009-02-30T10:00:00Z' }, 'validation_failed'],
    ['a timestamp without a zone', { timestamp: '2009-05-12T12:05:12' }, 'validation_failed'],
  ]
  for (const [what, body, code] of bad) {
    it(what, async () => {
      const response = await h.api.post(`/services/${id}/end`, body)
      expect(response.status).toBe(400)
      expect(response.body.code).toBe(code)
      expect((await serviceRow(id)).completed).toBeNull()
      expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: 5 }])
    })
  }

  it('never echoes the input back in an error', async () => {
    const response = await h.api.post(`/services/${id}/end`, { session_id: `SECRET-${x(40)}` })
    expect(response.status).toBe(400)
    expect(response.text).not.toContain('SECRET')
  })

  it('rejects a bad path id and answers 404 for an unknown service', async () => {
    for (const path of ['/services/abc/end', '/services/0/end', '/services/-3/end', '/services/1.5/end']) {
      const response = await h.api.post(path, {})
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('invalid_parameter')
    }
    const unknown = await h.api.post('/services/999999/end', {})
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatchObject({ code: 'service_not_found', uri: '/services/999999/end' })
  })

  it('checks the body before existence: 400 wins over 404', async () => {
    const response = await h.api.post('/services/999999/end', { colour: 'red' })
    expect(response.status).toBe(400)
  })
})

describe('Complete Service', () => {
  it('completing twice is 409 and changes nothing', async () => {
    const id = await startService()
    expect(
      (await h.api.post(`/services/${id}/end`, { disposition: 1, Feedback: { rating: 1 } })).status,
    ).toBe(204)
    const first = await serviceRow(id)
    const again = await h.api.post(`/services/${id}/end`, { disposition: 2, Feedback: { rating: 2 } })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('already_completed')
    expect(await serviceRow(id)).toEqual(first)
    expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: 1 }])
  })

  it('concurrent completions of one service: one 204, every other 409, one stored completion', async () => {
    // Sent together: on the local client they are also committed together (docs/design.md#group-commit).
    const id = await startService()
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) =>
        h.api.post(`/services/${id}/end`, { disposition: n, Feedback: { rating: n } }),
      ),
    )
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.filter((status) => status === 204)).toHaveLength(1)
    expect(statuses.filter((status) => status === 409)).toHaveLength(5)
    const winner = statuses.indexOf(204) + 1
    expect((await serviceRow(id)).completed).toMatchObject({ disposition: winner })
    expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: winner }])
  })

  it('concurrent completions of different services all land, each with its own records', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => startService()))
    const answers = await Promise.all(
      ids.map((id, n) => h.api.post(`/services/${id}/end`, { disposition: n, Feedback: { rating: n } })),
    )
    expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 204))
    for (const [n, id] of ids.entries()) {
      expect((await serviceRow(id)).completed).toMatchObject({ disposition: n })
      expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: n }])
    }
  })

  it('an empty body completes with the server time', async () => {
    const id = await startService()
    const before = Date.now()
    const response = await h.api.send('POST', `/services/${id}/end`)
    expect(response.status).toBe(204)
    const completed = (await serviceRow(id)).completed
    expect(Object.keys(completed ?? {})).toEqual(['timestamp'])
    expect(Date.parse(String(completed?.timestamp))).toBeGreaterThanOrEqual(before - 5)
  })

  it('normalises timestamps with offsets to UTC with milliseconds', async () => {
    const id = await startService()
    await h.api.post(`/services/${id}/end`, { timestamp: '2009-05-12T14:05:12.1+02:00' })
    expect((await serviceRow(id)).completed?.timestamp).toBe('2009-05-12T12:05:12.100Z')
  })

  it('replaces only the extensions it names', async () => {
    const id = await startService({
      Feedback: { rating: 1 },
      Satisfaction: [{ place: 'a' }, { place: 'b' }],
    })
    await h.api.post(`/services/${id}/end`, { Satisfaction: [{ place: 'c', usefull: true }] })
    const read = await h.api.get(`/services/${id}?extensions=Feedback,Satisfaction`)
    expect(read.body.Feedback).toEqual({ rating: 1 })
    expect(read.body.Satisfaction).toEqual([{ usefull: true, place: 'c' }])
  })
})

describe('atomicity', () => {
  it('a set whose second record repeats a unique value leaves the previous value and the service untouched', async () => {
    const id = await startService({ Satisfaction: [{ place: 'old' }] })
    const response = await h.api.post(`/services/${id}/end`, {
      Feedback: { rating: 3 },
      Satisfaction: [{ place: 'new' }, { place: 'new', rating: 2 }],
    })
    expect(response.status).toBe(400)
    expect(response.body.issues).toEqual([
      { path: 'Satisfaction[1]', message: 'repeats the unique attributes of another record' },
    ])
    expect((await serviceRow(id)).completed).toBeNull()
    expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ place: 'old' }])
  })

  it('a statement failing late in the batch rolls back everything before it', async () => {
    const id = await startService({ Feedback: { rating: 1 }, Satisfaction: [{ place: 'old' }] })
    // A trigger makes the database itself refuse one record, after the service update, the Feedback
    // replacement and the Satisfaction delete have run inside the batch.
    await h.client.execute(`CREATE TRIGGER refuse_boom BEFORE INSERT ON extension_records
      WHEN json_extract(NEW.data, '$.place') = 'BOOM' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`)
    try {
      const response = await h.api.post(`/services/${id}/end`, {
        disposition: 1,
        Feedback: { rating: 9 },
        Satisfaction: [{ place: 'fine' }, { place: 'BOOM' }],
      })
      expect(response.status).toBe(500)
      expect(response.body.code).toBe('internal_error')
      expect(response.text).not.toContain('refused by test')
    } finally {
      await h.client.execute('DROP TRIGGER refuse_boom')
    }
    expect((await serviceRow(id)).completed).toBeNull()
    expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: 1 }, { place: 'old' }])
  })
})

describe('concurrency', () => {
  it('two completes sent at once: one 204, one 409, and the stored value is one whole body', async () => {
    const id = await startService()
    const bodies = [
      { disposition: 1, Satisfaction: [{ place: 'a1' }, { place: 'a2' }] },
      { disposition: 2, Satisfaction: [{ place: 'b1' }, { place: 'b2' }] },
    ]
    const responses = await Promise.all(bodies.map((body) => h.api.post(`/services/${id}/end`, body)))
    expect(responses.map((r) => r.status).sort()).toEqual([204, 409])
    const winner = bodies[responses.findIndex((r) => r.status === 204)]
    expect((await serviceRow(id)).completed?.disposition).toBe(winner.disposition)
    expect((await recordsOf(id)).map((r) => r.data)).toEqual(winner.Satisfaction)
  })

  it('the guard holds when the second write batch was built from a read taken before the first committed', async () => {
    const id = await startService()
    // Hold the next write batch (the one after request B's metadata read) until A has finished.
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    // B's write batch (built from metadata read before A ran) is held until A has committed.
    let holding = false
    h.counter.beforeBatch = (_index, statements) => {
      const isWrite = JSON.stringify(statements).includes('update \\"services\\" set \\"completed\\"')
      if (!isWrite || holding) return undefined
      holding = true
      return held
    }
    try {
      const b = h.api.post(`/services/${id}/end`, { disposition: 2, Feedback: { rating: 2 } })
      while (!holding) await new Promise((resolve) => setTimeout(resolve, 1))
      h.counter.beforeBatch = undefined
      const a = await h.api.post(`/services/${id}/end`, { disposition: 1, Feedback: { rating: 1 } })
      expect(a.status).toBe(204)
      release()
      const late = await b
      expect(late.status).toBe(409)
      expect(late.body.code).toBe('already_completed')
    } finally {
      h.counter.beforeBatch = undefined
      release()
    }
    expect((await serviceRow(id)).completed?.disposition).toBe(1)
    expect((await recordsOf(id)).map((r) => r.data)).toEqual([{ rating: 1 }])
  })
})

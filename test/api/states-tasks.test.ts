import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionRecords, states, tasks } from '../../src/db/tables'
import { FEEDBACK, SATISFACTION } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness

const SURVEY = {
  name: 'Survey',
  type: 'single-valued',
  attributes: [
    { name: 'url', type: 'string' },
    { name: 'question1', type: 'integer' },
    { name: 'question2', type: 'boolean' },
    { name: 'question3', type: 'string' },
  ],
}
const PROPOSAL = {
  name: 'Proposal',
  type: 'multi-valued',
  attributes: [
    { name: 'car type', type: 'string' },
    { name: 'price', type: 'integer' },
    { name: 'seats', type: 'integer' },
    { name: 'comments', type: 'string' },
  ],
}

beforeAll(async () => {
  h = await createHarness()
  for (const schema of [SATISFACTION, FEEDBACK]) {
    expect((await h.api.post('/metadata/states/extensions', schema)).status).toBe(201)
    expect((await h.api.post('/metadata/services/extensions', schema)).status).toBe(201)
  }
  for (const schema of [SURVEY, PROPOSAL]) {
    expect((await h.api.post('/metadata/tasks/extensions', schema)).status).toBe(201)
  }
})
afterAll(() => h.close())

async function startService(body: Record<string, unknown> = {}) {
  const response = await h.api.post('/services/start', { service_type: 7, customer_id: 'JOURNEY', ...body })
  expect(response.status).toBe(200)
  return response.body.service_id as number
}
async function startState(serviceId: number, body: Record<string, unknown>) {
  const response = await h.api.post(`/services/${serviceId}/states/start`, body)
  expect(response.status).toBe(200)
  return response.body.state_id as number
}
async function startTask(serviceId: number, body: Record<string, unknown>) {
  const response = await h.api.post(`/services/${serviceId}/tasks/start`, body)
  expect(response.status).toBe(200)
  return response.body.task_id as number
}
const stateRows = (serviceId: number) =>
  h.db.select().from(states).where(eq(states.serviceId, serviceId)).orderBy(states.id)
const taskRows = (serviceId: number) =>
  h.db.select().from(tasks).where(eq(tasks.serviceId, serviceId)).orderBy(tasks.id)
const T = (minute: number) => `2026-11-28T09:${String(minute).padStart(2, '0')}:00.000Z`

describe('the full life of one journey', () => {
  it('start service → state A → task in A → transition A→B → complete task → complete service', async () => {
    const sid = await startService({ timestamp: T(0), session_id: 'S-1' })
    const a = await startState(sid, {
      state_type: 1,
      timestamp: T(1),
      est_duration: 30,
      interaction_id: 'I-1',
    })
    const all = '?active_states=true&completed_states=true&active_tasks=true&completed_tasks=true'
    expect((await h.api.get(`/services/${sid}${all}`)).body).toEqual({
      service_id: sid,
      customer_id: 'JOURNEY',
      service_type: 7,
      started: { timestamp: T(0), session_id: 'S-1' },
      active_states: [
        { state_id: a, state_type: 1, est_duration: 30, started: { timestamp: T(1), interaction_id: 'I-1' } },
      ],
      completed_states: [],
      active_tasks: [],
      completed_tasks: [],
    })

    const task = await startTask(sid, { task_type: 'STT-DefineCustomerNeed', state_id: a, timestamp: T(2) })
    expect((await h.api.get(`/services/${sid}/states/${a}?active_tasks=true`)).body).toEqual({
      service_id: sid,
      state_id: a,
      state_type: 1,
      est_duration: 30,
      started: { timestamp: T(1), interaction_id: 'I-1' },
      active_tasks: [
        { task_id: task, task_type: 'STT-DefineCustomerNeed', state_id: a, started: { timestamp: T(2) } },
      ],
    })

    const transition = await h.api.post(`/services/${sid}/states/transition`, {
      from: { state_id: a, disposition: 5, disposition_desc: 'identified' },
      to: { state_type: 2, est_duration: 60 },
      timestamp: T(3),
      media_type: 1,
    })
    expect(transition.status).toBe(200)
    const b = transition.body.state_id
    expect(b).toBeGreaterThan(a)
    const afterTransition = await h.api.get(`/services/${sid}/states`)
    expect(afterTransition.body).toEqual([
      {
        service_id: sid,
        state_id: a,
        state_type: 1,
        est_duration: 30,
        started: { timestamp: T(1), interaction_id: 'I-1' },
        completed: { timestamp: T(3), media_type: 1, disposition: 5, disposition_desc: 'identified' },
      },
      {
        service_id: sid,
        state_id: b,
        state_type: 2,
        previous_state_id: a,
        est_duration: 60,
        started: { timestamp: T(3), media_type: 1 },
      },
    ])

    expect(
      (await h.api.post(`/services/${sid}/tasks/${task}/end`, { timestamp: T(4), disposition: 'done' }))
        .status,
    ).toBe(204)
    expect((await h.api.get(`/services/${sid}/tasks/active`)).body).toEqual([])
    expect((await h.api.get(`/services/${sid}/tasks/completed`)).body).toEqual([
      {
        service_id: sid,
        task_id: task,
        task_type: 'STT-DefineCustomerNeed',
        state_id: a,
        started: { timestamp: T(2) },
        completed: { timestamp: T(4), disposition: 'done' },
      },
    ])

    expect((await h.api.post(`/services/${sid}/end`, { timestamp: T(5), disposition: 10 })).status).toBe(204)
    const final = await h.api.get(`/services/${sid}${all}`)
    expect(final.body.active_states).toEqual([])
    expect(final.body.completed_states.map((s: any) => [s.state_id, s.completed])).toEqual([
      [a, { timestamp: T(3), media_type: 1, disposition: 5, disposition_desc: 'identified' }],
      [b, { timestamp: T(5) }],
    ])
    expect(final.body.completed_tasks.map((t: any) => t.task_id)).toEqual([task])

    const dbStates = await stateRows(sid)
    expect(dbStates.map((s) => [s.id, s.stateType, s.previousStateId, s.completed?.timestamp])).toEqual([
      [a, 1, null, T(3)],
      [b, 2, a, T(5)],
    ])
    const dbTasks = await taskRows(sid)
    expect(dbTasks.map((t) => [t.id, t.stateId, t.completed])).toEqual([
      [task, a, { timestamp: T(4), disposition: 'done' }],
    ])
  })
})

describe('docs/behaviour.md#representations representations, literally', () => {
  it('service with every flag and extensions; state with tasks; task', async () => {
    const sid = await startService({
      customer_id: '0004Va58A92T0017',
      est_duration: 300,
      timestamp: '2026-11-28T09:00:00.000Z',
      session_id: 'S-1',
      interaction_id: 'I-1',
      application_type: 1,
      application_id: 12,
      resource_type: 2,
      resource_id: 5005,
      media_type: 1,
      Feedback: { FeedbackType: 'survey', rating: 7, notes: '…' },
      Satisfaction: [{ rating: 2, pertinence: 8, usefull: true, place: 'Terranova mexico resort' }],
    })
    const s7 = await startState(sid, { state_type: 1, timestamp: T(1) })
    const t9 = await startTask(sid, { task_type: 'STT-DefineCustomerNeed', state_id: s7, timestamp: T(2) })
    await h.api.post(`/services/${sid}/tasks/${t9}/end`, { timestamp: T(3) })
    await h.api.post(`/services/${sid}/states/${s7}/end`, { timestamp: T(4), disposition: 5 })
    await h.api.post(`/services/${sid}/end`, {
      timestamp: '2026-11-28T09:05:12.145Z',
      disposition: 10,
      disposition_desc: 'SUCCESS',
    })
    const read = await h.api.get(
      `/services/${sid}?active_states=true&completed_states=true&active_tasks=true&completed_tasks=true&extensions=Feedback,Satisfaction`,
    )
    expect(read.text).toBe(
      JSON.stringify({
        service_id: sid,
        customer_id: '0004Va58A92T0017',
        service_type: 7,
        est_duration: 300,
        started: {
          timestamp: '2026-11-28T09:00:00.000Z',
          session_id: 'S-1',
          interaction_id: 'I-1',
          application_type: 1,
          application_id: 12,
          resource_type: 2,
          resource_id: 5005,
          media_type: 1,
        },
        completed: { timestamp: '2026-11-28T09:05:12.145Z', disposition: 10, disposition_desc: 'SUCCESS' },
        active_states: [],
        completed_states: [
          {
            state_id: s7,
            state_type: 1,
            started: { timestamp: T(1) },
            completed: { timestamp: T(4), disposition: 5 },
          },
        ],
        active_tasks: [],
        completed_tasks: [
          {
            task_id: t9,
            task_type: 'STT-DefineCustomerNeed',
            state_id: s7,
            started: { timestamp: T(2) },
            completed: { timestamp: T(3) },
          },
        ],
        Feedback: { FeedbackType: 'survey', rating: 7, notes: '…' },
        Satisfaction: [{ rating: 2, pertinence: 8, usefull: true, place: 'Terranova mexico resort' }],
      }),
    )

    const sid2 = await startService()
    const s1 = await startState(sid2, { state_type: 1, timestamp: T(1) })
    const s8 = await startState(sid2, {
      state_type: 2,
      previous_state_id: s1,
      est_duration: 30,
      interaction_id: 'I-1',
      timestamp: T(2),
    })
    const t10 = await startTask(sid2, { task_type: 3, state_id: s8, timestamp: T(3) })
    const state = await h.api.get(`/services/${sid2}/states/${s8}?active_tasks=true`)
    expect(state.text).toBe(
      JSON.stringify({
        service_id: sid2,
        state_id: s8,
        state_type: 2,
        previous_state_id: s1,
        est_duration: 30,
        started: { timestamp: T(2), interaction_id: 'I-1' },
        active_tasks: [{ task_id: t10, task_type: 3, state_id: s8, started: { timestamp: T(3) } }],
      }),
    )
    const task = await h.api.get(`/services/${sid2}/tasks/${t10}`)
    expect(task.text).toBe(
      JSON.stringify({
        service_id: sid2,
        task_id: t10,
        task_type: 3,
        state_id: s8,
        started: { timestamp: T(3) },
      }),
    )
  })
})

describe('vendor examples E1–E9 (corrected), with the status codes of docs/behaviour.md#success-statuses', () => {
  it('E3/E4: update service extensions, single and multi-valued → 204', async () => {
    await h.api.post('/metadata/services/extensions', {
      name: 'score',
      type: 'single-valued',
      attributes: [
        { name: 'score', type: 'integer' },
        { name: 'agentID', type: 'integer' },
      ],
    })
    await h.api.post('/metadata/services/extensions', {
      name: 'relatedOffers',
      type: 'multi-valued',
      attributes: [
        { name: 'offer_name', type: 'string' },
        { name: 'comments', type: 'string' },
      ],
    })
    const sid = await startService()
    expect((await h.api.put(`/services/${sid}/extensions/score`, { score: 85, agentID: 2025 })).status).toBe(
      204,
    )
    const offers = [
      { offer_name: 'VIP credit card black ed.', comments: 'proposed to all client' },
      { offer_name: '3 times payment GOLD', comments: 'limited offer' },
      { offer_name: 'life insurance', comments: 'health check to be done before approval' },
    ]
    expect((await h.api.put(`/services/${sid}/extensions/relatedOffers`, offers)).status).toBe(204)
    const read = await h.api.get(`/services/${sid}?extensions=score,relatedOffers`)
    expect(read.body.score).toEqual({ score: 85, agentID: 2025 })
    expect(read.body.relatedOffers).toEqual(offers)
  })

  it('E5/E6: update state extensions → 204; E1: query active states with tasks and Feedback', async () => {
    const sid = await startService()
    const st = await startState(sid, {
      state_type: 100,
      est_duration: 60,
      interaction_id: '51',
      timestamp: '2010-05-18T15:23:34.447Z',
    })
    const satisfaction = [
      { rating: 2, pertinence: 8, usefull: true, place: 'Terranova mexico resort' },
      { rating: 8, pertinence: 4, usefull: false, place: 'Fancy resort Paris' },
    ]
    expect(
      (await h.api.put(`/genesys/1/cs/services/${sid}/states/${st}/extensions/Satisfaction`, satisfaction))
        .status,
    ).toBe(204)
    const feedback = {
      FeedbackType: 'survey',
      rating: 7,
      notes: 'warm welcome at frontdesk, thanks for the nice trip',
    }
    expect(
      (await h.api.put(`/genesys/1/cs/services/${sid}/states/${st}/extensions/Feedback`, feedback)).status,
    ).toBe(204)
    const task = await startTask(sid, { task_type: 55, state_id: st })
    const e1 = await h.api.get(
      `/services/${sid}/states/active?active_tasks=true&completed_tasks=true&extensions=Feedback`,
    )
    expect(e1.status).toBe(200)
    expect(e1.body).toEqual([
      {
        service_id: sid,
        state_id: st,
        state_type: 100,
        est_duration: 60,
        started: { timestamp: '2010-05-18T15:23:34.447Z', interaction_id: '51' },
        active_tasks: [expect.objectContaining({ task_id: task, task_type: 55, state_id: st })],
        completed_tasks: [],
        Feedback: feedback,
      },
    ])
    const rows = await h.db.select().from(extensionRecords).where(eq(extensionRecords.ownerId, st))
    expect(rows.filter((r) => r.ownerKind === 'state').map((r) => r.data)).toEqual([
      ...satisfaction,
      feedback,
    ])
  })

  it('E7/E8/E9: task extensions (PUT → 204, and in a Start Task body); E2: task query by types, state and Survey', async () => {
    const sid = await startService()
    const st = await startState(sid, { state_type: 1 })
    const survey = {
      url: 'http://ourServer/storage/userAnswers',
      question1: 7,
      question2: true,
      question3: 'will be better with cable tv and on-demand video',
    }
    const proposal = [
      { 'car type': 'cabriolet', price: 25000, seats: 2, comments: '200 cv, hardtop' },
      { 'car type': 'S.U.V.', price: 70000, seats: 8, comments: '4wd, leather seats' },
    ]
    const e9 = await h.api.post(`/genesys/1/cs/services/${sid}/tasks/start`, {
      interaction_id: 42,
      est_duration: 460,
      state_id: st,
      task_type: 'customer info',
      Survey: survey,
      Proposal: proposal,
    })
    expect(e9.status).toBe(200)
    const t1 = e9.body.task_id
    expect((await h.api.get(`/services/${sid}/tasks/${t1}?extensions=Survey,Proposal`)).body).toMatchObject({
      task_type: 'customer info',
      est_duration: 460,
      started: { interaction_id: '42' },
      Survey: survey,
      Proposal: proposal,
    })
    const t2 = await startTask(sid, { task_type: 'STT-DefineCustomerNeed', state_id: st })
    const t3 = await startTask(sid, { task_type: 'STT-FillCustomerInfo', state_id: st })
    await startTask(sid, { task_type: 'STT-FillCustomerInfo' })
    expect(
      (await h.api.put(`/genesys/1/cs/services/${sid}/tasks/${t2}/extensions/Proposal`, proposal.slice(1)))
        .status,
    ).toBe(204)
    expect((await h.api.put(`/services/${sid}/tasks/${t2}/extensions/Survey`, survey)).status).toBe(204)
    for (const t of [t1, t2, t3]) await h.api.post(`/services/${sid}/tasks/${t}/end`, {})
    const e2 = await h.api.get(
      `/genesys/1/cs/services/${sid}/tasks/completed?task_types=STT-DefineCustomerNeed%2CSTT-FillCustomerInfo&state_id=${st}&extensions=Survey`,
    )
    expect(e2.body.map((t: any) => [t.task_id, t.Survey ?? null])).toEqual([
      [t2, survey],
      [t3, null],
    ])
  })
})

describe('docs/behaviour.md#completion edge cases', () => {
  it('refuses a state_id, previous_state_id or from.state_id of another service with 400', async () => {
    const mine = await startService()
    const other = await startService()
    const foreign = await startState(other, { state_type: 1 })
    const before = [(await stateRows(mine)).length, (await taskRows(mine)).length]
    for (const [path, body] of [
      [`/services/${mine}/tasks/start`, { task_type: 1, state_id: foreign }],
      [`/services/${mine}/states/start`, { state_type: 1, previous_state_id: foreign }],
      [`/services/${mine}/states/transition`, { from: { state_id: foreign }, to: { state_type: 2 } }],
      [`/services/${mine}/tasks/start`, { task_type: 1, state_id: 999999 }],
    ] as const) {
      const response = await h.api.post(path, body)
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('invalid_state_reference')
    }
    expect([(await stateRows(mine)).length, (await taskRows(mine)).length]).toEqual(before)
    expect((await stateRows(other))[0].completed).toBeNull()
  })

  it('a transition from a completed state is 409; a task may start in a completed state', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1 })
    await h.api.post(`/services/${sid}/states/${a}/end`, {})
    const transition = await h.api.post(`/services/${sid}/states/transition`, {
      from: { state_id: a },
      to: { state_type: 2 },
    })
    expect(transition.status).toBe(409)
    expect(transition.body.code).toBe('state_completed')
    expect(await stateRows(sid)).toHaveLength(1)
    expect((await h.api.post(`/services/${sid}/tasks/start`, { task_type: 1, state_id: a })).status).toBe(200)
    expect((await h.api.post(`/services/${sid}/states/${a}/end`, {})).body.code).toBe('already_completed')
  })

  it('starting a state or task in a completed service is 409; completing a state does not complete its tasks', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1 })
    const t = await startTask(sid, { task_type: 1, state_id: a })
    await h.api.post(`/services/${sid}/states/${a}/end`, {})
    expect((await taskRows(sid))[0].completed).toBeNull()
    await h.api.post(`/services/${sid}/end`, {})
    for (const [path, body] of [
      [`/services/${sid}/states/start`, { state_type: 1 }],
      [`/services/${sid}/tasks/start`, { task_type: 1 }],
    ] as const) {
      const response = await h.api.post(path, body)
      expect(response.status).toBe(409)
      expect(response.body.code).toBe('service_completed')
    }
    expect((await taskRows(sid)).map((row) => row.id)).toEqual([t])
  })

  it('the cascade copies only the timestamp; extension PUTs still work on completed items', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1, timestamp: T(1) })
    const t = await startTask(sid, { task_type: 1, timestamp: T(2) })
    await h.api.post(`/services/${sid}/end`, {
      timestamp: T(9),
      disposition: 3,
      disposition_desc: 'x',
      session_id: 'S',
    })
    expect((await stateRows(sid))[0].completed).toEqual({ timestamp: T(9) })
    expect((await taskRows(sid))[0].completed).toEqual({ timestamp: T(9) })
    expect((await h.api.put(`/services/${sid}/states/${a}/extensions/Feedback`, { rating: 1 })).status).toBe(
      204,
    )
    expect((await h.api.put(`/services/${sid}/tasks/${t}/extensions/Survey`, { question1: 1 })).status).toBe(
      204,
    )
  })

  it('a state or task completed by the cascade accepts one explicit completion (docs/behaviour.md#completion)', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1, timestamp: T(1) })
    const t = await startTask(sid, { task_type: 1, timestamp: T(2) })
    expect((await h.api.post(`/services/${sid}/end`, { timestamp: T(9) })).status).toBe(204)
    expect((await stateRows(sid))[0].completedByCascade).toBe(true)

    // The exit handler completes the state with its disposition: the cascade's time stays.
    const state = await h.api.post(`/services/${sid}/states/${a}/end`, {
      disposition: 5,
      disposition_desc: 'resolved',
      session_id: 'S',
      Feedback: { rating: 4 },
    })
    expect(state.status).toBe(204)
    const [stateRow] = await stateRows(sid)
    expect(stateRow.completed).toEqual({
      timestamp: T(9),
      session_id: 'S',
      disposition: 5,
      disposition_desc: 'resolved',
    })
    expect(stateRow.completedByCascade).toBe(false)
    const read = await h.api.get(`/services/${sid}/states/${a}?extensions=Feedback`)
    expect(read.body.completed).toEqual(stateRow.completed)
    expect(read.body.Feedback).toEqual({ rating: 4 })

    // A timestamp in the body replaces the cascade's.
    const task = await h.api.post(`/services/${sid}/tasks/${t}/end`, {
      timestamp: T(11),
      disposition: 'done',
    })
    expect(task.status).toBe(204)
    expect((await taskRows(sid))[0].completed).toEqual({ timestamp: T(11), disposition: 'done' })

    // Only once: a second explicit completion is refused and changes nothing.
    for (const path of [`/services/${sid}/states/${a}/end`, `/services/${sid}/tasks/${t}/end`]) {
      const again = await h.api.post(path, { disposition: 6 })
      expect(again.status).toBe(409)
      expect(again.body.code).toBe('already_completed')
    }
    expect((await stateRows(sid))[0].completed).toEqual(stateRow.completed)
    expect((await taskRows(sid))[0].completed).toEqual({ timestamp: T(11), disposition: 'done' })
  })

  it('an item completed explicitly before its service stays refused; a cascaded state still cannot be left by a transition', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1, timestamp: T(1) })
    const b = await startState(sid, { state_type: 2, timestamp: T(1) })
    expect(
      (await h.api.post(`/services/${sid}/states/${a}/end`, { timestamp: T(3), disposition: 1 })).status,
    ).toBe(204)
    expect((await h.api.post(`/services/${sid}/end`, { timestamp: T(9) })).status).toBe(204)
    const [first] = await stateRows(sid)
    expect(first.completedByCascade).toBe(false)
    const again = await h.api.post(`/services/${sid}/states/${a}/end`, { disposition: 2 })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('already_completed')
    expect((await stateRows(sid))[0].completed).toEqual({ timestamp: T(3), disposition: 1 })

    // A transition needs an active service, then an active state: both refused, nothing written.
    const transition = await h.api.post(`/services/${sid}/states/transition`, {
      from: { state_id: b },
      to: { state_type: 3 },
    })
    expect(transition.status).toBe(409)
    expect((await stateRows(sid)).length).toBe(2)
    expect((await stateRows(sid))[1].completed).toEqual({ timestamp: T(9) })
  })

  it('the cascade never completes a child before it started (docs/behaviour.md#event-fields)', async () => {
    const sid = await startService()
    await startState(sid, { state_type: 1, timestamp: T(5) })
    await startTask(sid, { task_type: 1, timestamp: T(7) })
    await startTask(sid, { task_type: 2, timestamp: T(2) })
    expect((await h.api.post(`/services/${sid}/end`, { timestamp: T(4) })).status).toBe(204)
    expect((await stateRows(sid)).map((row) => row.completed)).toEqual([{ timestamp: T(5) }])
    expect((await taskRows(sid)).map((row) => row.completed)).toEqual([
      { timestamp: T(7) },
      { timestamp: T(4) },
    ])
  })

  it('extensions in a transition body land on the new state', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1, Feedback: { rating: 1 } })
    const response = await h.api.post(`/services/${sid}/states/transition`, {
      from: { state_id: a },
      to: { state_type: 2 },
      Feedback: { rating: 9 },
    })
    const b = response.body.state_id
    const read = await h.api.get(`/services/${sid}/states?extensions=Feedback`)
    expect(read.body.map((s: any) => [s.state_id, s.Feedback])).toEqual([
      [a, { rating: 1 }],
      [b, { rating: 9 }],
    ])
  })

  it('a state or task addressed under the wrong service or tenant is 404', async () => {
    const mine = await startService()
    const other = await startService()
    const st = await startState(other, { state_type: 1 })
    const tk = await startTask(other, { task_type: 1 })
    const cases = [
      h.api.get(`/services/${mine}/states/${st}`),
      h.api.get(`/services/${mine}/tasks/${tk}`),
      h.api.post(`/services/${mine}/states/${st}/end`, {}),
      h.api.post(`/services/${mine}/tasks/${tk}/end`, {}),
      h.api.put(`/services/${mine}/states/${st}/extensions/Feedback`, { rating: 1 }),
      h.api.put(`/services/${mine}/tasks/${tk}/extensions/Survey`, { question1: 1 }),
      h.api.get(`/services/${other}/states/${st}`, { tenant: 'elsewhere' }),
      h.api.get(`/services/${other}/tasks`, { tenant: 'elsewhere' }),
      h.api.get('/services/999999/states'),
    ]
    for (const response of await Promise.all(cases)) expect(response.status).toBe(404)
    expect((await stateRows(other))[0].completed).toBeNull()
    expect((await taskRows(other))[0].completed).toBeNull()
  })
})

describe('transition atomicity', () => {
  it('invalid extension data for the new state leaves the old state active and creates nothing', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1 })
    const response = await h.api.post(`/services/${sid}/states/transition`, {
      from: { state_id: a },
      to: { state_type: 2 },
      Satisfaction: [{ rating: 1 }],
    })
    expect(response.status).toBe(400)
    expect(await stateRows(sid)).toEqual([expect.objectContaining({ id: a, completed: null })])
  })

  it('a database failure on the new state rolls back the completion of the old one', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1 })
    await h.client.execute(`CREATE TRIGGER refuse_state BEFORE INSERT ON states
      WHEN NEW.state_type = '"refuse"' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`)
    try {
      const response = await h.api.post(`/services/${sid}/states/transition`, {
        from: { state_id: a },
        to: { state_type: 'refuse' },
      })
      expect(response.status).toBe(500)
    } finally {
      await h.client.execute('DROP TRIGGER refuse_state')
    }
    expect(await stateRows(sid)).toEqual([expect.objectContaining({ id: a, completed: null })])
  })

  it('two concurrent transitions from one state: one wins, the other is 409 and creates nothing', async () => {
    const sid = await startService()
    const a = await startState(sid, { state_type: 1 })
    const responses = await Promise.all(
      [2, 3].map((type) =>
        h.api.post(`/services/${sid}/states/transition`, { from: { state_id: a }, to: { state_type: type } }),
      ),
    )
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409])
    const rows = await stateRows(sid)
    expect(rows).toHaveLength(2)
    expect(rows[1].previousStateId).toBe(a)
  })
})

describe('filters and flags', () => {
  it('filters states and tasks by integer and string types, URL-encoded commas included', async () => {
    const sid = await startService()
    const s1 = await startState(sid, { state_type: 1 })
    const s2 = await startState(sid, { state_type: '1' })
    const s3 = await startState(sid, { state_type: 'Callback pending' })
    await startState(sid, { state_type: 2 })
    const ids = async (path: string) => (await h.api.get(path)).body.map((s: any) => s.task_id ?? s.state_id)
    expect(await ids(`/services/${sid}/states?state_types=1`)).toEqual([s1, s2])
    expect(await ids(`/services/${sid}/states?state_types=Callback%20pending%2C1`)).toEqual([s1, s2, s3])
    expect(await ids(`/services/${sid}/states/active?state_types=Callback pending,9`)).toEqual([s3])
    const t1 = await startTask(sid, { task_type: 3, state_id: s1 })
    const t2 = await startTask(sid, { task_type: 'STT-A', state_id: s2 })
    expect(await ids(`/services/${sid}/tasks?task_types=3%2CSTT-A`)).toEqual([t1, t2])
    expect(await ids(`/services/${sid}/tasks?task_types=3,STT-A&state_id=${s2}`)).toEqual([t2])
  })

  it('refuses bad flag values, bad state_id filters and unregistered extensions', async () => {
    const sid = await startService()
    for (const path of [
      `/services/${sid}/states?active_tasks=yes`,
      `/services/${sid}/states/active?completed_tasks=1`,
      `/services/${sid}/tasks?state_id=abc`,
      `/services/${sid}/tasks?extensions=Nope`,
      `/services/${sid}/states?extensions=Survey`,
      `/services/${sid}/states/abc`,
    ]) {
      expect((await h.api.get(path)).status).toBe(400)
    }
  })

  it('reads make one round trip; writes at most two', async () => {
    const sid = await startService()
    let a = 0
    let t = 0
    const writes: [string, () => Promise<unknown>][] = [
      [
        'start state',
        async () => {
          a = (await h.api.post(`/services/${sid}/states/start`, { state_type: 1, Feedback: { rating: 1 } }))
            .body.state_id
        },
      ],
      [
        'start task',
        async () => {
          t = (await h.api.post(`/services/${sid}/tasks/start`, { task_type: 1, state_id: a })).body.task_id
        },
      ],
      ['put state ext', () => h.api.put(`/services/${sid}/states/${a}/extensions/Feedback`, { rating: 2 })],
      ['put task ext', () => h.api.put(`/services/${sid}/tasks/${t}/extensions/Survey`, { question1: 2 })],
      ['end task', () => h.api.post(`/services/${sid}/tasks/${t}/end`, {})],
      [
        'transition',
        () =>
          h.api.post(`/services/${sid}/states/transition`, { from: { state_id: a }, to: { state_type: 2 } }),
      ],
    ]
    for (const [name, write] of writes) {
      const trips = await h.roundTripsOf(write)
      expect({ name, ok: trips >= 1 && trips <= 2 }).toEqual({ name, ok: true })
    }
    for (const path of [
      `/services/${sid}/states?active_tasks=true&completed_tasks=true&extensions=Feedback`,
      `/services/${sid}/states/${a}?active_tasks=true&extensions=Feedback`,
      `/services/${sid}/tasks/completed?task_types=1&extensions=Survey`,
      `/services/${sid}/tasks/${t}?extensions=Survey`,
    ]) {
      expect({ path, trips: await h.roundTripsOf(() => h.api.get(path)) }).toEqual({ path, trips: 1 })
    }
  })
})

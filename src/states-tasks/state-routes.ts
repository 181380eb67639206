import { Hono } from 'hono'
import * as v from 'valibot'
import { insertedId } from '../db/batch'
import { type AppEnv, requestScope } from '../env'
import { parseEventBody } from '../events/event-body'
import { eventJson, StartStateBody, TransitionBody } from '../events/events'
import { extensionStatements } from '../extension-schemas/encryption'
import { readJsonObject } from '../http/body'
import { rememberAnswer } from '../http/idempotency'
import { itemJson, listJson } from '../http/lists'
import { EVENT_BODY, operation, operationId, WRITE_ERRORS } from '../http/openapi'
import { childParam, queryOf, serviceParam } from '../http/params'
import { StateReadQuery } from '../http/query'
import { writeBatch } from '../http/write'
import { nowIso } from '../lib/time'
import { serviceExists, serviceNotCompleted } from '../services/statements'
import {
  completeChild,
  completeOperation,
  extensionOperation,
  putChildExtension,
  STATE,
} from './child-handlers'
import { StateSchema } from './json'
import { readStates } from './read'
import { completeState, insertState, startGuards, stateNotCompleted, stateOfService } from './statements'

const START_FIELDS = Object.keys(StartStateBody.entries)
const TRANSITION_FIELDS = Object.keys(TransitionBody.entries)

export const stateRoutes = new Hono<AppEnv>()

// Start State
stateRoutes.post(
  '/services/:id/states/start',
  operation('/services/:id/states/start', {
    idempotent: true,
    id: 'startState',
    summary: 'Start State',
    tag: 'States',
    data: true,
    body: { schema: StartStateBody, description: EVENT_BODY },
    success: { status: 200, description: 'the new state', schema: v.object({ state_id: v.number() }) },
    errors: [...WRITE_ERRORS, 'service_not_found', 'invalid_state_reference', 'service_completed'],
  }),
  serviceParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { serviceId } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    const { results } = await writeBatch(c, { data: true }, async (metadata) => {
      const { fields, extensions } = parseEventBody(body, START_FIELDS, StartStateBody, metadata, 'state')
      return {
        guards: startGuards(tenant, serviceId, fields.previous_state_id),
        state: insertState(db, tenant, {
          serviceId,
          stateType: fields.state_type,
          previousStateId: fields.previous_state_id,
          estDuration: fields.est_duration,
          started: eventJson(fields, nowIso()),
        }),
        extensions: await extensionStatements(requestScope(c), 'state', insertedId('states'), extensions, {
          ownerIsNew: true,
        }),
        answer: rememberAnswer(c, { status: 200, body: { state_id: insertedId('states') } }),
      }
    })
    return c.json({ state_id: results.state[0].id })
  },
)

// Perform State Transition: completes `from` and starts a state of `to.state_type` after it, atomically.
stateRoutes.post(
  '/services/:id/states/transition',
  operation('/services/:id/states/transition', {
    idempotent: true,
    id: 'performStateTransition',
    summary: 'Perform State Transition',
    tag: 'States',
    data: true,
    body: { schema: TransitionBody, description: EVENT_BODY },
    success: { status: 200, description: 'the new state', schema: v.object({ state_id: v.number() }) },
    errors: [
      ...WRITE_ERRORS,
      'service_not_found',
      'invalid_state_reference',
      'service_completed',
      'state_completed',
    ],
  }),
  serviceParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { serviceId } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    const { results } = await writeBatch(c, { data: true }, async (metadata) => {
      const { fields, extensions } = parseEventBody(
        body,
        TRANSITION_FIELDS,
        TransitionBody,
        metadata,
        'state',
      )
      const { from, to } = fields
      // The common fields apply to both events; disposition belongs to the completed state only.
      const common = eventJson({ ...fields, timestamp: fields.timestamp ?? nowIso() })
      const ended = eventJson({
        ...common,
        disposition: from.disposition,
        disposition_desc: from.disposition_desc,
      })
      return {
        guards: [
          serviceExists(tenant, serviceId),
          stateOfService(tenant, serviceId, from.state_id, 'invalid_state_reference'),
          serviceNotCompleted(tenant, serviceId, 'service_completed'),
          stateNotCompleted(tenant, serviceId, from.state_id, 'state_completed'),
        ],
        complete: completeState(db, tenant, serviceId, from.state_id, {
          full: ended,
          given: ended,
        }),
        state: insertState(db, tenant, {
          serviceId,
          stateType: to.state_type,
          previousStateId: from.state_id,
          estDuration: to.est_duration,
          started: common,
        }),
        extensions: await extensionStatements(requestScope(c), 'state', insertedId('states'), extensions, {
          ownerIsNew: true,
        }),
        answer: rememberAnswer(c, { status: 200, body: { state_id: insertedId('states') } }),
      }
    })
    return c.json({ state_id: results.state[0].id })
  },
)

// Complete State
stateRoutes.post(
  '/services/:id/states/:state_id/end',
  completeOperation(STATE),
  childParam('state'),
  completeChild(STATE),
)

// Update State Extension
stateRoutes.put(
  '/services/:id/states/:state_id/extensions/:name',
  extensionOperation(STATE),
  childParam('state'),
  putChildExtension(STATE),
)

for (const [suffix, filter] of [
  ['', 'all'],
  ['/active', 'active'],
  ['/completed', 'completed'],
] as const) {
  const summary = `Query ${filter === 'all' ? '' : filter === 'active' ? 'Active ' : 'Completed '}States`
  const path = `/services/:id/states${suffix}`
  const described = operation(path, {
    id: operationId(summary),
    summary,
    tag: 'States',
    data: true,
    query: StateReadQuery,
    success: {
      status: 200,
      description: 'the states, oldest first (at most LIST_LIMIT)',
      schema: v.array(StateSchema),
    },
    errors: ['invalid_parameter', 'unknown_extension', 'service_not_found'],
  })
  stateRoutes.get(path, described, serviceParam, queryOf(StateReadQuery), async (c) => {
    const { serviceId } = c.req.valid('param')
    const query = c.req.valid('query')
    return listJson(
      c,
      await readStates(
        requestScope(c),
        {
          serviceId,
          filter,
          types: query.state_types,
          activeTasks: query.active_tasks,
          completedTasks: query.completed_tasks,
          extensions: query.extensions,
        },
        c.get('config').listLimit,
      ),
    )
  })
}

stateRoutes.get(
  '/services/:id/states/:state_id',
  operation('/services/:id/states/:state_id', {
    id: 'readState',
    summary: 'Read State',
    tag: 'States',
    data: true,
    query: StateReadQuery,
    success: { status: 200, description: 'the state', schema: StateSchema },
    errors: ['invalid_parameter', 'unknown_extension', 'service_not_found', 'state_not_found'],
  }),
  childParam('state'),
  queryOf(StateReadQuery),
  async (c) => {
    const { serviceId, childId: stateId } = c.req.valid('param')
    const query = c.req.valid('query')
    // The limit caps the nested task lists (a read by id selects one state anyway).
    return itemJson(
      c,
      await readStates(
        requestScope(c),
        {
          serviceId,
          stateId,
          filter: 'all',
          types: [],
          activeTasks: query.active_tasks,
          completedTasks: query.completed_tasks,
          extensions: query.extensions,
        },
        c.get('config').listLimit,
      ),
      'state_not_found',
    )
  },
)

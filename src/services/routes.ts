import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { insertedId, runBatch } from '../db/batch'
import { productionGuard } from '../db/metadata'
import { type AppEnv, requestScope } from '../env'
import { parseEventBody, parseExtensionWrite } from '../events/event-body'
import {
  AssociateServiceBody,
  EndEventBody,
  eventFields,
  eventJson,
  StartServiceBody,
} from '../events/events'
import { extensionStatements } from '../extension-schemas/encryption'
import { readJsonObject, readJsonValue } from '../http/body'
import { ApiError } from '../http/errors'
import { rememberAnswer } from '../http/idempotency'
import { itemJson, listJson } from '../http/lists'
import { EVENT_BODY, EXTENSION_VALUE, operation, operationId, WRITE_ERRORS } from '../http/openapi'
import { contactKeyParam, customerParam, customerServiceParam, queryOf, serviceParam } from '../http/params'
import { type ServiceReadOptions, ServiceReadQuery } from '../http/query'
import { writeBatch } from '../http/write'
import { nowIso } from '../lib/time'
import { ServiceSchema } from './json'
import { readServices, type ServiceFilter, type ServiceSelection } from './read'
import {
  associateService,
  completeService,
  deleteServiceStatements,
  insertService,
  serviceExists,
  serviceNotCompleted,
} from './statements'

const START_FIELDS = Object.keys(StartServiceBody.pipe[0].entries)
const END_FIELDS = Object.keys(EndEventBody.entries)
const ASSOCIATE_FIELDS = Object.keys(AssociateServiceBody.entries)
const EVENT_FIELD_NAMES = Object.keys(eventFields)

export const serviceRoutes = new Hono<AppEnv>()

/** Query Services: every representation flag applies; at most `listLimit` items (docs/behaviour.md#lists). */
async function listServices(c: Context<AppEnv>, selection: ServiceSelection, options: ServiceReadOptions) {
  // started_from / started_to bound the list (docs/behaviour.md#lists); LIST_LIMIT applies after them.
  if (selection.by !== 'id') selection.started = { from: options.started_from, to: options.started_to }
  return listJson(c, await readServices(requestScope(c), selection, options, c.get('config').listLimit))
}

const serviceQuery = queryOf(ServiceReadQuery)

/** A Query Services operation (its operationId is its summary in camel case). */
function listOperation(path: string, summary: string) {
  return operation(path, {
    id: operationId(summary),
    summary,
    tag: 'Services',
    data: true,
    query: ServiceReadQuery,
    success: {
      status: 200,
      description: 'the services, oldest first (at most LIST_LIMIT)',
      schema: v.array(ServiceSchema),
    },
    errors: ['invalid_parameter', 'unknown_extension'],
  })
}

// Query Services (anonymous, by contact key; by customer), all, active or completed. Registered
// before `/services/:id/…` so that `anonymous` is never taken for an id.
for (const [suffix, filter] of [
  ['', 'all'],
  ['/active', 'active'],
  ['/completed', 'completed'],
] as const satisfies readonly (readonly [string, ServiceFilter])[]) {
  const which = filter === 'all' ? '' : filter === 'active' ? 'Active ' : 'Completed '
  const anonymous = `/services/anonymous/:contact_key${suffix}`
  const ofCustomer = `/customers/:customer_id/services${suffix}`
  serviceRoutes.get(
    anonymous,
    listOperation(anonymous, `Query ${which}Anonymous Services`),
    contactKeyParam,
    serviceQuery,
    (c) =>
      listServices(
        c,
        { by: 'contact_key', contactKey: c.req.valid('param').contactKey, filter },
        c.req.valid('query'),
      ),
  )
  serviceRoutes.get(
    ofCustomer,
    listOperation(ofCustomer, `Query ${which}Customer Services`),
    customerParam,
    serviceQuery,
    (c) =>
      listServices(
        c,
        { by: 'customer', customerId: c.req.valid('param').customerId, filter },
        c.req.valid('query'),
      ),
  )
}

// Start Service
serviceRoutes.post(
  '/services/start',
  operation('/services/start', {
    idempotent: true,
    id: 'startService',
    summary: 'Start Service',
    tag: 'Services',
    data: true,
    body: { schema: StartServiceBody, description: EVENT_BODY },
    success: { status: 200, description: 'the new service', schema: v.object({ service_id: v.number() }) },
    errors: [
      'validation_failed',
      'unknown_field',
      'invalid_extension_value',
      'too_many_records',
      'metadata_changed',
    ],
  }),
  async (c) => {
    const tenant = c.get('tenant')
    const body = await readJsonObject(c, { emptyIsObject: true })
    const { results } = await writeBatch(c, { data: true }, async (metadata) => {
      const { fields, extensions } = parseEventBody(body, START_FIELDS, StartServiceBody, metadata, 'service')
      return {
        service: insertService(tenant, {
          customerId: fields.customer_id,
          contactKey: fields.contact_key,
          serviceType: fields.service_type,
          estDuration: fields.est_duration,
          started: eventJson(fields, nowIso()),
        }),
        extensions: await extensionStatements(
          requestScope(c),
          'service',
          insertedId('services'),
          extensions,
          {
            ownerIsNew: true,
          },
        ),
        answer: rememberAnswer(c, { status: 200, body: { service_id: insertedId('services') } }),
      }
    })
    return c.json({ service_id: results.service[0].id })
  },
)

// Complete Service
serviceRoutes.post(
  '/services/:id/end',
  operation('/services/:id/end', {
    idempotent: true,
    id: 'completeService',
    summary: 'Complete Service',
    tag: 'Services',
    data: true,
    description: 'Also completes the active states and tasks of the service (docs/behaviour.md#completion).',
    body: { schema: EndEventBody, description: EVENT_BODY },
    success: { status: 204, description: 'completed' },
    errors: [...WRITE_ERRORS, 'service_not_found', 'already_completed'],
  }),
  serviceParam,
  async (c) => {
    const tenant = c.get('tenant')
    const id = c.req.valid('param').serviceId
    const body = await readJsonObject(c, { emptyIsObject: true })
    await writeBatch(c, { data: true }, async (metadata) => {
      const { fields, extensions } = parseEventBody(body, END_FIELDS, EndEventBody, metadata, 'service')
      return {
        exists: serviceExists(tenant, id),
        notCompleted: serviceNotCompleted(tenant, id, 'already_completed'),
        complete: completeService(tenant, id, eventJson(fields, nowIso())),
        extensions: await extensionStatements(requestScope(c), 'service', id, extensions),
        answer: rememberAnswer(c, { status: 204 }),
      }
    })
    return c.body(null, 204)
  },
)

// Associate Service
serviceRoutes.post(
  '/customers/:customer_id/services/:id',
  operation('/customers/:customer_id/services/:id', {
    idempotent: true,
    id: 'associateService',
    summary: 'Associate Service',
    tag: 'Services',
    data: true,
    body: { schema: AssociateServiceBody, description: EVENT_BODY },
    success: { status: 204, description: 'the service now belongs to the customer' },
    errors: [...WRITE_ERRORS, 'service_not_found'],
  }),
  customerServiceParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { customerId: customer, serviceId: id } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    await writeBatch(c, { data: true }, async (metadata) => {
      const { fields, extensions } = parseEventBody(
        body,
        ASSOCIATE_FIELDS,
        AssociateServiceBody,
        metadata,
        'service',
      )
      if (fields.customer_id !== undefined && fields.customer_id !== customer) {
        throw new ApiError('validation_failed', undefined, [
          { path: 'customer_id', message: 'must equal the customer id of the path' },
        ])
      }
      const hasEventFields = EVENT_FIELD_NAMES.some((name) => name in fields)
      return {
        exists: serviceExists(tenant, id),
        associate: associateService(db, tenant, id, {
          customerId: customer,
          serviceType: fields.service_type,
          estDuration: fields.est_duration,
          startedPatch: hasEventFields ? eventJson(fields) : undefined,
        }),
        extensions: await extensionStatements(requestScope(c), 'service', id, extensions),
        answer: rememberAnswer(c, { status: 204 }),
      }
    })
    return c.body(null, 204)
  },
)

// Read Service
serviceRoutes.get(
  '/services/:id',
  operation('/services/:id', {
    id: 'readService',
    summary: 'Read Service',
    tag: 'Services',
    data: true,
    query: ServiceReadQuery,
    success: { status: 200, description: 'the service', schema: ServiceSchema },
    errors: ['invalid_parameter', 'unknown_extension', 'service_not_found'],
  }),
  serviceParam,
  serviceQuery,
  async (c) => {
    const id = c.req.valid('param').serviceId
    const options = c.req.valid('query')
    // The limit caps the nested lists (a read by id selects one service anyway).
    return itemJson(
      c,
      await readServices(requestScope(c), { by: 'id', id }, options, c.get('config').listLimit),
      'service_not_found',
    )
  },
)

// Update Service Extension
serviceRoutes.put(
  '/services/:id/extensions/:name',
  operation('/services/:id/extensions/:name', {
    id: 'updateServiceExtension',
    summary: 'Update Service Extension',
    tag: 'Services',
    data: true,
    body: { schema: v.unknown(), description: EXTENSION_VALUE },
    success: { status: 204, description: 'replaced' },
    errors: [...WRITE_ERRORS, 'unknown_extension', 'service_not_found'],
  }),
  serviceParam,
  async (c) => {
    const tenant = c.get('tenant')
    const id = c.req.valid('param').serviceId
    const value = await readJsonValue(c)
    await writeBatch(c, { data: true }, async (metadata) => ({
      exists: serviceExists(tenant, id),
      extensions: await extensionStatements(requestScope(c), 'service', id, [
        parseExtensionWrite(metadata, 'service', c.req.param('name'), value),
      ]),
    }))
    return c.body(null, 204)
  },
)

// Delete Service
serviceRoutes.delete(
  '/services/:id',
  operation('/services/:id', {
    id: 'deleteService',
    summary: 'Delete Service',
    tag: 'Services',
    data: true,
    success: { status: 204, description: 'deleted, with its states, tasks and extensions' },
    errors: ['invalid_parameter', 'service_not_found'],
  }),
  serviceParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const id = c.req.valid('param').serviceId
    await runBatch(db, [
      productionGuard(tenant),
      serviceExists(tenant, id),
      ...deleteServiceStatements(db, tenant, [id]),
    ])
    return c.body(null, 204)
  },
)

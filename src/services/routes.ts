import { type Context, Hono } from 'hono'
import { insertedId, runBatch } from '../db/batch'
import { replaceExtensions } from '../db/extension-records'
import { productionGuard } from '../db/metadata'
import type { AppEnv } from '../env'
import { parseEventBody, parseExtensionWrite } from '../events/event-body'
import {
  AssociateServiceBody,
  EndEventBody,
  eventFields,
  eventJson,
  StartServiceBody,
} from '../events/events'
import { readJsonObject, readJsonValue } from '../http/body'
import { ApiError } from '../http/errors'
import { itemJson, listJson } from '../http/lists'
import { contactKeyParam, customerParam, customerServiceParam, queryOf, serviceParam } from '../http/params'
import { type ServiceReadOptions, ServiceReadQuery } from '../http/query'
import { writeBatch } from '../http/write'
import { nowIso } from '../lib/time'
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
  return listJson(c, await readServices(c.var.db, c.var.tenant, selection, options, c.var.config.listLimit))
}

const serviceQuery = queryOf(ServiceReadQuery)

// Query Services (anonymous, by contact key; by customer), all, active or completed. Registered
// before `/services/:id/…` so that `anonymous` is never taken for an id.
for (const [suffix, filter] of [
  ['', 'all'],
  ['/active', 'active'],
  ['/completed', 'completed'],
] as const satisfies readonly (readonly [string, ServiceFilter])[]) {
  serviceRoutes.get(`/services/anonymous/:contact_key${suffix}`, contactKeyParam, serviceQuery, (c) =>
    listServices(
      c,
      { by: 'contact_key', contactKey: c.req.valid('param').contactKey, filter },
      c.req.valid('query'),
    ),
  )
  serviceRoutes.get(`/customers/:customer_id/services${suffix}`, customerParam, serviceQuery, (c) =>
    listServices(
      c,
      { by: 'customer', customerId: c.req.valid('param').customerId, filter },
      c.req.valid('query'),
    ),
  )
}

// Start Service
serviceRoutes.post('/services/start', async (c) => {
  const { db, tenant } = c.var
  const body = await readJsonObject(c, { emptyIsObject: true })
  const { results } = await writeBatch(c, { data: true }, (metadata) => {
    const { fields, extensions } = parseEventBody(body, START_FIELDS, StartServiceBody, metadata, 'service')
    return {
      service: insertService(db, tenant, {
        customerId: fields.customer_id,
        contactKey: fields.contact_key,
        serviceType: fields.service_type,
        estDuration: fields.est_duration,
        started: eventJson(fields, nowIso()),
      }),
      extensions: replaceExtensions(db, tenant, 'service', insertedId('services'), extensions, {
        ownerIsNew: true,
      }),
    }
  })
  return c.json({ service_id: results.service[0].id })
})

// Complete Service
serviceRoutes.post('/services/:id/end', serviceParam, async (c) => {
  const { db, tenant } = c.var
  const id = c.req.valid('param').serviceId
  const body = await readJsonObject(c, { emptyIsObject: true })
  await writeBatch(c, { data: true }, (metadata) => {
    const { fields, extensions } = parseEventBody(body, END_FIELDS, EndEventBody, metadata, 'service')
    return {
      exists: serviceExists(tenant, id),
      notCompleted: serviceNotCompleted(tenant, id, 'already_completed'),
      complete: completeService(db, tenant, id, eventJson(fields, nowIso())),
      extensions: replaceExtensions(db, tenant, 'service', id, extensions),
    }
  })
  return c.body(null, 204)
})

// Associate Service
serviceRoutes.post('/customers/:customer_id/services/:id', customerServiceParam, async (c) => {
  const { db, tenant } = c.var
  const { customerId: customer, serviceId: id } = c.req.valid('param')
  const body = await readJsonObject(c, { emptyIsObject: true })
  await writeBatch(c, { data: true }, (metadata) => {
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
      extensions: replaceExtensions(db, tenant, 'service', id, extensions),
    }
  })
  return c.body(null, 204)
})

// Read Service
serviceRoutes.get('/services/:id', serviceParam, serviceQuery, async (c) => {
  const id = c.req.valid('param').serviceId
  const options = c.req.valid('query')
  // The limit caps the nested lists (a read by id selects one service anyway).
  return itemJson(
    c,
    await readServices(c.var.db, c.var.tenant, { by: 'id', id }, options, c.var.config.listLimit),
    'service_not_found',
  )
})

// Update Service Extension
serviceRoutes.put('/services/:id/extensions/:name', serviceParam, async (c) => {
  const { db, tenant } = c.var
  const id = c.req.valid('param').serviceId
  const value = await readJsonValue(c)
  await writeBatch(c, { data: true }, (metadata) => ({
    exists: serviceExists(tenant, id),
    extensions: replaceExtensions(db, tenant, 'service', id, [
      parseExtensionWrite(metadata, 'service', c.req.param('name'), value),
    ]),
  }))
  return c.body(null, 204)
})

// Delete Service
serviceRoutes.delete('/services/:id', serviceParam, async (c) => {
  const { db, tenant } = c.var
  const id = c.req.valid('param').serviceId
  await runBatch(db, [
    productionGuard(tenant),
    serviceExists(tenant, id),
    ...deleteServiceStatements(db, tenant, [id]),
  ])
  return c.body(null, 204)
})

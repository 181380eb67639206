import { validator } from 'hono/validator'
import type * as v from 'valibot'
import { contactKey, customerId } from '../events/fields'
import { parseId, parseQuery } from './query'
import { parseOrThrow } from './validate'

/**
 * Path and query parameters, validated as route middleware (Hono's `validator`) with our own hook:
 * a bad one is 400 `invalid_parameter` in the error envelope (docs/behaviour.md#identifiers); the
 * handler reads the typed values with `c.req.valid('param')` / `c.req.valid('query')`.
 */
type Params = Record<string, string>

/** `/services/:id…` */
export const serviceParam = validator('param', (params: Params) => ({
  serviceId: parseId(params.id, 'service_id'),
}))

/** `/services/:id/states/:state_id…` and `/services/:id/tasks/:task_id…`: the service and its child. */
export function childParam(kind: 'state' | 'task') {
  return validator('param', (params: Params) => ({
    serviceId: parseId(params.id, 'service_id'),
    childId: parseId(params[`${kind}_id`], `${kind}_id`),
  }))
}

/** `/customers/:customer_id…` and `/profiles/:customer_id…` */
export const customerParam = validator('param', (params: Params) => ({
  customerId: parseOrThrow(customerId, params.customer_id, 'invalid_parameter', 'customer_id') as string,
}))

/** `/customers/:customer_id/services/:id` (Associate Service) */
export const customerServiceParam = validator('param', (params: Params) => ({
  customerId: parseOrThrow(customerId, params.customer_id, 'invalid_parameter', 'customer_id') as string,
  serviceId: parseId(params.id, 'service_id'),
}))

/** `/services/anonymous/:contact_key…` */
export const contactKeyParam = validator('param', (params: Params) => ({
  contactKey: parseOrThrow(contactKey, params.contact_key, 'invalid_parameter', 'contact_key') as string,
}))

/** The query string, checked by `schema` (unknown parameters are ignored: docs/behaviour.md#errors). */
export function queryOf<S extends v.GenericSchema>(schema: S) {
  return validator(
    'query',
    (query) => parseQuery(schema, query as Record<string, string>) as v.InferOutput<S>,
  )
}

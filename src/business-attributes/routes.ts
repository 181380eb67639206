import { Hono } from 'hono'
import * as v from 'valibot'
import { runBatch } from '../db/batch'
import { type AppEnv, requestScope } from '../env'
import { readJsonObject } from '../http/body'
import { ApiError } from '../http/errors'
import { locationFor } from '../http/location'
import { operation } from '../http/openapi'
import { queryOf } from '../http/params'
import { parseOrThrow } from '../http/validate'
import { writeBatch } from '../http/write'
import { BusinessAttributeSchema, businessAttributeJson } from './json'
import {
  BusinessAttributeBody,
  businessAttributeName,
  canonicalCvAttribute,
  parseBusinessAttribute,
} from './requests'
import {
  businessAttributeCount,
  businessAttributesQuery,
  deleteBusinessAttribute,
  putBusinessAttribute,
} from './statements'

/**
 * The tenant's catalog of business attributes (docs/behaviour.md#business-attributes): Composer and
 * desktops fill their Service Type, Media Type and Disposition pickers from it. Managed by the tenant
 * here, since there is no Configuration Server to read it from. Works in both server modes.
 */
export const businessAttributeRoutes = new Hono<AppEnv>()

const BASE = '/metadata/business-attributes'

const CatalogQuery = v.object({
  'cv-attribute': v.optional(
    v.pipe(
      v.string(),
      v.transform(canonicalCvAttribute),
      v.string('must be a field such as Service.type, Task.disposition or State.media_type'),
    ),
  ),
})

// Query Business Attribute Schema: all of them, or (?cv-attribute=Service.type) the one describing a field.
businessAttributeRoutes.get(
  BASE,
  operation(BASE, {
    id: 'queryBusinessAttributeSchema',
    summary: 'Query Business Attribute Schema',
    tag: 'Business attributes',
    description:
      'All business attributes of the tenant by name; with `cv-attribute`, the one that describes that field (404 when none does).',
    query: CatalogQuery,
    success: {
      status: 200,
      description: 'an array; one object when cv-attribute is given',
      schema: v.union([v.array(BusinessAttributeSchema), BusinessAttributeSchema]),
    },
    errors: ['invalid_parameter', 'business_attribute_not_found'],
  }),
  queryOf(CatalogQuery),
  async (c) => {
    const cvAttribute = c.req.valid('query')['cv-attribute']
    const rows = await businessAttributesQuery(c.get('db'), c.get('tenant'), { cvAttribute })
    if (cvAttribute === undefined) return c.json(rows.map(businessAttributeJson))
    if (!rows[0]) throw new ApiError('business_attribute_not_found')
    return c.json(businessAttributeJson(rows[0]))
  },
)

// Query Business Attribute Schema, by name
businessAttributeRoutes.get(
  `${BASE}/:name`,
  operation(`${BASE}/:name`, {
    id: 'readBusinessAttributeSchema',
    summary: 'Query Business Attribute Schema (by name)',
    tag: 'Business attributes',
    success: { status: 200, description: 'the business attribute', schema: BusinessAttributeSchema },
    errors: ['invalid_parameter', 'business_attribute_not_found'],
  }),
  async (c) => {
    const name = businessAttributeName(c.req.param('name'))
    const [row] = await businessAttributesQuery(c.get('db'), c.get('tenant'), { name })
    if (!row) throw new ApiError('business_attribute_not_found')
    return c.json(businessAttributeJson(row))
  },
)

// Put Business Attribute: creates (201) or replaces (200) it, values and all.
businessAttributeRoutes.put(
  `${BASE}/:name`,
  operation(`${BASE}/:name`, {
    id: 'putBusinessAttribute',
    summary: 'Put Business Attribute',
    tag: 'Business attributes',
    description:
      'Creates or replaces the business attribute: its values (name, dbid, display_name, description) and the fields it describes (cv_attributes).',
    body: { schema: BusinessAttributeBody, description: 'The business attribute with all its values.' },
    success: {
      status: 200,
      description: 'replaced: the stored business attribute',
      schema: BusinessAttributeSchema,
    },
    created: 'created: the stored business attribute',
    errors: ['invalid_parameter', 'validation_failed', 'cv_attribute_taken'],
  }),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const name = businessAttributeName(c.req.param('name'))
    const body = parseOrThrow(BusinessAttributeBody, await readJsonObject(c, { emptyIsObject: false }))
    const definition = parseBusinessAttribute(name, body)
    const { results } = await writeBatch(c, { data: false }, () => ({
      existed: businessAttributeCount(db, tenant, name),
      put: putBusinessAttribute(db, tenant, definition),
      stored: businessAttributesQuery(db, tenant, { name }),
    }))
    const created = results.existed[0].n === 0
    if (created) c.header('Location', locationFor(c, `${BASE}/${encodeURIComponent(results.stored[0].name)}`))
    return c.json(businessAttributeJson(results.stored[0]), created ? 201 : 200)
  },
)

// Delete Business Attribute
businessAttributeRoutes.delete(
  `${BASE}/:name`,
  operation(`${BASE}/:name`, {
    id: 'deleteBusinessAttribute',
    summary: 'Delete Business Attribute',
    tag: 'Business attributes',
    success: { status: 204, description: 'deleted' },
    errors: ['invalid_parameter', 'business_attribute_not_found'],
  }),
  async (c) => {
    const name = businessAttributeName(c.req.param('name'))
    await runBatch(c.get('db'), deleteBusinessAttribute(c.get('db'), c.get('tenant'), name))
    return c.body(null, 204)
  },
)

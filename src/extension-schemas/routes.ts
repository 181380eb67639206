import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { runBatch } from '../db/batch'
import { type AppEnv, requestScope } from '../env'
import { readJsonObject } from '../http/body'
import { ApiError } from '../http/errors'
import { rememberAnswer } from '../http/idempotency'
import { locationFor } from '../http/location'
import { operation } from '../http/openapi'
import { writeBatchWith } from '../http/write'
import type { OwnerKind } from './requests'
import {
  ExtensionSchemaBody,
  ExtensionSchemaSchema,
  extensionSchemaJson,
  parseExtensionSchema,
} from './requests'
import { deleteSchema, insertSchema, schemasQuery } from './statements'
import type { ExtensionDefinition } from './validator'

export const extensionSchemaRoutes = new Hono<AppEnv>()

/** Path segment → owner kind of the extension schemas under `/metadata/{segment}/extensions`. */
const KINDS = {
  services: 'service',
  states: 'state',
  tasks: 'task',
  profiles: 'profile',
} as const satisfies Record<string, OwnerKind>

/** A schema with encrypted attributes needs a configured key (docs/behaviour.md#encrypted-attributes). */
function encryptable(c: Context<AppEnv>, definition: ExtensionDefinition): ExtensionDefinition {
  if (definition.attributes.some((attribute) => attribute.encrypt) && !c.get('cipher').available)
    throw new ApiError('encryption_unavailable')
  return definition
}

// Schema operations work in both server modes (docs/behaviour.md#server-mode): no production guard.
for (const [segment, kind] of Object.entries(KINDS)) {
  const base = `/metadata/${segment}/extensions`

  // Create Extension Schema
  const title = `${kind[0].toUpperCase()}${kind.slice(1)}`
  extensionSchemaRoutes.post(
    base,
    operation(base, {
      idempotent: true,
      id: `create${title}ExtensionSchema`,
      summary: `Create ${title} Extension Schema`,
      tag: 'Extension schemas',
      body: { schema: ExtensionSchemaBody, description: 'The schema: name, type, attributes, unique.' },
      success: {
        status: 201,
        description: 'created',
        schema: v.object({ name: v.string() }),
        headers: { Location: 'the new schema' },
      },
      errors: [
        'validation_failed',
        'reserved_name',
        'encryption_unavailable',
        'name_taken',
        'metadata_changed',
      ],
    }),
    async (c) => {
      const { db, tenant } = requestScope(c)
      const body = await readJsonObject(c, { emptyIsObject: true })
      const { value: definition } = await writeBatchWith(c, { data: false }, (metadata) => {
        // A profile extension may not take the name of a core attribute: checked against the metadata.
        const coreNames =
          kind === 'profile' ? metadata.profile.attributes.map((core) => core.attribute.name) : []
        const parsed = encryptable(c, parseExtensionSchema(kind, body, coreNames))
        const statements = {
          schema: insertSchema(db, tenant, kind, parsed),
          answer: rememberAnswer(c, {
            status: 201,
            body: { name: parsed.name },
            location: locationFor(c, `${base}/${parsed.name}`),
          }),
        }
        return { statements, value: parsed }
      })
      c.header('Location', locationFor(c, `${base}/${definition.name}`))
      return c.json({ name: definition.name }, 201)
    },
  )

  // Query Extension Schemas
  extensionSchemaRoutes.get(
    base,
    operation(base, {
      id: `query${title}ExtensionSchemas`,
      summary: `Query ${title} Extension Schemas`,
      tag: 'Extension schemas',
      success: {
        status: 200,
        description: 'the schemas, oldest first',
        schema: v.array(ExtensionSchemaSchema),
      },
      errors: [],
    }),
    async (c) => {
      const rows = await schemasQuery(c.get('db'), c.get('tenant'), kind)
      return c.json(rows.map(extensionSchemaJson))
    },
  )

  // Read Extension Schema
  extensionSchemaRoutes.get(
    `${base}/:name`,
    operation(`${base}/:name`, {
      id: `read${title}ExtensionSchema`,
      summary: `Read ${title} Extension Schema`,
      tag: 'Extension schemas',
      success: { status: 200, description: 'the schema', schema: ExtensionSchemaSchema },
      errors: ['extension_not_found'],
    }),
    async (c) => {
      const [row] = await schemasQuery(c.get('db'), c.get('tenant'), kind, c.req.param('name'))
      if (!row) throw new ApiError('extension_not_found')
      return c.json(extensionSchemaJson(row))
    },
  )

  // Delete Extension Schema: the schema and every record of it, atomically.
  extensionSchemaRoutes.delete(
    `${base}/:name`,
    operation(`${base}/:name`, {
      id: `delete${title}ExtensionSchema`,
      summary: `Delete ${title} Extension Schema`,
      tag: 'Extension schemas',
      success: { status: 204, description: 'deleted, with every record of it' },
      errors: ['extension_not_found', 'schema_in_use'],
    }),
    async (c) => {
      const { db, tenant } = requestScope(c)
      await runBatch(db, deleteSchema(db, tenant, kind, c.req.param('name')))
      return c.body(null, 204)
    },
  )
}

import { Hono } from 'hono'
import { runBatch } from '../db/batch'
import type { AppEnv } from '../env'
import { readJsonObject } from '../http/body'
import { ApiError } from '../http/errors'
import { locationFor } from '../http/location'
import { writeBatchWith } from '../http/write'
import type { OwnerKind } from './requests'
import { extensionSchemaJson, parseExtensionSchema } from './requests'
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

// Schema operations work in both server modes (docs/behaviour.md#server-mode): no production guard.
for (const [segment, kind] of Object.entries(KINDS)) {
  const base = `/metadata/${segment}/extensions`

  // Create Extension Schema
  extensionSchemaRoutes.post(base, async (c) => {
    const { db, tenant } = c.var
    const body = await readJsonObject(c, { emptyIsObject: true })
    let definition: ExtensionDefinition
    if (kind === 'profile') {
      // A profile extension may not take the name of a core attribute: checked against the metadata.
      const written = await writeBatchWith(c, { data: false }, (metadata) => {
        const coreNames = metadata.profile.attributes.map((core) => core.attribute.name)
        const parsed = parseExtensionSchema(kind, body, coreNames)
        return { statements: { schema: insertSchema(db, tenant, kind, parsed) }, value: parsed }
      })
      definition = written.value
    } else {
      definition = parseExtensionSchema(kind, body)
      await runBatch(db, insertSchema(db, tenant, kind, definition))
    }
    c.header('Location', locationFor(c, `${base}/${definition.name}`))
    return c.json({ name: definition.name }, 201)
  })

  // Query Extension Schemas
  extensionSchemaRoutes.get(base, async (c) => {
    const rows = await schemasQuery(c.var.db, c.var.tenant, kind)
    return c.json(rows.map(extensionSchemaJson))
  })

  // Read Extension Schema
  extensionSchemaRoutes.get(`${base}/:name`, async (c) => {
    const [row] = await schemasQuery(c.var.db, c.var.tenant, kind, c.req.param('name'))
    if (!row) throw new ApiError('extension_not_found')
    return c.json(extensionSchemaJson(row))
  })

  // Delete Extension Schema: the schema and every record of it, atomically.
  extensionSchemaRoutes.delete(`${base}/:name`, async (c) => {
    const { db, tenant } = c.var
    await runBatch(db, deleteSchema(db, tenant, kind, c.req.param('name')))
    return c.body(null, 204)
  })
}

import { and, asc, eq, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { guard, runBatch } from '../db/batch'
import { bumpMetadataVersion } from '../db/metadata'
import { extensionRecords, extensionSchemas, type OwnerKind } from '../db/schema'
import type { AppEnv } from '../env'
import { extensionSchemaJson, parseExtensionSchema } from '../extensions/definition'
import { readJsonObject } from '../lib/body'
import { ApiError } from '../lib/errors'
import { locationFor } from '../lib/location'

export const metadataRoutes = new Hono<AppEnv>()

/** Path segment → owner kind of the extension schemas under `/metadata/{segment}/extensions`. */
const KINDS = { services: 'service', states: 'state', tasks: 'task' } as const satisfies Record<
  string,
  OwnerKind
>

function schemaNamed(tenant: string, kind: OwnerKind, name: string) {
  return and(
    eq(extensionSchemas.tenant, tenant),
    eq(extensionSchemas.ownerKind, kind),
    eq(extensionSchemas.nameKey, name.toLowerCase()),
  )
}

// Schema operations work in both server modes (decisions 8.2), so they have no production guard.
for (const [segment, kind] of Object.entries(KINDS)) {
  const base = `/metadata/${segment}/extensions`

  metadataRoutes.post(base, async (c) => {
    const { db, tenant } = c.var
    const definition = parseExtensionSchema(kind, await readJsonObject(c, { emptyIsObject: true }))
    await runBatch(db, [
      guard(
        db,
        'name_taken',
        sql`EXISTS (SELECT 1 FROM ${extensionSchemas} WHERE ${schemaNamed(tenant, kind, definition.name)})`,
      ),
      db.insert(extensionSchemas).values({
        tenant,
        ownerKind: kind,
        name: definition.name,
        nameKey: definition.name.toLowerCase(),
        multiValued: definition.multiValued,
        attributes: definition.attributes,
        unique: definition.unique,
      }),
      bumpMetadataVersion(db, tenant),
    ])
    c.header('Location', locationFor(c, `${base}/${definition.name}`))
    return c.json({ name: definition.name }, 201)
  })

  metadataRoutes.get(base, async (c) => {
    const rows = await c.var.db
      .select()
      .from(extensionSchemas)
      .where(and(eq(extensionSchemas.tenant, c.var.tenant), eq(extensionSchemas.ownerKind, kind)))
      .orderBy(asc(extensionSchemas.id))
    return c.json(rows.map(extensionSchemaJson))
  })

  metadataRoutes.get(`${base}/:name`, async (c) => {
    const name = c.req.param('name')
    const [row] = await c.var.db
      .select()
      .from(extensionSchemas)
      .where(schemaNamed(c.var.tenant, kind, name))
    if (!row) throw new ApiError('extension_not_found', `no ${kind} extension schema is named "${name}"`)
    return c.json(extensionSchemaJson(row))
  })

  /** Deletes the schema and every record of it, atomically (decisions 6.5). */
  metadataRoutes.delete(`${base}/:name`, async (c) => {
    const { db, tenant } = c.var
    const name = c.req.param('name')
    await runBatch(db, [
      guard(
        db,
        'extension_not_found',
        sql`NOT EXISTS (SELECT 1 FROM ${extensionSchemas} WHERE ${schemaNamed(tenant, kind, name)})`,
      ),
      db
        .delete(extensionRecords)
        .where(
          and(
            eq(extensionRecords.tenant, tenant),
            eq(extensionRecords.ownerKind, kind),
            eq(extensionRecords.extension, name.toLowerCase()),
          ),
        ),
      db.delete(extensionSchemas).where(schemaNamed(tenant, kind, name)),
      bumpMetadataVersion(db, tenant),
    ])
    return c.body(null, 204)
  })
}

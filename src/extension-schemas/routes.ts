import { and, asc, eq, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import * as v from 'valibot'
import { guard, runBatch } from '../db/batch'
import type { Statement } from '../db/database'
import { bumpMetadataVersion, metadataGuards, writeWithMetadata } from '../db/metadata'
import {
  extensionRecords,
  extensionSchemas,
  identificationKeys,
  type OwnerKind,
  profileSchemas,
  profiles,
} from '../db/tables'
import type { AppEnv } from '../env'
import { readJsonObject } from '../http/body'
import { ApiError } from '../http/errors'
import { locationFor } from '../http/location'
import { parseOrThrow } from '../http/validate'
import { profileMetadataFromRows, profileMetadataQueries } from '../profiles/core-attributes'
import { extensionSchemaJson, parseAttributes, parseExtensionSchema } from './requests'
import type { ExtensionDefinition } from './validator'

export const metadataRoutes = new Hono<AppEnv>()

/** Path segment → owner kind of the extension schemas under `/metadata/{segment}/extensions`. */
const KINDS = {
  services: 'service',
  states: 'state',
  tasks: 'task',
  profiles: 'profile',
} as const satisfies Record<string, OwnerKind>

function schemaNamed(tenant: string, kind: OwnerKind, name: string) {
  return and(
    eq(extensionSchemas.tenant, tenant),
    eq(extensionSchemas.ownerKind, kind),
    eq(extensionSchemas.nameKey, name.toLowerCase()),
  )
}

// Schema operations work in both server modes (docs/behaviour.md#server-mode), so they have no production guard.
for (const [segment, kind] of Object.entries(KINDS)) {
  const base = `/metadata/${segment}/extensions`

  metadataRoutes.post(base, async (c) => {
    const { db, tenant } = c.var
    const body = await readJsonObject(c, { emptyIsObject: true })
    const insert = (definition: ExtensionDefinition): Statement[] => [
      guard(
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
    ]
    let definition: ExtensionDefinition
    if (kind === 'profile') {
      // A profile extension may not take the name of a core attribute (docs/behaviour.md#extension-schemas).
      definition = await writeWithMetadata(db, tenant, async (metadata) => {
        const coreNames = metadata.profile.attributes.map((core) => core.attribute.name)
        const parsed = parseExtensionSchema(kind, body, coreNames)
        await runBatch(db, [
          ...metadataGuards(tenant, metadata, { requireProduction: false }),
          ...insert(parsed),
        ])
        return parsed
      })
    } else {
      definition = parseExtensionSchema(kind, body)
      await runBatch(db, insert(definition))
    }
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
    if (!row) throw new ApiError('extension_not_found', `no ${kind} extension schema has that name`)
    return c.json(extensionSchemaJson(row))
  })

  /** Deletes the schema and every record of it, atomically (docs/behaviour.md#extension-schemas). */
  metadataRoutes.delete(`${base}/:name`, async (c) => {
    const { db, tenant } = c.var
    const name = c.req.param('name')
    await runBatch(
      db,
      [
        guard(
          'extension_not_found',
          sql`NOT EXISTS (SELECT 1 FROM ${extensionSchemas} WHERE ${schemaNamed(tenant, kind, name)})`,
        ),
        // Refused while an identification key is built on it.
        guard(
          'schema_in_use',
          sql`EXISTS (SELECT 1 FROM ${identificationKeys} WHERE ${identificationKeys.tenant} = ${tenant} AND ${identificationKeys.source} = ${name.toLowerCase()} AND ${kind} = 'profile')`,
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
      ],
      {
        extension_not_found: `no ${kind} extension schema has that name`,
        schema_in_use: 'an identification key uses this profile extension',
      },
    )
    return c.body(null, 204)
  })
}

/** The core profile attributes (docs/behaviour.md#profiles). */
metadataRoutes.get('/metadata/profiles', async (c) => {
  const [schemaRows, keyRows] = await c.var.db.batch(profileMetadataQueries(c.var.db, c.var.tenant))
  const profile = profileMetadataFromRows(schemaRows, keyRows)
  return c.json({ attributes: profile.attributes.map((core) => core.attribute) })
})

const ProfileSchemaBody = v.strictObject({ attributes: v.array(v.unknown(), 'must be an array') })

/**
 * Replaces the whole list of core attributes. Removing one that an identification key uses is 409;
 * the stored values of removed attributes are deleted in the same batch.
 */
metadataRoutes.put('/metadata/profiles', async (c) => {
  const { db, tenant } = c.var
  const body = parseOrThrow(ProfileSchemaBody, await readJsonObject(c, { emptyIsObject: false }))
  const attributes = parseAttributes(body.attributes)
  const reservedIssues = attributes
    .map((attribute, index) => ({ attribute, index }))
    .filter(({ attribute }) => attribute.name.toLowerCase() === 'customer_id')
  if (reservedIssues.length) {
    throw new ApiError('reserved_name', 'customer_id is not a profile attribute', [
      { path: `attributes[${reservedIssues[0].index}].name`, message: 'is reserved' },
    ])
  }
  await writeWithMetadata(db, tenant, async (metadata) => {
    const clash = attributes.find((attribute) => metadata.extension('profile', attribute.name))
    if (clash) {
      throw new ApiError('reserved_name', 'an attribute name is the name of a profile extension', [
        { path: 'attributes', message: 'names a profile extension' },
      ])
    }
    const kept = new Set(attributes.map((attribute) => attribute.name.toLowerCase()))
    const removed = metadata.profile.attributes.map((core) => core.key).filter((key) => !kept.has(key))
    const statements: Statement[] = [...metadataGuards(tenant, metadata, { requireProduction: false })]
    if (removed.length) {
      statements.push(
        guard(
          'attribute_in_use',
          sql`EXISTS (SELECT 1 FROM ${identificationKeys} k, json_each(k.attributes) a WHERE k.tenant = ${tenant} AND k.source IS NULL AND lower(a.value) IN ${removed})`,
        ),
        db
          .update(profiles)
          .set({
            attributes: sql`(SELECT json_group_object(key, json(value)) FROM json_each(${profiles.attributes}) WHERE key NOT IN ${removed})`,
          })
          .where(eq(profiles.tenant, tenant)),
      )
    }
    statements.push(
      db
        .insert(profileSchemas)
        .values({ tenant, attributes })
        .onConflictDoUpdate({ target: profileSchemas.tenant, set: { attributes } }),
      bumpMetadataVersion(db, tenant),
    )
    await runBatch(db, statements, { attribute_in_use: 'an identification key uses a removed attribute' })
  })
  return c.json({ attributes })
})

import { and, eq, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import * as v from 'valibot'
import { guard, insertedId, runBatch } from '../db/batch'
import { bumpMetadataVersion, metadataGuards, type TenantMetadata, writeWithMetadata } from '../db/metadata'
import { extensionSchemas, identificationKeys, keyEntries } from '../db/tables'
import type { AppEnv } from '../env'
import { SCHEMA_NAME } from '../extension-schemas/requests'
import { readJsonObject } from '../http/body'
import { ApiError, type FieldIssue } from '../http/errors'
import { locationFor } from '../http/location'
import { parseOrThrow } from '../http/validate'
import type { KeyRow } from '../profiles/core-attributes'
import { insertKeyEntries, keyEntriesBounded } from '../profiles/statements'

export const identificationKeyRoutes = new Hono<AppEnv>()

const BASE = '/metadata/identification-keys'

const KeyBody = v.strictObject({
  name: v.pipe(
    v.string('must be a string'),
    v.regex(SCHEMA_NAME, 'must start with a letter, then letters, digits or _, at most 26 characters'),
  ),
  source: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
  attributes: v.pipe(
    v.array(v.string('must be a string'), 'must be an array'),
    v.minLength(1, 'must name 1 to 5 attributes'),
    v.maxLength(5, 'must name 1 to 5 attributes'),
  ),
  unique: v.optional(
    v.union(
      [
        v.boolean(),
        v.pipe(
          v.picklist(['true', 'false']),
          v.transform((s) => s === 'true'),
        ),
      ],
      'must be true or false',
    ),
  ),
})

/**
 * Resolves a key definition against the tenant's schemas: `source` is `profile` (core attributes,
 * the default) or a profile extension; attribute names are matched case-insensitively and stored as
 * declared (an `Ext.attr` prefix is accepted for extension keys).
 */
function resolveKey(body: v.InferOutput<typeof KeyBody>, metadata: TenantMetadata) {
  const issues: FieldIssue[] = []
  const fromProfile = body.source === undefined || body.source.toLowerCase() === 'profile'
  const extension = fromProfile ? undefined : metadata.extension('profile', body.source as string)
  if (!fromProfile && !extension) {
    throw new ApiError('unknown_extension', 'no profile extension of that name is registered', [
      { path: 'source', message: 'names no profile extension' },
    ])
  }
  const attributes = body.attributes.map((given, index) => {
    let name = given
    if (extension && given.toLowerCase().startsWith(`${extension.definition.name.toLowerCase()}.`)) {
      name = given.slice(extension.definition.name.length + 1)
    }
    const declared = extension
      ? extension.definition.attributes.find((a) => a.name.toLowerCase() === name.toLowerCase())?.name
      : metadata.profile.attribute(name)?.attribute.name
    if (!declared) {
      issues.push({
        path: `attributes[${index}]`,
        message: `is not an attribute of ${extension ? 'the extension' : 'profiles'}`,
      })
    }
    return declared ?? name
  })
  if (new Set(attributes.map((a) => a.toLowerCase())).size !== attributes.length) {
    issues.push({ path: 'attributes', message: 'names an attribute twice' })
  }
  if (issues.length) throw new ApiError('validation_failed', undefined, issues)
  return {
    source: extension ? extension.definition.name.toLowerCase() : null,
    attributes,
    unique: body.unique ?? false,
  }
}

function keyNamed(tenant: string, name: string) {
  return and(eq(identificationKeys.tenant, tenant), eq(identificationKeys.nameKey, name.toLowerCase()))
}

/** Creates a key and indexes every existing profile in the same batch (docs/behaviour.md#identify). */
identificationKeyRoutes.post(BASE, async (c) => {
  const { db, tenant } = c.var
  const body = parseOrThrow(KeyBody, await readJsonObject(c, { emptyIsObject: true }))
  await writeWithMetadata(db, tenant, async (metadata) => {
    const key = resolveKey(body, metadata)
    await runBatch(
      db,
      [
        ...metadataGuards(tenant, metadata, { requireProduction: false }),
        guard(
          'name_taken',
          sql`EXISTS (SELECT 1 FROM ${identificationKeys} WHERE ${keyNamed(tenant, body.name)})`,
        ),
        db.insert(identificationKeys).values({
          tenant,
          name: body.name,
          nameKey: body.name.toLowerCase(),
          ...key,
        }),
        keyEntriesBounded(
          tenant,
          { id: insertedId('identification_keys'), ...key },
          metadata.limits.keyEntriesPerProfile,
        ),
        insertKeyEntries(db, tenant, { id: insertedId('identification_keys'), ...key }),
        bumpMetadataVersion(db, tenant),
      ],
      { name_taken: 'an identification key already has that name' },
      'key_values_not_unique',
    )
  })
  c.header('Location', locationFor(c, `${BASE}/${body.name}`))
  return c.json({ name: body.name }, 201)
})

/** A key as listed: extension attributes are prefixed with the extension's name (reference §1.5). */
function keyJson(key: KeyRow, extensionNames: Map<string, string>) {
  const source = key.source === null ? undefined : (extensionNames.get(key.source) ?? key.source)
  return {
    name: key.name,
    source: source ?? 'profile',
    attributes: source ? key.attributes.map((attribute) => `${source}.${attribute}`) : key.attributes,
    unique: key.unique,
  }
}

async function readKeys(c: { var: AppEnv['Variables'] }, name?: string) {
  const { db, tenant } = c.var
  const [keys, extensions] = await db.batch([
    db
      .select()
      .from(identificationKeys)
      .where(name === undefined ? eq(identificationKeys.tenant, tenant) : keyNamed(tenant, name))
      .orderBy(identificationKeys.id),
    db
      .select({ nameKey: extensionSchemas.nameKey, name: extensionSchemas.name })
      .from(extensionSchemas)
      .where(and(eq(extensionSchemas.tenant, tenant), eq(extensionSchemas.ownerKind, 'profile'))),
  ])
  const names = new Map(extensions.map((row) => [row.nameKey, row.name]))
  return keys.map((key) => keyJson(key, names))
}

identificationKeyRoutes.get(BASE, async (c) => c.json(await readKeys(c)))

identificationKeyRoutes.get(`${BASE}/:name`, async (c) => {
  const [key] = await readKeys(c, c.req.param('name'))
  if (!key) throw new ApiError('identification_key_not_found', 'no identification key has that name')
  return c.json(key)
})

identificationKeyRoutes.delete(`${BASE}/:name`, async (c) => {
  const { db, tenant } = c.var
  const name = c.req.param('name')
  await runBatch(
    db,
    [
      guard(
        'identification_key_not_found',
        sql`NOT EXISTS (SELECT 1 FROM ${identificationKeys} WHERE ${keyNamed(tenant, name)})`,
      ),
      db
        .delete(keyEntries)
        .where(
          and(
            eq(keyEntries.tenant, tenant),
            eq(
              keyEntries.keyId,
              sql`(SELECT ${identificationKeys.id} FROM ${identificationKeys} WHERE ${keyNamed(tenant, name)})`,
            ),
          ),
        ),
      db.delete(identificationKeys).where(keyNamed(tenant, name)),
      bumpMetadataVersion(db, tenant),
    ],
    { identification_key_not_found: 'no identification key has that name' },
  )
  return c.body(null, 204)
})

import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { runBatch } from '../db/batch'
import { extensionsByOwner, recordsQuery, replaceExtensions } from '../db/extension-records'
import {
  loadMetadata,
  metadataGuards,
  productionGuard,
  readWithMetadata,
  type TenantMetadata,
  writeWithMetadata,
} from '../db/metadata'
import { extensionRecords, profiles } from '../db/tables'
import type { AppEnv } from '../env'
import type { ExtensionWrite } from '../events/event-body'
import { customerId as customerIdSchema } from '../events/fields'
import type { ExtensionValidator } from '../extension-schemas/validator'
import { readJsonObject } from '../http/body'
import { ApiError } from '../http/errors'
import { locationFor } from '../http/location'
import { commaList, parseQuery, requestedExtensions } from '../http/query'
import { parseOrThrow } from '../http/validate'
import { generateCustomerId } from '../lib/ids'
import { chooseKey, identifiedWhere, parseIdentifyQuery } from './identify'
import { profileJson } from './json'
import { parseProfileBody } from './requests'
import {
  deleteProfileStatements,
  insertKeyEntries,
  keyEntriesBounded,
  mergeExtension,
  profileAbsent,
  profileExists,
  profileIdOf,
  rebuildProfileEntries,
  recordByKey,
  recordExists,
  thisProfile,
} from './statements'

export const profileRoutes = new Hono<AppEnv>()

function pathCustomerId(c: Context<AppEnv>): string {
  return parseOrThrow(customerIdSchema, c.req.param('customer_id'), 'invalid_parameter', 'customer_id')
}

/** A `customer_id` in a body whose path names the customer must be that customer (docs/behaviour.md#identifiers). */
function assertSameCustomer(bodyCustomerId: string | undefined, customerId: string) {
  if (bodyCustomerId !== undefined && bodyCustomerId !== customerId) {
    throw new ApiError('validation_failed', undefined, [
      { path: 'customer_id', message: 'must equal the customer id of the path' },
    ])
  }
}

const withProfile = { withProfile: true }

function extensionNames(writes: ExtensionWrite[]): string[] {
  return writes.map((write) => write.validator.definition.name.toLowerCase())
}

profileRoutes.post('/profiles', async (c) => {
  const { db, tenant } = c.var
  const body = await readJsonObject(c, { emptyIsObject: true })
  const customerId = await writeWithMetadata(db, tenant, async (metadata) => {
    metadata.assertProduction()
    const parsed = parseProfileBody(body, metadata, { coreAttributes: true })
    const customerId = parsed.customerId ?? generateCustomerId()
    const profileId = profileIdOf(tenant, customerId)
    await runBatch(
      db,
      [
        ...metadataGuards(tenant, metadata, { requireProduction: true }),
        profileAbsent(tenant, customerId),
        db.insert(profiles).values({ tenant, customerId, attributes: parsed.values }),
        ...replaceExtensions(db, tenant, 'profile', profileId, parsed.extensions, { ownerIsNew: true }),
        ...metadata.profile.keys.flatMap((key) => [
          keyEntriesBounded(tenant, key, metadata.limits.keyEntriesPerProfile, profileId),
          insertKeyEntries(db, tenant, key, profileId),
        ]),
      ],
      { customer_exists: 'a profile with this customer_id already exists' },
      'unique_key_violation',
    )
    return customerId
  })
  c.header('Location', locationFor(c, `/profiles/${customerId}`))
  return c.json({ customer_id: customerId }, 201)
})

/** Identify Customer (docs/behaviour.md#identify): metadata, then one index lookup with the profiles' data. */
profileRoutes.get('/profiles', async (c) => {
  const { db, tenant } = c.var
  const limit = c.var.config.listLimit
  const metadata = await loadMetadata(db, tenant, ['profile'], withProfile)
  metadata.assertProduction()
  const query = parseIdentifyQuery([...new URL(c.req.url).searchParams], metadata)
  const requested = requestedExtensions(metadata, 'profile', query.extensions)
  const choice = chooseKey(metadata.profile.keys, query.filters, query.id_key)
  const where = identifiedWhere(db, tenant, choice, query.filters)
  const ids = db
    .select({ id: profiles.id })
    .from(profiles)
    .where(where)
    .orderBy(profiles.id)
    .limit(limit + 1)
  const keys = requested.map((validator) => validator.definition.name.toLowerCase())
  const [rows, records] = await db.batch([
    db
      .select()
      .from(profiles)
      .where(where)
      .orderBy(profiles.id)
      .limit(limit + 1),
    recordsQuery(db, tenant, 'profile', keys.length ? ids : [], keys),
  ])
  if (rows.length > limit) c.header('X-Result-Truncated', 'true')
  const matches = rows.slice(0, limit)
  const showExtensions = query.include_extensions === 'always' ? matches.length >= 1 : matches.length === 1
  const extensionsOf = extensionsByOwner(records, showExtensions ? requested : [])
  return c.json(
    matches.map((row) => {
      const base = query.include_profile
        ? profileJson(row.customerId, row.attributes, metadata.profile)
        : { customer_id: row.customerId }
      return { ...base, ...extensionsOf(row.id) }
    }),
  )
})

profileRoutes.get('/profiles/:customer_id', async (c) => {
  const { db, tenant } = c.var
  const customerId = pathCustomerId(c)
  const { extensions } = parseQuery(v.object({ extensions: commaList }), c.req.query())
  const keys = extensions.map((name) => name.toLowerCase())
  const { metadata, rows: read } = await readWithMetadata(db, tenant, {
    profile: db.select().from(profiles).where(thisProfile(tenant, customerId)),
    records: keys.length
      ? recordsQuery(db, tenant, 'profile', profileIdOf(tenant, customerId), keys)
      : undefined,
  })
  const rows = read.profile
  const records = read.records ?? []
  const requested = requestedExtensions(metadata, 'profile', extensions)
  const [row] = rows
  if (!row) throw new ApiError('profile_not_found', 'the profile does not exist')
  const extensionsOf = extensionsByOwner(records, requested)
  return c.json(profileJson(row.customerId, row.attributes, metadata.profile, extensionsOf(row.id)))
})

/** Full replacement of the core attributes; extensions are replaced only when present (reference #24). */
profileRoutes.put('/profiles/:customer_id', async (c) => {
  const { db, tenant } = c.var
  const customerId = pathCustomerId(c)
  const body = await readJsonObject(c, { emptyIsObject: true })
  const result = await writeWithMetadata(db, tenant, async (metadata) => {
    metadata.assertProduction()
    const parsed = parseProfileBody(body, metadata, { coreAttributes: true })
    assertSameCustomer(parsed.customerId, customerId)
    const profileId = profileIdOf(tenant, customerId)
    await runBatch(
      db,
      [
        ...metadataGuards(tenant, metadata, { requireProduction: true }),
        profileExists(tenant, customerId),
        db.update(profiles).set({ attributes: parsed.values }).where(thisProfile(tenant, customerId)),
        ...replaceExtensions(db, tenant, 'profile', profileId, parsed.extensions),
        ...rebuildProfileEntries(
          db,
          tenant,
          metadata.profile.keys,
          profileId,
          {
            // Every core attribute is replaced; of the extensions, those in the body.
            coreAttributes: metadata.profile.attributes.map((core) => core.key),
            extensions: extensionNames(parsed.extensions),
          },
          metadata.limits.keyEntriesPerProfile,
        ),
      ],
      {},
      'unique_key_violation',
    )
    return profileJson(customerId, parsed.values, metadata.profile)
  })
  return c.json(result)
})

profileRoutes.delete('/profiles/:customer_id', async (c) => {
  const { db, tenant } = c.var
  const customerId = pathCustomerId(c)
  await runBatch(db, [
    productionGuard(tenant),
    profileExists(tenant, customerId),
    ...deleteProfileStatements(db, tenant, customerId),
  ])
  return c.body(null, 204)
})

/** Insert Extension Records: merges (docs/behaviour.md#extension-writes) and answers what is now stored. */
profileRoutes.post('/profiles/:customer_id/extensions', async (c) => {
  const { db, tenant } = c.var
  const customerId = pathCustomerId(c)
  const body = await readJsonObject(c, { emptyIsObject: true })
  const stored = await writeWithMetadata(db, tenant, async (metadata) => {
    metadata.assertProduction()
    const parsed = parseProfileBody(body, metadata, { coreAttributes: false })
    assertSameCustomer(parsed.customerId, customerId)
    const profileId = profileIdOf(tenant, customerId)
    const written = parsed.extensions.map((write) => write.validator)
    const statements = [
      ...metadataGuards(tenant, metadata, { requireProduction: true }),
      profileExists(tenant, customerId),
      ...parsed.extensions.flatMap((write) =>
        mergeExtension(db, tenant, profileId, write, metadata.limits.recordsPerExtension),
      ),
      ...rebuildProfileEntries(
        db,
        tenant,
        metadata.profile.keys,
        profileId,
        { coreAttributes: [], extensions: extensionNames(parsed.extensions) },
        metadata.limits.keyEntriesPerProfile,
      ),
    ]
    // Reading the merged result inside the same batch costs no extra round trip.
    const keys = written.map((validator) => validator.definition.name.toLowerCase())
    const results = await runBatch(
      db,
      [...statements, recordsQuery(db, tenant, 'profile', profileId, keys)],
      {},
      'unique_key_violation',
    )
    const records = results[statements.length] as Parameters<typeof extensionsByOwner>[0]
    return extensionsByOwner(records, written)(records[0]?.ownerId ?? -1)
  })
  return c.json(stored)
})

/** The extension of a by-unique operation: multi-valued with `unique`, else 400 (docs/behaviour.md#extension-writes). */
function uniqueExtension(
  metadata: TenantMetadata,
  name: string,
): { validator: ExtensionValidator; unique: string[] } {
  const validator = metadata.extension('profile', name)
  if (!validator) throw new ApiError('unknown_extension', 'no profile extension of that name is registered')
  const { multiValued, unique } = validator.definition
  if (!multiValued || !unique?.length) {
    throw new ApiError('no_unique_key', 'the profile extension has no unique attributes')
  }
  return { validator, unique }
}

/** The unique attributes given in a body (names case-insensitive); every one is required. */
function uniqueValues(unique: string[], body: Record<string, unknown>) {
  const byLower = new Map(Object.entries(body).map(([key, value]) => [key.toLowerCase(), value]))
  const missing = unique.filter((name) => byLower.get(name.toLowerCase()) == null)
  if (missing.length) {
    throw new ApiError(
      'validation_failed',
      undefined,
      missing.map((name) => ({ path: name, message: 'is a unique attribute and is required' })),
    )
  }
  return Object.fromEntries(unique.map((name) => [name, byLower.get(name.toLowerCase())]))
}

/**
 * Update or delete the record of a multi-valued profile extension that the body's unique attributes
 * select (docs/behaviour.md#extension-writes). To update, the body is the whole new record (defaults and `mandatory`
 * apply; the unique values never change); to delete, only the unique attributes matter.
 */
function byUnique(action: 'update' | 'delete') {
  return async (c: Context<AppEnv>) => {
    const { db, tenant } = c.var
    const customerId = pathCustomerId(c)
    const body = await readJsonObject(c, { emptyIsObject: false })
    await writeWithMetadata(db, tenant, async (metadata) => {
      metadata.assertProduction()
      const { validator, unique } = uniqueExtension(metadata, c.req.param('name') ?? '')
      const selection = uniqueValues(unique, body)
      const name = validator.definition.name
      const parsed =
        action === 'update'
          ? validator.parseRecord(body, name)
          : validator.parseRecord(selection, name, { applyDefaults: false })
      if (!parsed.ok) throw new ApiError('invalid_extension_value', undefined, parsed.issues)
      const profileId = profileIdOf(tenant, customerId)
      const where = recordByKey(
        tenant,
        profileId,
        name.toLowerCase(),
        validator.recordKey(parsed.data) as string,
      )
      await runBatch(
        db,
        [
          ...metadataGuards(tenant, metadata, { requireProduction: true }),
          profileExists(tenant, customerId),
          recordExists(where),
          action === 'update'
            ? db.update(extensionRecords).set({ data: parsed.data }).where(where)
            : db.delete(extensionRecords).where(where),
          ...rebuildProfileEntries(
            db,
            tenant,
            metadata.profile.keys,
            profileId,
            { coreAttributes: [], extensions: [name.toLowerCase()] },
            metadata.limits.keyEntriesPerProfile,
          ),
        ],
        {},
        'unique_key_violation',
      )
    })
    return c.body(null, 204)
  }
}

profileRoutes.put('/profiles/:customer_id/extensions/:name/by/unique', byUnique('update'))
profileRoutes.put('/profiles/:customer_id/extensions/:name/delete/by/unique', byUnique('delete'))

import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { readBatch, runBatch } from '../db/batch'
import { recordsQuery } from '../db/extension-records'
import { loadMetadata, productionGuard, readWithMetadata, type TenantMetadata } from '../db/metadata'
import { type AppEnv, requestScope } from '../env'
import type { ExtensionWrite } from '../events/event-body'
import { emittedExtensions, extensionStatements, sealWrites } from '../extension-schemas/encryption'
import { parseAttributes } from '../extension-schemas/requests'
import type { ExtensionValidator } from '../extension-schemas/validator'
import { readJsonObject } from '../http/body'
import { ApiError } from '../http/errors'
import { ReplayedAnswer, rememberAnswer } from '../http/idempotency'
import { listJson } from '../http/lists'
import { locationFor } from '../http/location'
import { operation, PROFILE_BODY, WRITE_ERRORS } from '../http/openapi'
import { customerParam, queryOf } from '../http/params'
import { commaList, requestedExtensions } from '../http/query'
import { parseOrThrow } from '../http/validate'
import { writeBatch, writeBatchWith } from '../http/write'
import { generateCustomerId } from '../lib/ids'
import { profileMetadataFromRows, profileMetadataQueries } from './core-attributes'
import { chooseKey, IdentifyQuery, identifiedWhere, parseIdentifyQuery } from './identify'
import { ProfileSchema, profileJson } from './json'
import { identifyQueries, profileQueries } from './read'
import { parseProfileBody } from './requests'
import {
  deleteProfileStatements,
  deleteRecord,
  insertKeyEntries,
  insertProfile,
  keyEntriesBounded,
  mergeExtension,
  profileAbsent,
  profileExists,
  profileIdOf,
  rebuildProfileEntries,
  recordByKey,
  recordExists,
  replaceCoreAttributes,
  replaceProfileValues,
  storedExtensionsJson,
  updateRecord,
} from './statements'

export const profileRoutes = new Hono<AppEnv>()

const ProfileReadQuery = v.object({ extensions: commaList })
const ProfileSchemaBody = v.strictObject({ attributes: v.array(v.unknown(), 'must be an array') })
/** The core attributes as `GET`/`PUT /metadata/profiles` answer them. */
const CoreAttributesSchema = v.object({
  attributes: v.array(v.looseObject({ name: v.string(), type: v.string() })),
})

/** A `customer_id` in a body whose path names the customer must be that customer (docs/behaviour.md#identifiers). */
function assertSameCustomer(bodyCustomerId: string | undefined, customerId: string) {
  if (bodyCustomerId !== undefined && bodyCustomerId !== customerId) {
    throw new ApiError('validation_failed', undefined, [
      { path: 'customer_id', message: 'must equal the customer id of the path' },
    ])
  }
}

function extensionNames(writes: ExtensionWrite[]): string[] {
  return writes.map((write) => write.validator.definition.name.toLowerCase())
}

const dataWrite = { data: true, keyConflict: 'unique_key_violation' } as const

// Create Profile
profileRoutes.post(
  '/profiles',
  operation('/profiles', {
    idempotent: true,
    id: 'createProfile',
    summary: 'Create Profile',
    tag: 'Profiles',
    data: true,
    body: { schema: v.record(v.string(), v.unknown()), description: PROFILE_BODY },
    success: {
      status: 201,
      description: 'created',
      schema: v.object({ customer_id: v.string() }),
      headers: { Location: 'the new profile' },
    },
    errors: [
      ...WRITE_ERRORS,
      'too_many_values',
      'too_many_key_entries',
      'customer_exists',
      'unique_key_violation',
    ],
  }),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const body = await readJsonObject(c, { emptyIsObject: true })
    const { value: customerId } = await writeBatchWith(c, dataWrite, async (metadata) => {
      const parsed = parseProfileBody(body, metadata, { coreAttributes: true })
      const customerId = parsed.customerId ?? generateCustomerId()
      const profileId = profileIdOf(tenant, customerId)
      const statements = {
        absent: profileAbsent(tenant, customerId),
        profile: insertProfile(db, tenant, customerId, parsed.values),
        extensions: await extensionStatements(requestScope(c), 'profile', profileId, parsed.extensions, {
          ownerIsNew: true,
        }),
        keyEntries: metadata.profile.keys.flatMap((key) => [
          keyEntriesBounded(tenant, key, metadata.limits.keyEntriesPerProfile, profileId),
          insertKeyEntries(db, tenant, key, profileId),
        ]),
        answer: rememberAnswer(c, {
          status: 201,
          body: { customer_id: customerId },
          location: locationFor(c, `/profiles/${customerId}`),
        }),
      }
      return { statements, value: customerId }
    })
    c.header('Location', locationFor(c, `/profiles/${customerId}`))
    return c.json({ customer_id: customerId }, 201)
  },
)

// Identify Customer (docs/behaviour.md#identify): fresh metadata, then one index lookup with the profiles' data.
profileRoutes.get(
  '/profiles',
  operation('/profiles', {
    id: 'identifyCustomer',
    summary: 'Identify Customer',
    tag: 'Profiles',
    data: true,
    query: IdentifyQuery,
    success: {
      status: 200,
      description: 'the matching profiles, oldest first',
      schema: v.array(ProfileSchema),
    },
    errors: ['invalid_parameter', 'unknown_extension', 'no_identification_key', 'too_many_filters'],
  }),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const limit = c.get('config').listLimit
    const metadata = await loadMetadata(db, tenant, ['profile'], { withProfile: true })
    if (metadata.inMaintenance) throw new ApiError('maintenance_mode')
    const query = parseIdentifyQuery([...new URL(c.req.url).searchParams], metadata)
    const requested = requestedExtensions(metadata, 'profile', query.extensions)
    const choice = chooseKey(metadata.profile.keys, query.filters, query.id_key)
    const where = identifiedWhere(db, tenant, choice, query.filters)
    const keys = requested.map((validator) => validator.definition.name.toLowerCase())
    const [rows, records] = await readBatch(db, identifyQueries(db, tenant, where, limit, keys))
    const matches = rows.slice(0, limit)
    const showExtensions = query.include_extensions === 'always' ? matches.length >= 1 : matches.length === 1
    const shown = showExtensions ? requested : []
    const extensionsOf = await emittedExtensions(requestScope(c), 'profile', records, shown)
    const items = matches.map((row) => {
      const base = query.include_profile
        ? profileJson(row.customerId, row.attributes, metadata.profile)
        : { customer_id: row.customerId }
      return { ...base, ...extensionsOf(row.id) }
    })
    return listJson(c, { items, truncated: rows.length > limit })
  },
)

// Read Profile
profileRoutes.get(
  '/profiles/:customer_id',
  operation('/profiles/:customer_id', {
    id: 'readProfile',
    summary: 'Read Profile',
    tag: 'Profiles',
    data: true,
    query: ProfileReadQuery,
    success: { status: 200, description: 'the profile', schema: ProfileSchema },
    errors: ['invalid_parameter', 'unknown_extension', 'profile_not_found'],
  }),
  customerParam,
  queryOf(ProfileReadQuery),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { customerId } = c.req.valid('param')
    const { extensions } = c.req.valid('query')
    const keys = extensions.map((name) => name.toLowerCase())
    const { metadata, rows: read } = await readWithMetadata(
      db,
      tenant,
      profileQueries(db, tenant, customerId, keys),
    )
    const requested = requestedExtensions(metadata, 'profile', extensions)
    const [row] = read.profile
    if (!row) throw new ApiError('profile_not_found')
    const extensionsOf = await emittedExtensions(requestScope(c), 'profile', read.records ?? [], requested)
    return c.json(profileJson(row.customerId, row.attributes, metadata.profile, extensionsOf(row.id)))
  },
)

// Update Profile: every core attribute is replaced; extensions only when present (docs/behaviour.md#profiles).
profileRoutes.put(
  '/profiles/:customer_id',
  operation('/profiles/:customer_id', {
    id: 'updateProfile',
    summary: 'Update Profile',
    tag: 'Profiles',
    data: true,
    body: { schema: v.record(v.string(), v.unknown()), description: PROFILE_BODY },
    success: { status: 200, description: 'the profile, without extensions', schema: ProfileSchema },
    errors: [
      ...WRITE_ERRORS,
      'too_many_values',
      'too_many_key_entries',
      'profile_not_found',
      'unique_key_violation',
    ],
  }),
  customerParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { customerId } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    const { value } = await writeBatchWith(c, dataWrite, async (metadata) => {
      const parsed = parseProfileBody(body, metadata, { coreAttributes: true })
      assertSameCustomer(parsed.customerId, customerId)
      const profileId = profileIdOf(tenant, customerId)
      const statements = {
        exists: profileExists(tenant, customerId),
        profile: replaceProfileValues(db, tenant, customerId, parsed.values),
        extensions: await extensionStatements(requestScope(c), 'profile', profileId, parsed.extensions),
        keyEntries: rebuildProfileEntries(
          db,
          tenant,
          metadata.profile.keys,
          profileId,
          {
            coreAttributes: metadata.profile.attributes.map((core) => core.key),
            extensions: extensionNames(parsed.extensions),
          },
          metadata.limits.keyEntriesPerProfile,
        ),
      }
      return { statements, value: profileJson(customerId, parsed.values, metadata.profile) }
    })
    return c.json(value)
  },
)

// Delete Profile: with its records, key entries and services (docs/behaviour.md#profiles).
profileRoutes.delete(
  '/profiles/:customer_id',
  operation('/profiles/:customer_id', {
    id: 'deleteProfile',
    summary: 'Delete Profile',
    tag: 'Profiles',
    data: true,
    success: { status: 204, description: 'deleted, with its records, key entries and services' },
    errors: ['invalid_parameter', 'profile_not_found'],
  }),
  customerParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { customerId } = c.req.valid('param')
    await runBatch(db, [
      productionGuard(tenant),
      profileExists(tenant, customerId),
      ...deleteProfileStatements(db, tenant, customerId),
    ])
    return c.body(null, 204)
  },
)

// Insert Extension Records: merges (docs/behaviour.md#extension-writes) and answers what is now stored.
profileRoutes.post(
  '/profiles/:customer_id/extensions',
  operation('/profiles/:customer_id/extensions', {
    idempotent: true,
    id: 'insertExtensionRecords',
    summary: 'Insert Extension Records',
    tag: 'Profiles',
    data: true,
    body: { schema: v.record(v.string(), v.unknown()), description: PROFILE_BODY },
    success: {
      status: 200,
      description: 'what each written extension now holds',
      schema: v.record(v.string(), v.unknown()),
    },
    errors: [
      ...WRITE_ERRORS,
      'too_many_key_entries',
      'profile_not_found',
      'unique_key_violation',
      'decryption_failed',
    ],
  }),
  customerParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { customerId } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    const written = await writeBatchWith(c, dataWrite, async (metadata) => {
      const parsed = parseProfileBody(body, metadata, { coreAttributes: false })
      assertSameCustomer(parsed.customerId, customerId)
      const profileId = profileIdOf(tenant, customerId)
      const names = extensionNames(parsed.extensions)
      const validators = parsed.extensions.map((write) => write.validator)
      const statements = {
        exists: profileExists(tenant, customerId),
        merge: (await sealWrites(requestScope(c), 'profile', parsed.extensions)).flatMap((write) =>
          mergeExtension(db, tenant, profileId, write, metadata.limits.recordsPerExtension),
        ),
        keyEntries: rebuildProfileEntries(
          db,
          tenant,
          metadata.profile.keys,
          profileId,
          { coreAttributes: [], extensions: names },
          metadata.limits.keyEntriesPerProfile,
        ),
        // Reading the merged result inside the same batch costs no extra round trip.
        stored: recordsQuery(db, tenant, 'profile', profileId, names),
        // Stored as it is in the database (encrypted attributes sealed); opened when replayed.
        answer: rememberAnswer(c, {
          status: 200,
          body: storedExtensionsJson(tenant, profileId, validators),
        }),
      }
      return { statements, value: validators }
    }).catch(async (error: unknown) => {
      if (!(error instanceof ReplayedAnswer)) throw error
      return { replayed: await openReplayedExtensions(c, error) }
    })
    if ('replayed' in written) return written.replayed
    const records = written.results.stored
    const extensionsOf = await emittedExtensions(requestScope(c), 'profile', records, written.value)
    return c.json(extensionsOf(records[0]?.ownerId ?? -1))
  },
)

/** A replayed Insert Extension Records answer, its encrypted attributes decrypted as on the first answer. */
async function openReplayedExtensions(c: Context<AppEnv>, answer: ReplayedAnswer): Promise<Response> {
  const metadata = await loadMetadata(c.get('db'), c.get('tenant'), ['profile'])
  const stored = JSON.parse(answer.body ?? '{}') as Record<string, Record<string, unknown>[]>
  const validators = Object.keys(stored).flatMap((name) => metadata.extension('profile', name) ?? [])
  const rows = Object.entries(stored).flatMap(([name, records]) =>
    records.map((data) => ({ ownerId: 0, extension: name.toLowerCase(), data })),
  )
  const extensionsOf = await emittedExtensions(requestScope(c), 'profile', rows, validators)
  c.header('Idempotent-Replayed', 'true')
  return c.json(extensionsOf(0), answer.status as 200)
}

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
 * Update or Delete Record by Unique: the record of a multi-valued profile extension that the body's
 * unique attributes select (docs/behaviour.md#extension-writes). To update, the body is the whole new
 * record (defaults and `mandatory` apply; the unique values never change); to delete, only the
 * unique attributes matter.
 */
/** The by-unique handlers run after `customerParam`, which validated the customer id. */
type CustomerContext = Context<AppEnv, string, { out: { param: { customerId: string } } }>

function byUnique(action: 'update' | 'delete') {
  return async (c: CustomerContext) => {
    const { db, tenant } = requestScope(c)
    const { customerId } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: false })
    await writeBatch(c, dataWrite, async (metadata) => {
      const { validator, unique } = uniqueExtension(metadata, c.req.param('name') ?? '')
      const selection = uniqueValues(unique, body)
      const name = validator.definition.name
      const parsed =
        action === 'update'
          ? validator.parseRecord(body, name)
          : validator.parseRecord(selection, name, { applyDefaults: false })
      if (!parsed.ok) throw new ApiError('invalid_extension_value', undefined, parsed.issues)
      const profileId = profileIdOf(tenant, customerId)
      const recordKey = validator.recordKey(parsed.data) as string
      const where = recordByKey(tenant, profileId, name.toLowerCase(), recordKey)
      const [record] = await sealWrites(requestScope(c), 'profile', [
        { validator, records: [{ data: parsed.data, recordKey }] },
      ])
      return {
        guards: [profileExists(tenant, customerId), recordExists(where)],
        change: action === 'update' ? updateRecord(db, where, record) : deleteRecord(db, where),
        keyEntries: rebuildProfileEntries(
          db,
          tenant,
          metadata.profile.keys,
          profileId,
          { coreAttributes: [], extensions: [name.toLowerCase()] },
          metadata.limits.keyEntriesPerProfile,
        ),
      }
    })
    return c.body(null, 204)
  }
}

// Update Record by Unique
profileRoutes.put(
  '/profiles/:customer_id/extensions/:name/by/unique',
  operation('/profiles/:customer_id/extensions/:name/by/unique', {
    id: 'updateRecordByUnique',
    summary: 'Update Record by Unique',
    tag: 'Profiles',
    data: true,
    body: {
      schema: v.record(v.string(), v.unknown()),
      description: 'The whole new record, with every unique attribute.',
    },
    success: { status: 204, description: 'replaced' },
    errors: [
      ...WRITE_ERRORS,
      'unknown_extension',
      'no_unique_key',
      'too_many_key_entries',
      'profile_not_found',
      'record_not_found',
      'unique_key_violation',
    ],
  }),
  customerParam,
  byUnique('update'),
)
// Delete Record by Unique
profileRoutes.put(
  '/profiles/:customer_id/extensions/:name/delete/by/unique',
  operation('/profiles/:customer_id/extensions/:name/delete/by/unique', {
    id: 'deleteRecordByUnique',
    summary: 'Delete Record by Unique',
    tag: 'Profiles',
    data: true,
    body: { schema: v.record(v.string(), v.unknown()), description: 'The unique attributes of the record.' },
    success: { status: 204, description: 'deleted' },
    errors: [...WRITE_ERRORS, 'unknown_extension', 'no_unique_key', 'profile_not_found', 'record_not_found'],
  }),
  customerParam,
  byUnique('delete'),
)

// Query Profile Schema: the core profile attributes (docs/behaviour.md#profiles).
profileRoutes.get(
  '/metadata/profiles',
  operation('/metadata/profiles', {
    id: 'queryProfileSchema',
    summary: 'Query Profile Schema',
    tag: 'Profiles',
    success: { status: 200, description: 'the core attributes', schema: CoreAttributesSchema },
    errors: [],
  }),
  async (c) => {
    const [schemaRows, keyRows] = await c
      .get('db')
      .batch(profileMetadataQueries(c.get('db'), c.get('tenant')))
    const profile = profileMetadataFromRows(schemaRows, keyRows)
    return c.json({ attributes: profile.attributes.map((core) => core.attribute) })
  },
)

// Update Profile Schema: replaces the whole list of core attributes (works in both modes).
profileRoutes.put(
  '/metadata/profiles',
  operation('/metadata/profiles', {
    id: 'updateProfileSchema',
    summary: 'Update Profile Schema',
    tag: 'Profiles',
    body: { schema: ProfileSchemaBody, description: 'The whole list of core attributes.' },
    success: { status: 200, description: 'the core attributes as stored', schema: CoreAttributesSchema },
    errors: ['validation_failed', 'reserved_name', 'attribute_in_use', 'metadata_changed'],
  }),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const body = parseOrThrow(ProfileSchemaBody, await readJsonObject(c, { emptyIsObject: false }))
    const attributes = parseAttributes(body.attributes)
    const reserved = attributes.findIndex((attribute) => attribute.name.toLowerCase() === 'customer_id')
    if (reserved !== -1) {
      throw new ApiError('reserved_name', 'customer_id is not a profile attribute', [
        { path: `attributes[${reserved}].name`, message: 'is reserved' },
      ])
    }
    await writeBatch(c, { data: false }, (metadata) => {
      if (attributes.some((attribute) => metadata.extension('profile', attribute.name))) {
        throw new ApiError('reserved_name', 'an attribute name is the name of a profile extension', [
          { path: 'attributes', message: 'names a profile extension' },
        ])
      }
      const kept = new Set(attributes.map((attribute) => attribute.name.toLowerCase()))
      const removed = metadata.profile.attributes.map((core) => core.key).filter((key) => !kept.has(key))
      return { schema: replaceCoreAttributes(db, tenant, attributes, removed) }
    })
    return c.json({ attributes })
  },
)

import { Hono } from 'hono'
import * as v from 'valibot'
import { runBatch } from '../db/batch'
import type { TenantMetadata } from '../db/metadata'
import { type AppEnv, type RequestScope, requestScope } from '../env'
import { SCHEMA_NAME } from '../extension-schemas/requests'
import { readJsonObject } from '../http/body'
import { ApiError, type FieldIssue } from '../http/errors'
import { rememberAnswer } from '../http/idempotency'
import { locationFor } from '../http/location'
import { operation } from '../http/openapi'
import { looseBoolean, parseOrThrow } from '../http/validate'
import { writeBatch } from '../http/write'
import type { KeyRow } from '../profiles/core-attributes'
import { deleteKey, insertKey, keyQueries } from './statements'

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
  unique: v.optional(looseBoolean),
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
    const attribute = extension
      ? extension.definition.attributes.find((a) => a.name.toLowerCase() === name.toLowerCase())
      : metadata.profile.attribute(name)?.attribute
    if (!attribute) {
      issues.push({
        path: `attributes[${index}]`,
        message: `is not an attribute of ${extension ? 'the extension' : 'profiles'}`,
      })
    } else if (attribute.encrypt) {
      // Its stored values are ciphertexts: nothing could look them up (docs/behaviour.md#encrypted-attributes).
      issues.push({ path: `attributes[${index}]`, message: 'is encrypted and cannot be part of a key' })
    }
    return attribute?.name ?? name
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

// Create Identification Key: the key and every existing profile's entries, in one batch.
identificationKeyRoutes.post(
  BASE,
  operation(BASE, {
    idempotent: true,
    id: 'createIdentificationKey',
    summary: 'Create Identification Key',
    tag: 'Identification keys',
    body: {
      schema: KeyBody,
      description: 'name, source (profile or a profile extension), 1 to 5 attributes, unique.',
    },
    success: {
      status: 201,
      description: 'created',
      schema: v.object({ name: v.string() }),
      headers: { Location: 'the new key' },
    },
    errors: [
      'validation_failed',
      'unknown_extension',
      'name_taken',
      'key_values_not_unique',
      'too_many_key_entries',
      'metadata_changed',
    ],
  }),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const body = parseOrThrow(KeyBody, await readJsonObject(c, { emptyIsObject: true }))
    await writeBatch(c, { data: false, keyConflict: 'key_values_not_unique' }, (metadata) => ({
      key: insertKey(
        db,
        tenant,
        { name: body.name, ...resolveKey(body, metadata) },
        metadata.limits.keyEntriesPerProfile,
      ),
      answer: rememberAnswer(c, {
        status: 201,
        body: { name: body.name },
        location: locationFor(c, `${BASE}/${body.name}`),
      }),
    }))
    c.header('Location', locationFor(c, `${BASE}/${body.name}`))
    return c.json({ name: body.name }, 201)
  },
)

/** A key as it is emitted. */
const KeySchema = v.object({
  name: v.string(),
  source: v.string(),
  attributes: v.array(v.string()),
  unique: v.boolean(),
})

/** A key as listed: extension attributes are prefixed with the extension's name (docs/behaviour.md#identify). */
function keyJson(key: KeyRow, extensionNames: Map<string, string>) {
  const source = key.source === null ? undefined : (extensionNames.get(key.source) ?? key.source)
  return {
    name: key.name,
    source: source ?? 'profile',
    attributes: source ? key.attributes.map((attribute) => `${source}.${attribute}`) : key.attributes,
    unique: key.unique,
  }
}

async function readKeys({ db, tenant }: RequestScope, name?: string) {
  const [keys, extensions] = await db.batch(keyQueries(db, tenant, name))
  const names = new Map(extensions.map((row) => [row.nameKey, row.name]))
  return keys.map((key) => keyJson(key, names))
}

// Query Identification Keys
identificationKeyRoutes.get(
  BASE,
  operation(BASE, {
    id: 'queryIdentificationKeys',
    summary: 'Query Identification Keys',
    tag: 'Identification keys',
    success: { status: 200, description: 'the keys, oldest first', schema: v.array(KeySchema) },
    errors: [],
  }),
  async (c) => c.json(await readKeys(requestScope(c))),
)

// Read Identification Key
identificationKeyRoutes.get(
  `${BASE}/:name`,
  operation(`${BASE}/:name`, {
    id: 'readIdentificationKey',
    summary: 'Read Identification Key',
    tag: 'Identification keys',
    success: { status: 200, description: 'the key', schema: KeySchema },
    errors: ['identification_key_not_found'],
  }),
  async (c) => {
    const [key] = await readKeys(requestScope(c), c.req.param('name'))
    if (!key) throw new ApiError('identification_key_not_found')
    return c.json(key)
  },
)

// Delete Identification Key
identificationKeyRoutes.delete(
  `${BASE}/:name`,
  operation(`${BASE}/:name`, {
    id: 'deleteIdentificationKey',
    summary: 'Delete Identification Key',
    tag: 'Identification keys',
    success: { status: 204, description: 'deleted, with its entries' },
    errors: ['identification_key_not_found'],
  }),
  async (c) => {
    await runBatch(c.get('db'), deleteKey(c.get('db'), c.get('tenant'), c.req.param('name')))
    return c.body(null, 204)
  },
)

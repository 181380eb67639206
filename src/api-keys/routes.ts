import { Hono } from 'hono'
import * as v from 'valibot'
import { runBatch } from '../db/batch'
import { type AppEnv, requestScope } from '../env'
import { timestamp } from '../events/fields'
import { readJsonObject } from '../http/body'
import { rememberAnswer } from '../http/idempotency'
import { locationFor } from '../http/location'
import { operation } from '../http/openapi'
import { parseOrThrow } from '../http/validate'
import { writeBatch } from '../http/write'
import { maxChars, noControlCharacters } from '../lib/text'
import { nowIso } from '../lib/time'
import { ApiKeySchema, apiKeyJson } from './json'
import { generateKey, KEY_SCOPES } from './keys'
import { deleteKey, insertKey, keysOf } from './statements'

/**
 * Key management (docs/behaviour.md#api-keys): `admin` scope, so a root token for any tenant (named by
 * the headers) or a tenant's own `admin` key for its own tenant.
 */
export const apiKeyRoutes = new Hono<AppEnv>()

const BASE = '/admin/keys'

const CreateKeyBody = v.strictObject({
  scope: v.picklist(KEY_SCOPES, 'must be read, write or admin'),
  name: v.optional(v.pipe(v.string('must be a string'), maxChars(64), noControlCharacters), ''),
  expires_at: v.optional(
    v.pipe(
      timestamp,
      v.check((at) => at > nowIso(), 'must be in the future'),
    ),
  ),
})

// Create API Key: the key is in this answer only; the database keeps its hash.
apiKeyRoutes.post(
  BASE,
  operation(BASE, {
    idempotent: true,
    id: 'createApiKey',
    summary: 'Create API Key',
    tag: 'API keys',
    description:
      'A key bound to the request’s tenant with a scope (read < write < admin). The `key` is shown once; store it.',
    body: { schema: CreateKeyBody, description: 'scope, an optional name and expiry.' },
    success: {
      status: 201,
      description: 'created: the key, shown this once',
      schema: v.object({ ...ApiKeySchema.entries, key: v.nullable(v.string()) }),
      headers: { Location: 'the key' },
    },
    errors: ['validation_failed'],
  }),
  async (c) => {
    const { db, tenant } = requestScope(c)
    const body = parseOrThrow(CreateKeyBody, await readJsonObject(c, { emptyIsObject: true }))
    const { id, key, hash } = await generateKey()
    const row = {
      id,
      tenant,
      name: body.name,
      scope: body.scope,
      hash,
      createdAt: nowIso(),
      expiresAt: body.expires_at ?? null,
      lastUsedAt: null,
    }
    await writeBatch(c, { data: false }, () => ({
      key: insertKey(db, row),
      // A retry gets the key's description, never the key again: the secret is not kept anywhere.
      answer: rememberAnswer(c, {
        status: 201,
        body: { ...apiKeyJson(row), key: null },
        location: locationFor(c, `${BASE}/${id}`),
      }),
    }))
    c.header('Location', locationFor(c, `${BASE}/${id}`))
    return c.json({ ...apiKeyJson(row), key }, 201)
  },
)

// List API Keys: the tenant's keys, without secrets.
apiKeyRoutes.get(
  BASE,
  operation(BASE, {
    id: 'listApiKeys',
    summary: 'List API Keys',
    tag: 'API keys',
    success: { status: 200, description: 'the tenant’s keys, oldest first', schema: v.array(ApiKeySchema) },
    errors: [],
  }),
  async (c) => c.json((await keysOf(c.get('db'), c.get('tenant'))).map(apiKeyJson)),
)

// Revoke API Key
apiKeyRoutes.delete(
  `${BASE}/:id`,
  operation(`${BASE}/:id`, {
    id: 'revokeApiKey',
    summary: 'Revoke API Key',
    tag: 'API keys',
    description: 'Every instance refuses the key within API_KEY_CACHE_SECONDS (at most 60 s).',
    success: { status: 204, description: 'revoked' },
    errors: ['api_key_not_found'],
  }),
  async (c) => {
    await runBatch(c.get('db'), deleteKey(c.get('db'), c.get('tenant'), c.req.param('id')))
    return c.body(null, 204)
  },
)

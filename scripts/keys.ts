/**
 * `npm run keys -- <command>`: manages API keys in the database that DATABASE_URL names (the
 * embedded file of `npm start` by default), without a running server (docs/behaviour.md#api-keys).
 *
 *   create --tenant <ContactCenterId> [--group <GroupId>] --scope read|write|admin [--name <text>] [--expires-at <ISO time>]
 *   list   --tenant <ContactCenterId> [--group <GroupId>]
 *   revoke <key id> --tenant <ContactCenterId> [--group <GroupId>]
 *
 * A created key is printed once; the database keeps its hash.
 */
import { parseArgs } from 'node:util'
import * as v from 'valibot'
import { apiKeyJson } from '../src/api-keys/json'
import { generateKey, KEY_SCOPES } from '../src/api-keys/keys'
import { deleteKey, insertKey, keysOf } from '../src/api-keys/statements'
import { DEFAULT_DATABASE_URL } from '../src/bootstrap'
import { entryConfigFromEnv } from '../src/config'
import { runBatch } from '../src/db/batch'
import { applyMigrations, openDatabase } from '../src/db/node'
import { tenantOf } from '../src/http/tenant'
import { normalizeDateTime, nowIso } from '../src/lib/time'

class UsageError extends Error {}

const USAGE = `usage: npm run keys -- create --tenant <id> [--group <id>] --scope read|write|admin [--name <text>] [--expires-at <ISO time>]
       npm run keys -- list --tenant <id> [--group <id>]
       npm run keys -- revoke <key id> --tenant <id> [--group <id>]`

async function main(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      group: { type: 'string' },
      scope: { type: 'string' },
      name: { type: 'string', default: '' },
      'expires-at': { type: 'string' },
    },
  })
  const [command, keyId] = positionals
  if (!values.tenant) throw new UsageError('--tenant is required')
  let tenant: string
  try {
    tenant = tenantOf(values.tenant, values.group)
  } catch {
    throw new UsageError('--tenant and --group are 1 to 64 characters of A-Z a-z 0-9 _ . -')
  }

  const config = entryConfigFromEnv(process.env)
  const { client, db } = await openDatabase(config.databaseUrl ?? DEFAULT_DATABASE_URL, {
    authToken: config.databaseAuthToken,
  })
  try {
    await applyMigrations(db)
    if (command === 'create') {
      const scope = v.parse(v.picklist(KEY_SCOPES), values.scope, {
        message: '--scope must be read, write or admin',
      })
      const expiresAt = values['expires-at'] === undefined ? null : normalizeDateTime(values['expires-at'])
      if (expiresAt === undefined || (expiresAt !== null && expiresAt <= nowIso()))
        throw new UsageError('--expires-at must be an ISO 8601 time in the future')
      const { id, key, hash } = await generateKey()
      const row = {
        id,
        tenant,
        name: values.name,
        scope,
        hash,
        createdAt: nowIso(),
        expiresAt,
        lastUsedAt: null,
      }
      await runBatch(db, [insertKey(db, row)])
      console.log(JSON.stringify({ ...apiKeyJson(row), key }, null, 2))
      console.error('The key is shown this once: store it now.')
    } else if (command === 'list') {
      console.log(JSON.stringify((await keysOf(db, tenant)).map(apiKeyJson), null, 2))
    } else if (command === 'revoke' && keyId) {
      await runBatch(db, deleteKey(db, tenant, keyId))
      console.log(`revoked ${keyId}: every instance refuses it within API_KEY_CACHE_SECONDS`)
    } else {
      throw new UsageError('the command is create, list or revoke <key id>')
    }
  } finally {
    client.close()
  }
}

try {
  await main(process.argv.slice(2))
} catch (error) {
  const message =
    error instanceof UsageError || error instanceof v.ValiError
      ? `${error.message}\n${USAGE}`
      : error instanceof Error && error.name === 'Refusal'
        ? 'no key with that id in this tenant'
        : `keys: ${error instanceof Error ? error.message : String(error)}`
  console.error(message)
  process.exitCode = 1
}

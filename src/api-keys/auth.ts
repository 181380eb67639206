import type { MiddlewareHandler } from 'hono'
import { timingSafeEqual } from 'hono/utils/buffer'
import type { AppConfig } from '../config'
import type { KeyScope } from '../db/tables'
import type { AppEnv } from '../env'
import { ApiError } from '../http/errors'
import { tenantOf } from '../http/tenant'
import { nowIso } from '../lib/time'
import type { KeyCache } from './cache'
import { allows, hashKey, keyIdOf } from './keys'
import { useKey } from './statements'

const ALIAS = '/genesys/1/cs'

/**
 * What a request needs (docs/behaviour.md#api-keys): reading is `read`; changing data is `write`;
 * changing schemas, keys, catalogs or the server mode, reading the server's status and managing keys
 * is `admin`.
 */
export function requiredScope(method: string, path: string, basePath?: string): KeyScope {
  let route = path
  for (const prefix of [ALIAS, basePath]) {
    if (prefix && (route === prefix || route.startsWith(`${prefix}/`))) route = route.slice(prefix.length)
  }
  if (route.startsWith('/admin/') || route === '/admin' || route.startsWith('/server/')) return 'admin'
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read'
  return route.startsWith('/metadata/') ? 'admin' : 'write'
}

function unauthorized(): never {
  throw new ApiError('unauthorized', 'a valid Authorization: Bearer token is required')
}

/**
 * Who is calling, and for which tenant. A root token (`API_TOKENS`) acts as `admin` on the tenant its
 * headers name; an API key acts on its own tenant only, within its scope: headers that name another
 * tenant are 403 `forbidden_tenant`, a call above its scope 403 `insufficient_scope`. With no root
 * token configured the server is open (it says so at start), but a key that is presented is still
 * checked and bound.
 */
export function authentication(config: AppConfig, cache: KeyCache): MiddlewareHandler<AppEnv> {
  const open = config.apiTokens.length === 0
  return async (c, next) => {
    const headerTenant = () => tenantOf(c.req.header('ContactCenterId'), c.req.header('GroupId'))
    const token = /^Bearer +(\S+) *$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    const keyId = token === undefined ? undefined : keyIdOf(token)

    if (keyId === undefined || token === undefined) {
      if (!open && !(token !== undefined && (await isRootToken(config.apiTokens, token)))) unauthorized()
      c.set('tenant', headerTenant())
      c.set('credential', { kind: 'root' })
      return next()
    }

    const now = Date.now()
    let row = cache.get(keyId, now)
    if (row === undefined) {
      ;[row = null] = await useKey(c.get('db'), keyId, nowIso())
      cache.set(keyId, row, now)
    }
    const valid =
      row !== null &&
      (await timingSafeEqual(row.hash, await hashKey(token))) &&
      (row.expiresAt === null || row.expiresAt > new Date(now).toISOString())
    if (!valid || row === null) unauthorized()
    if (c.req.header('ContactCenterId') !== undefined || c.req.header('GroupId') !== undefined) {
      if (headerTenant() !== row.tenant) throw new ApiError('forbidden_tenant')
    }
    if (!allows(row.scope, requiredScope(c.req.method, c.req.path, config.basePath)))
      throw new ApiError('insufficient_scope')
    c.set('tenant', row.tenant)
    c.set('credential', { kind: 'key', id: row.id, scope: row.scope })
    return next()
  }
}

/** Compares with every root token in constant time (no early exit on the first match). */
async function isRootToken(tokens: string[], token: string): Promise<boolean> {
  const matches = await Promise.all(tokens.map((root) => timingSafeEqual(root, token)))
  return matches.includes(true)
}

import type { Context } from 'hono'
import type { AppConfig } from './config'
import type { Database } from './db/database'
import type { KeyScope } from './db/tables'
import type { AttributeCipher } from './extension-schemas/encryption'
import type { IdempotentRequest } from './http/idempotency'

/** Hono's environment: what middleware puts on the context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string
    /** `ContactCenterId/GroupId`: every row and every query is scoped by it (docs/behaviour.md#tenants). */
    tenant: string
    /** Who is calling: a root token (`API_TOKENS`, or an open server) or an API key (docs/behaviour.md#api-keys). */
    credential: { kind: 'root' } | { kind: 'key'; id: string; scope: KeyScope }
    db: Database
    config: AppConfig
    /** Encrypts and decrypts the values of encrypted extension attributes. */
    cipher: AttributeCipher
    stats: InstanceStats
    /** The runtime's memory figures, where it can tell them. */
    memory?: () => MemoryFigures
    /** A POST's `Idempotency-Key` (docs/behaviour.md#idempotency). */
    idempotency?: IdempotentRequest
    /** Set when the request failed by a fault of the server (counted as a server error). */
    fault?: boolean
  }
}

/** What a request's reads and writes need of its context: its database, tenant and cipher. */
export type RequestScope = Pick<AppEnv['Variables'], 'db' | 'tenant' | 'cipher'>

/** The request's scope, read variable by variable: `c.var` builds an object of every variable on each use. */
export function requestScope(c: { get: Context<AppEnv>['get'] }): RequestScope {
  return { db: c.get('db'), tenant: c.get('tenant'), cipher: c.get('cipher') }
}

/** Counters of this instance (this process or isolate) for today (UTC), shown by GET /server/status. */
export interface InstanceStats {
  started: string
  /** When the previous request arrived. */
  lastRequest: string | null
  /** The UTC day the counters count (`YYYY-MM-DD`); they restart at 00:00 UTC. */
  day: string
  requests: number
  clientErrors: number
  serverErrors: number
}

/** What the runtime can tell of its memory, in bytes (Node, Deno; Workers cannot). */
export interface MemoryFigures {
  max_memory: number
  used_memory: number
  allocated_memory: number
  free_memory: number
}

import type { AppConfig } from './config'
import type { Database } from './db/database'

/** Hono's environment: what middleware puts on the context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string
    /** `ContactCenterId/GroupId`: every row and every query is scoped by it (docs/behaviour.md#tenants). */
    tenant: string
    db: Database
    config: AppConfig
    stats: InstanceStats
    /** Set when the request failed by a fault of the server (counted as a server error). */
    fault?: boolean
  }
}

/** Counters of this instance (this process or isolate), shown by GET /server/status. */
export interface InstanceStats {
  started: string
  /** When the previous request arrived. */
  lastRequest: string | null
  requests: number
  clientErrors: number
  serverErrors: number
}

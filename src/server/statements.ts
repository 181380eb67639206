import { eq, sql } from 'drizzle-orm'
import type { Database } from '../db/database'
import type { ServerMode } from '../db/metadata'
import { tenantState } from '../db/tables'

/** Set Server Mode: stored per tenant, so every instance agrees at once (docs/behaviour.md#server-mode). */
export function setMode(db: Database, tenant: string, mode: ServerMode) {
  return db
    .insert(tenantState)
    .values({ tenant, mode })
    .onConflictDoUpdate({ target: tenantState.tenant, set: { mode } })
}

export function modeQuery(db: Database, tenant: string) {
  return db.select({ mode: tenantState.mode }).from(tenantState).where(eq(tenantState.tenant, tenant))
}

/** The cheapest statement that proves the database answers. */
export function ping(db: Database) {
  return db.run(sql`SELECT 1`)
}

import { and, asc, eq, sql } from 'drizzle-orm'
import { guard } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { apiKeys } from '../db/tables'

export type ApiKeyRow = typeof apiKeys.$inferSelect

export function insertKey(db: Database, row: ApiKeyRow): Statement {
  return db.insert(apiKeys).values(row)
}

/**
 * The key with this id, stamped as used now: one statement, so a lookup (made once per cache period
 * per instance, docs/behaviour.md#api-keys) costs one round trip and keeps `last_used_at` honest.
 */
export function useKey(db: Database, id: string, now: string) {
  return db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id)).returning()
}

/** The tenant's keys, oldest first. */
export function keysOf(db: Database, tenant: string) {
  return db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.tenant, tenant))
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
}

/** Revoke: the key is deleted; every instance stops accepting it when its cache entry ends. */
export function deleteKey(db: Database, tenant: string, id: string): Statement[] {
  const own = and(eq(apiKeys.tenant, tenant), eq(apiKeys.id, id))
  return [
    guard('api_key_not_found', sql`NOT EXISTS (SELECT 1 FROM ${apiKeys} WHERE ${own})`),
    db.delete(apiKeys).where(own),
  ]
}

import type { SQL } from 'drizzle-orm'
import type { Database } from '../db/database'
import { recordsQuery } from '../db/extension-records'
import { profiles } from '../db/tables'
import { profileIdOf, thisProfile } from './statements'

/** Read Profile: the profile row and the records of the named extensions (lowercased names). */
export function profileQueries(db: Database, tenant: string, customerId: string, extensionKeys: string[]) {
  return {
    profile: db.select().from(profiles).where(thisProfile(tenant, customerId)),
    records: extensionKeys.length
      ? recordsQuery(db, tenant, 'profile', profileIdOf(tenant, customerId), extensionKeys)
      : undefined,
  }
}

/** Identify Customer: the matching profiles (at most `limit + 1`, oldest first) and their records. */
export function identifyQueries(
  db: Database,
  tenant: string,
  where: SQL,
  limit: number,
  extensionKeys: string[],
) {
  const ids = db
    .select({ id: profiles.id })
    .from(profiles)
    .where(where)
    .orderBy(profiles.id)
    .limit(limit + 1)
  return [
    db
      .select()
      .from(profiles)
      .where(where)
      .orderBy(profiles.id)
      .limit(limit + 1),
    recordsQuery(db, tenant, 'profile', extensionKeys.length ? ids : [], extensionKeys),
  ] as const
}

import { and, eq, type SQL, sql } from 'drizzle-orm'
import { guard, insertedId } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { bumpMetadataVersion } from '../db/metadata'
import { extensionSchemas, identificationKeys, keyEntries } from '../db/tables'
import { insertKeyEntries, keyEntriesBounded } from '../profiles/statements'

function keyNamed(tenant: string, name: string): SQL {
  return and(eq(identificationKeys.tenant, tenant), eq(identificationKeys.nameKey, name.toLowerCase())) as SQL
}

export interface NewKey {
  name: string
  /** NULL: core attributes; else the lowercased name of a profile extension. */
  source: string | null
  attributes: string[]
  unique: boolean
}

/**
 * Create Identification Key: the key and the entries of every existing profile, in one batch; refused
 * when the name is taken or a profile would get too many entries (docs/behaviour.md#identify, #limits).
 */
export function insertKey(db: Database, tenant: string, key: NewKey, maxEntries: number): Statement[] {
  const definition = { id: insertedId('identification_keys'), ...key }
  return [
    guard(
      'name_taken',
      sql`EXISTS (SELECT 1 FROM ${identificationKeys} WHERE ${keyNamed(tenant, key.name)})`,
    ),
    db.insert(identificationKeys).values({
      tenant,
      name: key.name,
      nameKey: key.name.toLowerCase(),
      source: key.source,
      attributes: key.attributes,
      unique: key.unique,
    }),
    keyEntriesBounded(tenant, definition, maxEntries),
    insertKeyEntries(db, tenant, definition),
    bumpMetadataVersion(db, tenant),
  ]
}

/** Delete Identification Key with its entries. */
export function deleteKey(db: Database, tenant: string, name: string): Statement[] {
  return [
    guard(
      'identification_key_not_found',
      sql`NOT EXISTS (SELECT 1 FROM ${identificationKeys} WHERE ${keyNamed(tenant, name)})`,
    ),
    db
      .delete(keyEntries)
      .where(
        and(
          eq(keyEntries.tenant, tenant),
          eq(
            keyEntries.keyId,
            sql`(SELECT ${identificationKeys.id} FROM ${identificationKeys} WHERE ${keyNamed(tenant, name)})`,
          ),
        ),
      ),
    db.delete(identificationKeys).where(keyNamed(tenant, name)),
    bumpMetadataVersion(db, tenant),
  ]
}

/** The keys (all, or the one named) in creation order, and the names of the profile extensions. */
export function keyQueries(db: Database, tenant: string, name?: string) {
  return [
    db
      .select()
      .from(identificationKeys)
      .where(name === undefined ? eq(identificationKeys.tenant, tenant) : keyNamed(tenant, name))
      .orderBy(identificationKeys.id),
    db
      .select({ nameKey: extensionSchemas.nameKey, name: extensionSchemas.name })
      .from(extensionSchemas)
      .where(and(eq(extensionSchemas.tenant, tenant), eq(extensionSchemas.ownerKind, 'profile'))),
  ] as const
}

import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import { guard } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { bumpMetadataVersion } from '../db/metadata'
import { extensionRecords, extensionSchemas, identificationKeys, type OwnerKind } from '../db/tables'
import type { ExtensionDefinition } from './validator'

function schemaNamed(tenant: string, kind: OwnerKind, name: string): SQL {
  return and(
    eq(extensionSchemas.tenant, tenant),
    eq(extensionSchemas.ownerKind, kind),
    eq(extensionSchemas.nameKey, name.toLowerCase()),
  ) as SQL
}

/** Create Extension Schema: refused when the name is taken (regardless of case); bumps the version. */
export function insertSchema(
  db: Database,
  tenant: string,
  kind: OwnerKind,
  definition: ExtensionDefinition,
): Statement[] {
  return [
    guard(
      'name_taken',
      sql`EXISTS (SELECT 1 FROM ${extensionSchemas} WHERE ${schemaNamed(tenant, kind, definition.name)})`,
    ),
    db.insert(extensionSchemas).values({
      tenant,
      ownerKind: kind,
      name: definition.name,
      nameKey: definition.name.toLowerCase(),
      multiValued: definition.multiValued,
      attributes: definition.attributes,
      unique: definition.unique,
      required: definition.required ?? null,
    }),
    bumpMetadataVersion(db, tenant),
  ]
}

/** Delete Extension Schema with every record of it; refused while an identification key uses it. */
export function deleteSchema(db: Database, tenant: string, kind: OwnerKind, name: string): Statement[] {
  return [
    guard(
      'extension_not_found',
      sql`NOT EXISTS (SELECT 1 FROM ${extensionSchemas} WHERE ${schemaNamed(tenant, kind, name)})`,
    ),
    guard(
      'schema_in_use',
      sql`EXISTS (SELECT 1 FROM ${identificationKeys} WHERE ${identificationKeys.tenant} = ${tenant} AND ${identificationKeys.source} = ${name.toLowerCase()} AND ${kind} = 'profile')`,
    ),
    db
      .delete(extensionRecords)
      .where(
        and(
          eq(extensionRecords.tenant, tenant),
          eq(extensionRecords.ownerKind, kind),
          eq(extensionRecords.extension, name.toLowerCase()),
        ),
      ),
    db.delete(extensionSchemas).where(schemaNamed(tenant, kind, name)),
    bumpMetadataVersion(db, tenant),
  ]
}

/** The schemas of one owner kind, in creation order; or the one with `name`. */
export function schemasQuery(db: Database, tenant: string, kind: OwnerKind, name?: string) {
  return db
    .select()
    .from(extensionSchemas)
    .where(
      name === undefined
        ? and(eq(extensionSchemas.tenant, tenant), eq(extensionSchemas.ownerKind, kind))
        : schemaNamed(tenant, kind, name),
    )
    .orderBy(asc(extensionSchemas.id))
}

import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import { guard } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { businessAttributes } from '../db/tables'
import type { BusinessAttributeDefinition } from './requests'

function attributeNamed(tenant: string, name: string): SQL {
  return and(eq(businessAttributes.tenant, tenant), eq(businessAttributes.nameKey, name.toLowerCase())) as SQL
}

/** Whether the attribute exists before the write: read in the write's own batch, so it cannot race. */
export function businessAttributeCount(db: Database, tenant: string, name: string) {
  return db.select({ n: sql<number>`count(*)` }).from(businessAttributes).where(attributeNamed(tenant, name))
}

/**
 * Put Business Attribute: creates or replaces it. A Context Services field is described by one
 * business attribute of a tenant: naming one that another attribute describes is 409
 * `cv_attribute_taken` (docs/behaviour.md#business-attributes).
 */
export function putBusinessAttribute(
  db: Database,
  tenant: string,
  definition: BusinessAttributeDefinition,
): Statement[] {
  const row = {
    tenant,
    name: definition.name,
    nameKey: definition.name.toLowerCase(),
    dbid: definition.dbid,
    displayName: definition.displayName,
    description: definition.description,
    mapName: definition.mapName,
    cvAttributes: definition.cvAttributes,
    values: definition.values,
  }
  return [
    guard(
      'cv_attribute_taken',
      sql`EXISTS (SELECT 1 FROM ${businessAttributes}, json_each(${businessAttributes.cvAttributes}) f WHERE ${businessAttributes.tenant} = ${tenant} AND ${businessAttributes.nameKey} <> ${row.nameKey} AND f.value IN (SELECT value FROM json_each(${JSON.stringify(definition.cvAttributes)})))`,
    ),
    db
      .insert(businessAttributes)
      .values(row)
      .onConflictDoUpdate({
        target: [businessAttributes.tenant, businessAttributes.nameKey],
        set: {
          name: row.name,
          dbid: row.dbid,
          displayName: row.displayName,
          description: row.description,
          mapName: row.mapName,
          cvAttributes: row.cvAttributes,
          values: row.values,
        },
      }),
  ]
}

export function deleteBusinessAttribute(db: Database, tenant: string, name: string): Statement[] {
  return [
    guard(
      'business_attribute_not_found',
      sql`NOT EXISTS (SELECT 1 FROM ${businessAttributes} WHERE ${attributeNamed(tenant, name)})`,
    ),
    db.delete(businessAttributes).where(attributeNamed(tenant, name)),
  ]
}

/** The tenant's business attributes by name; or the one named `name`; or the one describing a field. */
export function businessAttributesQuery(
  db: Database,
  tenant: string,
  filter: { name?: string; cvAttribute?: string } = {},
) {
  return db
    .select()
    .from(businessAttributes)
    .where(
      and(
        eq(businessAttributes.tenant, tenant),
        filter.name !== undefined ? eq(businessAttributes.nameKey, filter.name.toLowerCase()) : undefined,
        filter.cvAttribute !== undefined
          ? sql`EXISTS (SELECT 1 FROM json_each(${businessAttributes.cvAttributes}) WHERE value = ${filter.cvAttribute})`
          : undefined,
      ),
    )
    .orderBy(asc(businessAttributes.nameKey))
}

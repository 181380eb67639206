import { eq } from 'drizzle-orm'
import type * as v from 'valibot'
import type { Database } from '../db/database'
import { identificationKeys, profileSchemas, type StoredAttribute } from '../db/tables'
import { attributeValueSchema } from '../extension-schemas/attribute-values'

/** Core attributes a tenant has until it PUTs its own (docs/behaviour.md#profiles). */
export const PREDEFINED_PROFILE_ATTRIBUTES: StoredAttribute[] = [
  'FirstName',
  'LastName',
  'PhoneNumber',
  'EmailAddress',
  'Title',
].map((name) => ({ name, type: 'string' }))

export type KeyRow = typeof identificationKeys.$inferSelect

export interface CoreAttribute {
  attribute: StoredAttribute
  /** Lowercased name: the key of its values in `profiles.attributes`. */
  key: string
  schema: v.GenericSchema
}

/** The profile half of a tenant's metadata: core attributes and identification keys. */
export class ProfileMetadata {
  readonly attributes: CoreAttribute[]
  readonly keys: KeyRow[]
  private readonly byKey: Map<string, CoreAttribute>

  constructor(attributes: StoredAttribute[] | undefined, keys: KeyRow[]) {
    this.attributes = (attributes ?? PREDEFINED_PROFILE_ATTRIBUTES).map((attribute) => ({
      attribute,
      key: attribute.name.toLowerCase(),
      schema: attributeValueSchema(attribute),
    }))
    this.byKey = new Map(this.attributes.map((core) => [core.key, core]))
    this.keys = [...keys].sort((a, b) => a.id - b.id)
  }

  /** A core attribute by name, case-insensitively (docs/behaviour.md#profiles). */
  attribute(name: string): CoreAttribute | undefined {
    return this.byKey.get(name.toLowerCase())
  }

  key(name: string): KeyRow | undefined {
    return this.keys.find((key) => key.nameKey === name.toLowerCase())
  }
}

/** The queries that read it; they join the request's metadata batch. */
export function profileMetadataQueries(db: Database, tenant: string) {
  return [
    db.select().from(profileSchemas).where(eq(profileSchemas.tenant, tenant)),
    db
      .select()
      .from(identificationKeys)
      .where(eq(identificationKeys.tenant, tenant))
      .orderBy(identificationKeys.id),
  ] as const
}

export function profileMetadataFromRows(
  schemaRows: { attributes: StoredAttribute[] }[],
  keyRows: KeyRow[],
): ProfileMetadata {
  return new ProfileMetadata(schemaRows[0]?.attributes, keyRows)
}

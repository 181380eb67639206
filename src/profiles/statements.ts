import { and, eq, type SQL, sql } from 'drizzle-orm'
import { guard } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { deleteOwnerRecords, insertRecords, recordsBounded, replaceExtensions } from '../db/extension-records'
import { bumpMetadataVersion } from '../db/metadata'
import {
  extensionRecords,
  identificationKeys,
  keyEntries,
  type ProfileValues,
  profileSchemas,
  profiles,
  type StoredAttribute,
  services,
} from '../db/tables'
import type { SealedWrite } from '../extension-schemas/encryption'
import type { ExtensionValidator } from '../extension-schemas/validator'
import { deleteServiceStatements } from '../services/statements'
import type { KeyRow } from './core-attributes'

export function thisProfile(tenant: string, customerId: string): SQL {
  return and(eq(profiles.tenant, tenant), eq(profiles.customerId, customerId)) as SQL
}

/** The internal id of a profile, as a subquery usable anywhere in a batch (also after its insert). */
export function profileIdOf(tenant: string, customerId: string): SQL {
  return sql`(SELECT ${profiles.id} FROM ${profiles} WHERE ${thisProfile(tenant, customerId)})`
}

export function profileExists(tenant: string, customerId: string): Statement {
  return guard(
    'profile_not_found',
    sql`NOT EXISTS (SELECT 1 FROM ${profiles} WHERE ${thisProfile(tenant, customerId)})`,
  )
}

export function profileAbsent(tenant: string, customerId: string): Statement {
  return guard(
    'customer_exists',
    sql`EXISTS (SELECT 1 FROM ${profiles} WHERE ${thisProfile(tenant, customerId)})`,
  )
}

/**
 * How a key value is compared: booleans as true/false, numbers as their decimal text, text as is.
 * Index entries and Identify filters must canonicalise alike, so both use this one expression.
 */
export function canonical(alias: string): SQL {
  return sql.raw(
    `CASE ${alias}.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(${alias}.value AS TEXT) END`,
  )
}

export interface KeyDefinition {
  id: number | SQL
  source: string | null
  attributes: string[]
  unique: boolean
}

/**
 * Fills the identification index for one key from what is stored, for one profile (`profileId`) or
 * for every profile of the tenant: one entry per combination of the profile's values (every value of
 * a multi-valued core attribute; every record of an extension); none when an attribute is missing.
 * Deriving entries in SQL from the stored rows keeps them exact whatever the write path was.
 * Run `keyEntriesBounded` first: it refuses a profile whose entries would be too many before any
 * combination is built.
 */
export function insertKeyEntries(
  db: Database,
  tenant: string,
  key: KeyDefinition,
  profileId?: SQL,
): Statement {
  const slots = [0, 1, 2, 3, 4].map((i) => (i < key.attributes.length ? canonical(`x${i}`) : sql`''`))
  let from: SQL
  if (key.source === null) {
    const joins = key.attributes.map(
      (name, i) =>
        sql`JOIN json_each(p.attributes) ${sql.raw(`a${i}`)} ON ${sql.raw(`a${i}`)}.key = ${name.toLowerCase()} JOIN json_each(${sql.raw(`a${i}`)}.value) ${sql.raw(`x${i}`)}`,
    )
    from = sql`FROM ${profiles} p ${sql.join(joins, sql` `)} WHERE p.tenant = ${tenant}${profileId ? sql` AND p.id = ${profileId}` : sql``}`
  } else {
    const joins = key.attributes.map(
      (name, i) => sql`JOIN json_each(r.data) ${sql.raw(`x${i}`)} ON ${sql.raw(`x${i}`)}.key = ${name}`,
    )
    from = sql`FROM ${extensionRecords} r ${sql.join(joins, sql` `)} WHERE r.tenant = ${tenant} AND r.owner_kind = 'profile' AND r.extension = ${key.source}${profileId ? sql` AND r.owner_id = ${profileId}` : sql``}`
  }
  const notNull = key.attributes.map((_, i) => sql.raw(` AND x${i}.type <> 'null'`))
  const owner = key.source === null ? sql.raw('p.id') : sql.raw('r.owner_id')
  return db.run(
    sql`INSERT INTO ${keyEntries} (tenant, key_id, profile_id, v1, v2, v3, v4, v5, is_unique) SELECT DISTINCT ${tenant}, ${key.id}, ${owner}, ${sql.join(slots, sql`, `)}, ${key.unique ? 1 : 0} ${from}${sql.join(notNull, sql``)}`,
  ) as unknown as Statement
}

/**
 * A guard that refuses the batch when a profile (one, or any of the tenant's) would get more than
 * `limit` entries for `key` (docs/behaviour.md#limits). It counts without building a combination: for core
 * attributes the product of their numbers of values, for an extension its records that have every
 * key attribute, so a refused write costs no more than an accepted one.
 */
export function keyEntriesBounded(
  tenant: string,
  key: KeyDefinition,
  limit: number,
  profileId?: SQL,
): Statement {
  if (key.source === null) {
    const counts = key.attributes.map(
      (name) =>
        sql`(SELECT json_array_length(a.value) FROM json_each(p.attributes) a WHERE a.key = ${name.toLowerCase()})`,
    )
    return guard(
      'too_many_key_entries',
      sql`EXISTS (SELECT 1 FROM ${profiles} p WHERE p.tenant = ${tenant}${profileId ? sql` AND p.id = ${profileId}` : sql``} AND ${sql.join(counts, sql` * `)} > ${limit})`,
    )
  }
  const present = key.attributes.map(
    (name) => sql` AND EXISTS (SELECT 1 FROM json_each(r.data) x WHERE x.key = ${name} AND x.type <> 'null')`,
  )
  return guard(
    'too_many_key_entries',
    sql`EXISTS (SELECT 1 FROM ${extensionRecords} r WHERE r.tenant = ${tenant} AND r.owner_kind = 'profile' AND r.extension = ${key.source}${profileId ? sql` AND r.owner_id = ${profileId}` : sql``}${sql.join(present, sql``)} GROUP BY r.owner_id HAVING count(*) > ${limit})`,
  )
}

/** What a profile write changed: lowercased core attribute keys and lowercased extension names. */
export interface ProfileChange {
  coreAttributes: string[]
  extensions: string[]
}

function keyTouched(key: KeyRow, change: ProfileChange): boolean {
  if (key.source !== null) return change.extensions.includes(key.source)
  return key.attributes.some((name) => change.coreAttributes.includes(name.toLowerCase()))
}

/**
 * Rebuilds one profile's entries of the keys whose attributes the write changed, after whatever the
 * batch wrote before; entries of other keys stay. A write's cost depends on what it changes, not on
 * everything the profile holds (docs/behaviour.md#limits).
 */
export function rebuildProfileEntries(
  db: Database,
  tenant: string,
  keys: KeyRow[],
  profileId: SQL,
  change: ProfileChange,
  limit: number,
): Statement[] {
  return keys
    .filter((key) => keyTouched(key, change))
    .flatMap((key) => [
      db
        .delete(keyEntries)
        .where(
          and(
            eq(keyEntries.tenant, tenant),
            eq(keyEntries.profileId, profileId),
            eq(keyEntries.keyId, key.id),
          ),
        ),
      keyEntriesBounded(tenant, key, limit, profileId),
      insertKeyEntries(db, tenant, key, profileId),
    ])
}

/**
 * Insert Extension Records (docs/behaviour.md#extension-writes): single-valued → replaced; multi-valued with `unique` → a
 * record with the same unique values replaces the stored one, others are appended; without → appended.
 */
export function mergeExtension(
  db: Database,
  tenant: string,
  ownerId: SQL,
  write: SealedWrite,
  maxRecords: number,
): Statement[] {
  const { multiValued, unique, name } = write.validator.definition
  if (!multiValued) return replaceExtensions(db, tenant, 'profile', ownerId, [write])
  if (!write.records.length) return []
  const extension = name.toLowerCase()
  const rows = write.records.map((record) => ({ extension, recordKey: record.recordKey, data: record.data }))
  // With `unique`, a record whose unique values are stored replaces the stored one.
  const replace = unique?.length
    ? sql` ON CONFLICT (tenant, owner_kind, owner_id, extension, record_key) DO UPDATE SET data = excluded.data`
    : undefined
  return [
    insertRecords(db, tenant, 'profile', ownerId, rows, replace),
    recordsBounded(tenant, 'profile', ownerId, extension, maxRecords),
  ]
}

/** The one record of a profile extension with these unique values. */
export function recordByKey(tenant: string, ownerId: SQL, extension: string, recordKey: string): SQL {
  return and(
    eq(extensionRecords.tenant, tenant),
    eq(extensionRecords.ownerKind, 'profile'),
    eq(extensionRecords.ownerId, ownerId),
    eq(extensionRecords.extension, extension),
    eq(extensionRecords.recordKey, recordKey),
  ) as SQL
}

export function recordExists(where: SQL): Statement {
  return guard('record_not_found', sql`NOT EXISTS (SELECT 1 FROM ${extensionRecords} WHERE ${where})`)
}

/**
 * Deletes a profile with its extension records, its key entries and its services with their states
 * and tasks (docs/behaviour.md#profiles).
 */
export function deleteProfileStatements(db: Database, tenant: string, customerId: string): Statement[] {
  const profileId = profileIdOf(tenant, customerId)
  const serviceIds = db
    .select({ id: services.id })
    .from(services)
    .where(and(eq(services.tenant, tenant), eq(services.customerId, customerId)))
  return [
    ...deleteServiceStatements(db, tenant, serviceIds),
    deleteOwnerRecords(db, tenant, 'profile', profileId),
    db.delete(keyEntries).where(and(eq(keyEntries.tenant, tenant), eq(keyEntries.profileId, profileId))),
    db.delete(profiles).where(thisProfile(tenant, customerId)),
  ]
}

/** Create Profile: the profile row (its extensions and key entries follow in the same batch). */
export function insertProfile(
  db: Database,
  tenant: string,
  customerId: string,
  values: ProfileValues,
): Statement {
  return db.insert(profiles).values({ tenant, customerId, attributes: values })
}

/** Update Profile: every core attribute is replaced. */
export function replaceProfileValues(
  db: Database,
  tenant: string,
  customerId: string,
  values: ProfileValues,
): Statement {
  return db.update(profiles).set({ attributes: values }).where(thisProfile(tenant, customerId))
}

/** Update Record by Unique: the selected record's attributes become the write's one record. */
export function updateRecord(db: Database, where: SQL, write: SealedWrite): Statement {
  return db.update(extensionRecords).set({ data: write.records[0].data }).where(where)
}

/** Delete Record by Unique. */
export function deleteRecord(db: Database, where: SQL): Statement {
  return db.delete(extensionRecords).where(where)
}

/**
 * Update Profile Schema: the core attribute list becomes `attributes`. Removing an attribute that an
 * identification key uses is refused; the stored values of removed attributes are deleted.
 */
export function replaceCoreAttributes(
  db: Database,
  tenant: string,
  attributes: StoredAttribute[],
  removedKeys: string[],
): Statement[] {
  const removal: Statement[] = removedKeys.length
    ? [
        guard(
          'attribute_in_use',
          sql`EXISTS (SELECT 1 FROM ${identificationKeys} k, json_each(k.attributes) a WHERE k.tenant = ${tenant} AND k.source IS NULL AND lower(a.value) IN ${removedKeys})`,
        ),
        db
          .update(profiles)
          .set({
            attributes: sql`(SELECT json_group_object(key, json(value)) FROM json_each(${profiles.attributes}) WHERE key NOT IN ${removedKeys})`,
          })
          .where(eq(profiles.tenant, tenant)),
      ]
    : []
  return [
    ...removal,
    db
      .insert(profileSchemas)
      .values({ tenant, attributes })
      .onConflictDoUpdate({ target: profileSchemas.tenant, set: { attributes } }),
    bumpMetadataVersion(db, tenant),
  ]
}

/**
 * The named extensions of one profile as Insert Extension Records answers them (multi-valued: an
 * array; single-valued: its record), computed by the batch itself from the stored records (so
 * encrypted attributes stay sealed). What an Idempotency-Key keeps for a retry.
 */
export function storedExtensionsJson(tenant: string, ownerId: SQL, validators: ExtensionValidator[]): SQL {
  const parts = validators.map(({ definition }) => {
    const records = sql`FROM ${extensionRecords} r WHERE r.tenant = ${tenant} AND r.owner_kind = 'profile' AND r.owner_id = ${ownerId} AND r.extension = ${definition.name.toLowerCase()} ORDER BY r.id`
    return definition.multiValued
      ? sql`${definition.name}, (SELECT coalesce(json_group_array(json(data)), json('[]')) FROM (SELECT r.data ${records}))`
      : sql`${definition.name}, (SELECT json(r.data) ${records} LIMIT 1)`
  })
  return parts.length ? sql`json_object(${sql.join(parts, sql`, `)})` : sql`json_object()`
}

import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/** A "long or string" business attribute value, stored as JSON so its type survives (docs/behaviour.md#event-fields). */
export type LongOrString = number | string

/** An event as it is emitted under `started` / `completed`: event fields only, in emission order. */
export type EventJson = Record<string, string | number>

export const OWNER_KINDS = ['service', 'state', 'task', 'profile'] as const
export type OwnerKind = (typeof OWNER_KINDS)[number]

/**
 * Error codes a write batch can fail with. Each is a named CHECK constraint on `guard`, so a guard
 * statement (`INSERT INTO guard SELECT '<code>' WHERE <violation>`) aborts the whole batch with a
 * message that names the code (docs/design.md#writes).
 */
export const GUARD_CODES = [
  'metadata_changed',
  'maintenance_mode',
  'service_not_found',
  'state_not_found',
  'task_not_found',
  'already_completed',
  'service_completed',
  'state_completed',
  'invalid_state_reference',
  'extension_not_found',
  'name_taken',
  'profile_not_found',
  'record_not_found',
  'customer_exists',
  'schema_in_use',
  'attribute_in_use',
  'identification_key_not_found',
  'unique_key_violation',
  'key_values_not_unique',
  'too_many_records',
  'too_many_key_entries',
  'business_attribute_not_found',
  'cv_attribute_taken',
  'api_key_not_found',
  'idempotency_key_used',
] as const
export type GuardCode = (typeof GUARD_CODES)[number]

/** Never holds a row: every insert that selects a row fails on the CHECK named after its code. */
export const guard = sqliteTable('guard', { code: text('code').notNull() }, (t) =>
  GUARD_CODES.map((code) => check(code, sql`${t.code} <> ${sql.raw(`'${code}'`)}`)),
)

/** Per-tenant state shared by every instance: schema version (for cached metadata) and server mode. */
export const tenantState = sqliteTable('tenant_state', {
  tenant: text('tenant').primaryKey(),
  metadataVersion: integer('metadata_version').notNull().default(0),
  mode: text('mode', { enum: ['production', 'maintenance'] })
    .notNull()
    .default('production'),
})

export const services = sqliteTable(
  'services',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    customerId: text('customer_id'),
    contactKey: text('contact_key'),
    serviceType: text('service_type', { mode: 'json' }).$type<LongOrString>().notNull(),
    estDuration: integer('est_duration'),
    started: text('started', { mode: 'json' }).$type<EventJson>().notNull(),
    completed: text('completed', { mode: 'json' }).$type<EventJson>(),
  },
  (t) => [
    index('services_customer').on(t.tenant, t.customerId, t.id),
    index('services_contact_key').on(t.tenant, t.contactKey, t.id),
  ],
)

export const states = sqliteTable(
  'states',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    serviceId: integer('service_id')
      .notNull()
      .references(() => services.id),
    stateType: text('state_type', { mode: 'json' }).$type<LongOrString>().notNull(),
    previousStateId: integer('previous_state_id'),
    estDuration: integer('est_duration'),
    started: text('started', { mode: 'json' }).$type<EventJson>().notNull(),
    completed: text('completed', { mode: 'json' }).$type<EventJson>(),
    /** Completed only by its service's cascade: it accepts one explicit completion (docs/behaviour.md#completion). */
    completedByCascade: integer('completed_by_cascade', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('states_service').on(t.tenant, t.serviceId, t.id)],
)

export const tasks = sqliteTable(
  'tasks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    serviceId: integer('service_id')
      .notNull()
      .references(() => services.id),
    stateId: integer('state_id'),
    taskType: text('task_type', { mode: 'json' }).$type<LongOrString>().notNull(),
    estDuration: integer('est_duration'),
    started: text('started', { mode: 'json' }).$type<EventJson>().notNull(),
    completed: text('completed', { mode: 'json' }).$type<EventJson>(),
    /** Completed only by its service's cascade: it accepts one explicit completion (docs/behaviour.md#completion). */
    completedByCascade: integer('completed_by_cascade', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('tasks_service').on(t.tenant, t.serviceId, t.id)],
)

/** One attribute of an extension schema, as stored (normalised: lowercase type, real JSON types). */
export interface StoredAttribute {
  name: string
  type: AttributeType
  length?: number
  mandatory?: boolean
  /** Values encrypted at rest (docs/behaviour.md#encrypted-attributes). */
  encrypt?: boolean
  default?: string | number | boolean
}
export const ATTRIBUTE_TYPES = [
  'boolean',
  'string',
  'integer',
  'long',
  'double',
  'date',
  'datetime',
  'currency',
] as const
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number]

export const extensionSchemas = sqliteTable(
  'extension_schemas',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    ownerKind: text('owner_kind', { enum: OWNER_KINDS }).notNull(),
    name: text('name').notNull(),
    /** Lowercased name: schema names are unique and matched case-insensitively (docs/behaviour.md#extension-schemas). */
    nameKey: text('name_key').notNull(),
    multiValued: integer('multi_valued', { mode: 'boolean' }).notNull(),
    attributes: text('attributes', { mode: 'json' }).$type<StoredAttribute[]>().notNull(),
    unique: text('unique_attributes', { mode: 'json' }).$type<string[]>(),
    /** Profile extension schemas only (NULL otherwise): the vendor's schema-level `required`. */
    required: integer('required', { mode: 'boolean' }),
  },
  (t) => [uniqueIndex('extension_schemas_name').on(t.tenant, t.ownerKind, t.nameKey)],
)

/**
 * Every extension record of every owner. `recordKey` makes the database enforce the rules:
 * '' for a single-valued extension (one record per owner), JSON of the unique attributes' values for
 * a multi-valued extension with `unique`, NULL otherwise (SQLite lets NULLs repeat in a unique index).
 */
export const extensionRecords = sqliteTable(
  'extension_records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    ownerKind: text('owner_kind', { enum: OWNER_KINDS }).notNull(),
    ownerId: integer('owner_id').notNull(),
    extension: text('extension').notNull(),
    recordKey: text('record_key'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    uniqueIndex('extension_records_key').on(t.tenant, t.ownerKind, t.ownerId, t.extension, t.recordKey),
  ],
)

/** A tenant's core profile attributes (docs/behaviour.md#profiles); no row means the predefined ones. */
export const profileSchemas = sqliteTable('profile_schemas', {
  tenant: text('tenant').primaryKey(),
  attributes: text('attributes', { mode: 'json' }).$type<StoredAttribute[]>().notNull(),
})

/** Stored core attribute values: lowercased attribute name → its values, primary first. */
export type ProfileValues = Record<string, (string | number | boolean)[]>

export const profiles = sqliteTable(
  'profiles',
  {
    /** Internal id: extension records and key entries point at it. */
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    customerId: text('customer_id').notNull(),
    attributes: text('attributes', { mode: 'json' }).$type<ProfileValues>().notNull(),
  },
  (t) => [uniqueIndex('profiles_customer').on(t.tenant, t.customerId)],
)

export const identificationKeys = sqliteTable(
  'identification_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    nameKey: text('name_key').notNull(),
    /** NULL: core profile attributes; otherwise the lowercased name of a profile extension. */
    source: text('source'),
    /** 1 to 5 attribute names as declared by their schema. */
    attributes: text('attributes', { mode: 'json' }).$type<string[]>().notNull(),
    unique: integer('unique', { mode: 'boolean' }).notNull(),
  },
  (t) => [uniqueIndex('identification_keys_name').on(t.tenant, t.nameKey)],
)

/**
 * The identification index (docs/behaviour.md#identify): one row per combination of key values a profile has.
 * Unused value slots hold '' (not NULL), so the partial unique index also covers keys with fewer
 * than five attributes.
 */
export const keyEntries = sqliteTable(
  'key_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    keyId: integer('key_id').notNull(),
    profileId: integer('profile_id').notNull(),
    v1: text('v1').notNull(),
    v2: text('v2').notNull().default(''),
    v3: text('v3').notNull().default(''),
    v4: text('v4').notNull().default(''),
    v5: text('v5').notNull().default(''),
    isUnique: integer('is_unique', { mode: 'boolean' }).notNull(),
  },
  (t) => [
    index('key_entries_lookup').on(t.tenant, t.keyId, t.v1, t.v2, t.v3, t.v4, t.v5),
    uniqueIndex('key_entries_unique')
      .on(t.tenant, t.keyId, t.v1, t.v2, t.v3, t.v4, t.v5)
      .where(sql`${t.isUnique} = 1`),
    index('key_entries_profile').on(t.tenant, t.profileId),
  ],
)

/** A value of a business attribute: what `service_type`, `disposition`, … hold (docs/behaviour.md#business-attributes). */
export interface BusinessAttributeValue {
  name: string
  dbid: number
  display_name: string
  description: string
}

/**
 * The tenant's business attributes (enumerations such as Media Type or Service Type), as Composer
 * and desktops read them to fill their pickers (docs/behaviour.md#business-attributes).
 */
export const businessAttributes = sqliteTable(
  'business_attributes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    /** Lowercased name: names match case-insensitively. */
    nameKey: text('name_key').notNull(),
    dbid: integer('dbid'),
    displayName: text('display_name').notNull(),
    description: text('description').notNull(),
    mapName: integer('map_name', { mode: 'boolean' }),
    /** The event fields it describes, canonical (`Service.type`, `Task.disposition`, …). */
    cvAttributes: text('cv_attributes', { mode: 'json' }).$type<string[]>().notNull(),
    values: text('attribute_values', { mode: 'json' }).$type<BusinessAttributeValue[]>().notNull(),
  },
  (t) => [uniqueIndex('business_attributes_name').on(t.tenant, t.nameKey)],
)

export const KEY_SCOPES = ['read', 'write', 'admin'] as const
export type KeyScope = (typeof KEY_SCOPES)[number]

/**
 * API keys bound to one tenant (docs/behaviour.md#api-keys). Only the SHA-256 of a key is stored: a
 * key is 256 random bits, so a fast hash is as safe as a slow one, and costs no CPU per request.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    /** The public part of the key (`ce_<id>_…`), shown in lists to recognise it. */
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    scope: text('scope', { enum: KEY_SCOPES }).notNull(),
    hash: text('hash').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at'),
    lastUsedAt: text('last_used_at'),
  },
  (t) => [index('api_keys_tenant').on(t.tenant, t.createdAt)],
)

/**
 * The answers of POSTs sent with an `Idempotency-Key` (docs/behaviour.md#idempotency), written in the
 * batch of the write they answer: a retry gets the answer, never a second write.
 */
export const idempotencyRecords = sqliteTable(
  'idempotency_records',
  {
    tenant: text('tenant').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the method, path and body of the first request. */
    fingerprint: text('fingerprint').notNull(),
    status: integer('status').notNull(),
    /** The JSON body of the answer; NULL for 204. */
    body: text('body'),
    location: text('location'),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.key] }), index('idempotency_records_expiry').on(t.expiresAt)],
)

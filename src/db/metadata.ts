import { and, eq, inArray, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { DEFAULT_LIMITS, type Limits } from '../config'
import { ExtensionValidator } from '../extension-schemas/validator'
import {
  type ProfileMetadata,
  profileMetadataFromRows,
  profileMetadataQueries,
} from '../profiles/core-attributes'
import { preparedGuard, Refusal, readBatch } from './batch'
import type { Database, Statement } from './database'
import { type Bound, prepared, type ResultOf } from './prepared'
import { extensionSchemas, type OwnerKind, tenantState } from './tables'

export type ServerMode = 'production' | 'maintenance'
type SchemaRow = typeof extensionSchemas.$inferSelect

/** What a request needs to know about its tenant before it writes: schemas, their version, the mode. */
export class TenantMetadata {
  readonly version: number
  readonly mode: ServerMode
  /** The bounds this instance puts on a request's work; travels with the metadata writes parse against. */
  readonly limits: Limits
  private readonly byKind = new Map<OwnerKind, Map<string, ExtensionValidator>>()
  private readonly profileMetadata: ProfileMetadata | undefined

  constructor(
    version: number,
    mode: ServerMode,
    schemas: SchemaRow[],
    limits: Limits,
    profile?: ProfileMetadata,
  ) {
    this.version = version
    this.mode = mode
    this.limits = limits
    this.profileMetadata = profile
    for (const row of schemas) {
      const named = this.byKind.get(row.ownerKind) ?? new Map<string, ExtensionValidator>()
      this.byKind.set(row.ownerKind, named)
      named.set(row.nameKey, compiled(row))
    }
  }

  /** The validator of a registered extension, matched case-insensitively (docs/behaviour.md#extension-schemas). */
  extension(kind: OwnerKind, name: string): ExtensionValidator | undefined {
    return this.byKind.get(kind)?.get(name.toLowerCase())
  }

  /** Core attributes and identification keys; only loaded when asked for (`withProfile`). */
  get profile(): ProfileMetadata {
    if (!this.profileMetadata) throw new Error('profile metadata was not loaded')
    return this.profileMetadata
  }

  /** In maintenance, data operations are refused (docs/behaviour.md#server-mode); writes re-check it in their batch. */
  get inMaintenance(): boolean {
    return this.mode === 'maintenance'
  }
}

// A compiled validator depends only on the schema's definition, so validators are kept by that
// definition (not by row id: another database may have another schema under the same id).
const validators = new Map<string, ExtensionValidator>()
const CACHED_VALIDATORS = 10_000
function compiled(row: SchemaRow): ExtensionValidator {
  const key = JSON.stringify([row.name, row.multiValued, row.attributes, row.unique])
  let validator = validators.get(key)
  if (!validator) {
    validator = new ExtensionValidator(row)
    if (validators.size >= CACHED_VALIDATORS) validators.clear()
    validators.set(key, validator)
  }
  return validator
}

/** The two queries that read a tenant's metadata; put them in the request's own read batch. */
function metadataQueries(db: Database, tenant: string, kinds: OwnerKind[]) {
  return [
    // Every read asks for it: prepared once (docs/design.md#prepared-statements).
    tenantStateQuery({ tenant }),
    db
      .select()
      .from(extensionSchemas)
      .where(and(eq(extensionSchemas.tenant, tenant), inArray(extensionSchemas.ownerKind, kinds))),
  ] as const
}

type StateRow = { version: number; mode: ServerMode }

const tenantStateQuery = prepared<{ tenant: string }, StateRow[]>((db, slot) =>
  db
    .select({ version: tenantState.metadataVersion, mode: tenantState.mode })
    .from(tenantState)
    .where(eq(tenantState.tenant, slot('tenant'))),
)

function metadataFromRows(
  db: Database,
  stateRows: { version: number; mode: ServerMode }[],
  schemaRows: SchemaRow[],
  profile?: ProfileMetadata,
): TenantMetadata {
  const state = stateRows[0]
  const { limits } = cacheOf(db)
  return new TenantMetadata(state?.version ?? 0, state?.mode ?? 'production', schemaRows, limits, profile)
}

export interface MetadataOptions {
  /** Also load the core profile attributes and the identification keys. */
  withProfile?: boolean
}

/** One round trip: the metadata a write validates against. */
export async function loadMetadata(
  db: Database,
  tenant: string,
  kinds: OwnerKind[],
  options: MetadataOptions = {},
): Promise<TenantMetadata> {
  if (options.withProfile) {
    const [stateRows, schemaRows, profileRows, keyRows] = await readBatch(db, [
      ...metadataQueries(db, tenant, kinds),
      ...profileMetadataQueries(db, tenant),
    ])
    return metadataFromRows(db, stateRows, schemaRows, profileMetadataFromRows(profileRows, keyRows))
  }
  const [stateRows, schemaRows] = await readBatch(db, metadataQueries(db, tenant, kinds))
  return metadataFromRows(db, stateRows, schemaRows)
}

/**
 * First statements of a write batch: the schemas it validated against are still the current ones, and
 * (for data operations) the tenant is not in maintenance. Both were read earlier, so both are advisory
 * until asserted here.
 */
export function metadataGuards(
  tenant: string,
  metadata: TenantMetadata,
  options: { requireProduction: boolean },
): Statement[] {
  const statements: Statement[] = [metadataUnchanged({ tenant, version: metadata.version })]
  if (options.requireProduction) statements.push(productionGuard(tenant))
  return statements
}

const metadataUnchanged = preparedGuard<{ tenant: string; version: number }>(
  'metadata_changed',
  (slot) =>
    sql`coalesce((SELECT ${tenantState.metadataVersion} FROM ${tenantState} WHERE ${tenantState.tenant} = ${slot('tenant')}), 0) <> ${slot('version')}`,
)

const inProduction = preparedGuard<{ tenant: string }>(
  'maintenance_mode',
  (slot) =>
    sql`EXISTS (SELECT 1 FROM ${tenantState} WHERE ${tenantState.tenant} = ${slot('tenant')} AND ${tenantState.mode} = 'maintenance')`,
)

export function productionGuard(tenant: string): Statement {
  return inProduction({ tenant })
}

/** Every schema change bumps the tenant's version, so writes validated against old schemas fail. */
export function bumpMetadataVersion(db: Database, tenant: string): Statement {
  return db
    .insert(tenantState)
    .values({ tenant, metadataVersion: 1 })
    .onConflictDoUpdate({
      target: tenantState.tenant,
      set: { metadataVersion: sql`${tenantState.metadataVersion} + 1` },
    })
}

/** Every owner kind: what a cached entry holds, so one entry serves every write of its tenant. */
const ALL_KINDS: OwnerKind[] = ['service', 'state', 'task', 'profile']
const CACHED_TENANTS = 1000

/**
 * Metadata kept per app instance (one per isolate or process), per tenant, so that most writes are one
 * round trip (docs/design.md#metadata). An entry is only a guess: every write batch asserts its
 * version. It holds resolved data only, never a promise: in a worker, requests must not wait on each
 * other's I/O (see worker.ts).
 */
export class MetadataCache {
  private readonly tenants = new Map<string, TenantMetadata>()
  readonly limits: Limits

  constructor(limits: Limits = DEFAULT_LIMITS) {
    this.limits = limits
  }

  get(tenant: string): TenantMetadata | undefined {
    return this.tenants.get(tenant)
  }

  remember(tenant: string, metadata: TenantMetadata) {
    this.tenants.delete(tenant)
    this.tenants.set(tenant, metadata)
    // Map keeps insertion order: the first key is the least recently stored.
    if (this.tenants.size > CACHED_TENANTS) this.tenants.delete(this.tenants.keys().next().value as string)
  }

  forget(tenant: string): void {
    this.tenants.delete(tenant)
  }
}

// The cache of each database handle. The app attaches its own cache to the handle of every request,
// so a worker that builds a handle per request still shares one cache across its requests.
const caches = new WeakMap<Database, MetadataCache>()

/** Makes `db` use `cache`, unless the handle already has one (a handle shared by several apps). */
export function attachMetadataCache(db: Database, cache: MetadataCache) {
  if (!caches.has(db)) caches.set(db, cache)
}

function cacheOf(db: Database): MetadataCache {
  let cache = caches.get(db)
  if (!cache) {
    cache = new MetadataCache()
    caches.set(db, cache)
  }
  return cache
}

/** The metadata this instance holds for a tenant, if any: only a guess until a batch asserts it. */
export function cachedMetadata(db: Database, tenant: string): TenantMetadata | undefined {
  return cacheOf(db).get(tenant)
}

/** After a write that changed the tenant's metadata: its cached copy is stale, forget it. */
export function forgetMetadata(db: Database, tenant: string): void {
  cacheOf(db).forget(tenant)
}

/** Fresh metadata of every owner kind, kept for the next requests (one round trip). */
export async function refreshMetadata(db: Database, tenant: string): Promise<TenantMetadata> {
  const metadata = await loadMetadata(db, tenant, ALL_KINDS, { withProfile: true })
  cacheOf(db).remember(tenant, metadata)
  return metadata
}

type ReadQuery = BatchItem<'sqlite'> | Bound<unknown>
type ReadRows<Q extends Record<string, ReadQuery | undefined>> = {
  [K in keyof Q]: ResultOf<NonNullable<Q[K]>> | (undefined extends Q[K] ? undefined : never)
}

/**
 * Runs a read batch (one round trip) together with what it needs of the tenant's metadata: the
 * tenant's state row always (mode and version, read fresh: docs/behaviour.md#server-mode), the schemas only when
 * this instance has none cached. When the state row shows that the cached schemas are stale, the
 * read runs again with the schemas (rare: after a schema change made by another instance).
 */
export async function readWithMetadata<Q extends Record<string, ReadQuery | undefined>>(
  db: Database,
  tenant: string,
  queries: Q,
): Promise<{ metadata: TenantMetadata; rows: ReadRows<Q> }> {
  for (let attempt = 1; ; attempt++) {
    const cached = attempt === 1 ? cacheOf(db).get(tenant) : undefined
    // The schema queries are only built when they are run: building a Drizzle query costs CPU.
    const named: Record<string, ReadQuery | undefined> = { ...queries, _state: tenantStateQuery({ tenant }) }
    if (!cached) {
      const [, schemaQuery] = metadataQueries(db, tenant, ALL_KINDS)
      const [profileQuery, keyQuery] = profileMetadataQueries(db, tenant)
      Object.assign(named, { _schemas: schemaQuery, _profile: profileQuery, _keys: keyQuery })
    }
    const keys = Object.keys(named).filter((key) => named[key] !== undefined)
    const results = await readBatch(db, keys.map((key) => named[key]) as [ReadQuery, ...ReadQuery[]])
    const rows = Object.fromEntries(keys.map((key, i) => [key, results[i]])) as Record<string, unknown>
    const state = (rows._state as { version: number; mode: ServerMode }[])[0]
    if ((state?.mode ?? 'production') === 'maintenance') throw new Refusal('maintenance_mode')
    if (cached && cached.version !== (state?.version ?? 0)) continue
    let metadata = cached
    if (!metadata) {
      metadata = metadataFromRows(
        db,
        rows._state as { version: number; mode: ServerMode }[],
        rows._schemas as SchemaRow[],
        profileMetadataFromRows(rows._profile as never, rows._keys as never),
      )
      cacheOf(db).remember(tenant, metadata)
    }
    return { metadata, rows: rows as ReadRows<Q> }
  }
}

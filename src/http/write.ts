import type { Context } from 'hono'
import { type NamedResults, type NamedStatements, Refusal, runNamedBatch } from '../db/batch'
import type { Statement } from '../db/database'
import { keyUnused } from '../db/idempotency'
import {
  cachedMetadata,
  forgetMetadata,
  metadataGuards,
  refreshMetadata,
  type TenantMetadata,
} from '../db/metadata'
import { type AppEnv, requestScope } from '../env'
import { nowIso } from '../lib/time'
import { ApiError } from './errors'
import { replayOf } from './idempotency'

/** A refusal of the database as the error it answers with; anything else as it is. */
export function asApiError(error: unknown): unknown {
  return error instanceof Refusal && error.code !== 'idempotency_key_used' ? new ApiError(error.code) : error
}

/**
 * Runs `write` against the tenant's metadata: the cached one first. The write batch asserts the
 * version it validated against, so a stale entry makes nothing happen (`metadata_changed`). Any
 * refusal on cached metadata is retried once on fresh metadata, since the cache may be what was
 * wrong (a schema created or a mode changed by another instance); fresh metadata is retried while
 * schemas keep changing under it.
 */
export async function withMetadata<T>(
  c: Context<AppEnv>,
  write: (metadata: TenantMetadata) => Promise<T>,
): Promise<T> {
  const { db, tenant } = requestScope(c)
  const attempt = async (metadata: TenantMetadata) => {
    try {
      return await write(metadata)
    } catch (error) {
      throw asApiError(error)
    }
  }
  const cached = cachedMetadata(db, tenant)
  if (cached) {
    try {
      return await attempt(cached)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
    }
  }
  for (let round = 1; ; round++) {
    const metadata = await refreshMetadata(db, tenant)
    try {
      return await attempt(metadata)
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'metadata_changed') || round === 3) throw error
    }
  }
}

export interface WriteOptions {
  /**
   * A data operation (services, states, tasks, profiles): refused in maintenance mode, in the batch
   * too. Schema, key and server operations work in both modes (docs/behaviour.md#server-mode).
   */
  data: boolean
  /** The code a collision in the unique identification-key index answers with. */
  keyConflict?: 'unique_key_violation' | 'key_values_not_unique'
}

/**
 * The write pipeline of every write operation: `plan` validates the request against the tenant's
 * metadata and answers the statements of its batch by name; the batch runs them after the guards
 * that assert that metadata is still current (and, for data operations, that the tenant is in
 * production), and answers each statement's result by its name. One round trip when the metadata
 * is cached.
 */
export async function writeBatch<P extends NamedStatements>(
  c: Context<AppEnv>,
  options: WriteOptions,
  plan: (metadata: TenantMetadata) => P | Promise<P>,
): Promise<{ results: NamedResults<P>; metadata: TenantMetadata }> {
  return writeBatchWith(c, options, async (metadata) => ({
    statements: await plan(metadata),
    value: undefined,
  }))
}

type Planned<P, V> = { statements: P; value: V }

/** `writeBatch` whose plan also answers a value it computed (a generated id, a parsed definition). */
export function writeBatchWith<P extends NamedStatements, V>(
  c: Context<AppEnv>,
  options: WriteOptions,
  plan: (metadata: TenantMetadata) => Planned<P, V> | Promise<Planned<P, V>>,
): Promise<{ results: NamedResults<P>; metadata: TenantMetadata; value: V }> {
  const { db, tenant } = requestScope(c)
  return withMetadata(c, async (metadata) => {
    if (options.data && metadata.inMaintenance) throw new ApiError('maintenance_mode')
    // A plan may wait (encrypting values), never on the database: the batch is its one round trip.
    const { statements, value } = await plan(metadata)
    const guards: Statement[] = metadataGuards(tenant, metadata, { requireProduction: options.data })
    // A request already executed under its Idempotency-Key: this guard comes first, so the retry
    // answers what the first request answered, not the 409 its second execution would get.
    const idempotency = c.get('idempotency')
    const first = idempotency ? { _idempotency: keyUnused(tenant, idempotency.key, nowIso()) } : {}
    try {
      const results = await runNamedBatch(
        db,
        { ...first, _guards: guards, ...statements },
        options.keyConflict,
      )
      // Schema, key and mode writes change what the cached copy says: the next write reads it fresh
      // (one round trip) instead of being refused on it and retried (two).
      if (!options.data) forgetMetadata(db, tenant)
      return { results, metadata, value }
    } catch (error) {
      if (error instanceof Refusal && error.code === 'idempotency_key_used') throw await replayOf(c)
      throw error
    }
  })
}

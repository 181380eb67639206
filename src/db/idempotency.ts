import { and, eq, gt, type SQL, sql } from 'drizzle-orm'
import { guard } from './batch'
import type { Database, Statement } from './database'
import { idempotencyRecords } from './tables'

/** How long an answer is kept for retries. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/** Expired records deleted by each recorded answer: bounded work, and the table cannot grow forever. */
const PURGE_BATCH = 16

/**
 * A JSON answer whose parts may be SQL computed in the batch itself (the id of a row the batch
 * inserted): `{ service_id: insertedId('services') }`.
 */
export type AnswerJson = SQL | string | number | boolean | null | AnswerJson[] | { [key: string]: AnswerJson }

function answerSql(value: AnswerJson): SQL {
  if (value === null) return sql`json('null')`
  if (typeof value === 'boolean') return sql`json(${value ? 'true' : 'false'})`
  if (typeof value === 'string' || typeof value === 'number') return sql`${value}`
  if (Array.isArray(value)) return sql`json_array(${sql.join(value.map(answerSql), sql`, `)})`
  if (typeof (value as SQL).getSQL === 'function') return value as SQL
  const entries = Object.entries(value as Record<string, AnswerJson>).map(
    ([key, part]) => sql`${key}, ${answerSql(part)}`,
  )
  return sql`json_object(${sql.join(entries, sql`, `)})`
}

function live(tenant: string, key: string, now: string): SQL {
  return and(
    eq(idempotencyRecords.tenant, tenant),
    eq(idempotencyRecords.key, key),
    gt(idempotencyRecords.expiresAt, now),
  ) as SQL
}

/** Guard, first in the batch: a live answer under this key means the request was already executed. */
export function keyUnused(tenant: string, key: string, now: string): Statement {
  return guard(
    'idempotency_key_used',
    sql`EXISTS (SELECT 1 FROM ${idempotencyRecords} WHERE ${live(tenant, key, now)})`,
  )
}

/** The answer, stored by the batch of the write it answers; a few expired records go with it. */
export function recordAnswer(
  db: Database,
  record: {
    tenant: string
    key: string
    fingerprint: string
    status: number
    body: AnswerJson | undefined
    location: string | undefined
    now: string
  },
): Statement[] {
  const expiresAt = new Date(Date.parse(record.now) + IDEMPOTENCY_TTL_MS).toISOString()
  const body = record.body === undefined ? sql`NULL` : answerSql(record.body)
  return [
    db.run(
      sql`INSERT INTO ${idempotencyRecords} (tenant, key, fingerprint, status, body, location, expires_at) VALUES (${record.tenant}, ${record.key}, ${record.fingerprint}, ${record.status}, ${body}, ${record.location ?? null}, ${expiresAt}) ON CONFLICT (tenant, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, location = excluded.location, expires_at = excluded.expires_at`,
    ) as unknown as Statement,
    db.run(
      sql`DELETE FROM ${idempotencyRecords} WHERE rowid IN (SELECT rowid FROM ${idempotencyRecords} WHERE expires_at <= ${record.now} ORDER BY expires_at LIMIT ${PURGE_BATCH})`,
    ) as unknown as Statement,
  ]
}

/** The live answer stored under this key, if any. */
export function storedAnswer(db: Database, tenant: string, key: string, now: string) {
  return db
    .select()
    .from(idempotencyRecords)
    .where(live(tenant, key, now))
}

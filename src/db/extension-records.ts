import { and, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import type { SealedWrite } from '../extension-schemas/encryption'
import type { ExtensionValidator } from '../extension-schemas/validator'
import { guard } from './batch'
import type { Database, Statement } from './database'
import { extensionRecords, type OwnerKind } from './tables'

/**
 * Statements that replace the whole value of each given extension for one owner (docs/behaviour.md#extension-writes):
 * one DELETE for all of them and one INSERT of all their records, whatever their number.
 */
export function replaceExtensions(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerId: number | SQL,
  writes: SealedWrite[],
  options: { ownerIsNew?: boolean } = {},
): Statement[] {
  if (!writes.length) return []
  const statements: Statement[] = []
  if (!options.ownerIsNew) {
    statements.push(
      db.delete(extensionRecords).where(
        and(
          eq(extensionRecords.tenant, tenant),
          eq(extensionRecords.ownerKind, ownerKind),
          eq(extensionRecords.ownerId, ownerId),
          inArray(
            extensionRecords.extension,
            writes.map((write) => write.validator.definition.name.toLowerCase()),
          ),
        ),
      ),
    )
  }
  const rows = writes.flatMap((write) =>
    write.records.map((record) => ({
      extension: write.validator.definition.name.toLowerCase(),
      recordKey: record.recordKey,
      data: record.data,
    })),
  )
  if (rows.length) statements.push(insertRecords(db, tenant, ownerKind, ownerId, rows))
  return statements
}

export interface RecordToInsert {
  /** Lowercased extension name. */
  extension: string
  recordKey: string | null
  data: Record<string, unknown>
}

/**
 * One INSERT of any number of records, in their order. The records travel as one JSON parameter that
 * SQLite expands with `json_each`: the statement's size and number of bound variables do not grow
 * with the records, so no SQLite limit can be reached from a valid body (docs/behaviour.md#limits).
 */
export function insertRecords(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerId: number | SQL,
  rows: RecordToInsert[],
  onConflict?: SQL,
): Statement {
  const json = JSON.stringify(rows.map((row) => ({ e: row.extension, k: row.recordKey, d: row.data })))
  return db.run(
    sql`INSERT INTO ${extensionRecords} (tenant, owner_kind, owner_id, extension, record_key, data) SELECT ${tenant}, ${ownerKind}, ${ownerId}, r.value ->> '$.e', r.value ->> '$.k', r.value -> '$.d' FROM json_each(${json}) r WHERE true${onConflict ?? sql``}`,
  ) as unknown as Statement
}

/** A guard: the batch fails when the owner now holds more than `limit` records of `extension`. */
export function recordsBounded(
  tenant: string,
  ownerKind: OwnerKind,
  ownerId: number | SQL,
  extension: string,
  limit: number,
): Statement {
  return guard(
    'too_many_records',
    sql`(SELECT count(*) FROM ${extensionRecords} WHERE ${extensionRecords.tenant} = ${tenant} AND ${extensionRecords.ownerKind} = ${ownerKind} AND ${extensionRecords.ownerId} = ${ownerId} AND ${extensionRecords.extension} = ${extension}) > ${limit}`,
  )
}

/** Deletes every extension record of the owners selected by `ownerIds` (a list or a subquery). */
export function deleteOwnerRecords(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerIds: number[] | SQLWrapper,
): Statement {
  return db
    .delete(extensionRecords)
    .where(
      and(
        eq(extensionRecords.tenant, tenant),
        eq(extensionRecords.ownerKind, ownerKind),
        inArray(extensionRecords.ownerId, ownerIds),
      ),
    )
}

/** Records of the named extensions (lowercased) of the selected owners, in insertion order. */
export function recordsQuery(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerIds: number[] | SQLWrapper,
  extensionKeys: string[],
) {
  return db
    .select({
      ownerId: extensionRecords.ownerId,
      extension: extensionRecords.extension,
      data: extensionRecords.data,
    })
    .from(extensionRecords)
    .where(
      and(
        eq(extensionRecords.tenant, tenant),
        eq(extensionRecords.ownerKind, ownerKind),
        inArray(extensionRecords.ownerId, ownerIds),
        inArray(extensionRecords.extension, extensionKeys.length ? extensionKeys : ['']),
      ),
    )
    .orderBy(extensionRecords.id)
}

export type RecordRow = { ownerId: number; extension: string; data: Record<string, unknown> }

/**
 * The requested extensions of each owner as they are emitted: a multi-valued one is an array (`[]`
 * when it has no record); a single-valued one is its record, or omitted (docs/behaviour.md#representations).
 */
export function extensionsByOwner(
  rows: RecordRow[],
  requested: ExtensionValidator[],
): (ownerId: number) => Record<string, unknown> {
  const byOwner = new Map<number, Map<string, Record<string, unknown>[]>>()
  for (const row of rows) {
    const owner = byOwner.get(row.ownerId) ?? new Map<string, Record<string, unknown>[]>()
    byOwner.set(row.ownerId, owner)
    const list = owner.get(row.extension)
    if (list) list.push(row.data)
    else owner.set(row.extension, [row.data])
  }
  return (ownerId) => {
    const owner = byOwner.get(ownerId)
    const entries: [string, unknown][] = []
    for (const validator of requested) {
      const { name, multiValued } = validator.definition
      const records = owner?.get(name.toLowerCase())
      if (multiValued) entries.push([name, records ?? []])
      else if (records?.length) entries.push([name, records[0]])
    }
    return Object.fromEntries(entries)
  }
}

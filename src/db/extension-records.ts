import { and, eq, inArray, type Placeholder, type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import type { SealedWrite } from '../extension-schemas/encryption'
import type { ExtensionValidator } from '../extension-schemas/validator'
import { guard, isInsertedId } from './batch'
import type { Database, Statement } from './database'
import { type Bound, prepared, preparedSql } from './prepared'
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
    const extensions = JSON.stringify(writes.map((write) => write.validator.definition.name.toLowerCase()))
    statements.push(
      typeof ownerId === 'number'
        ? deleteRecordsOf({ tenant, ownerKind, ownerId, extensions })
        : db
            .delete(extensionRecords)
            .where(recordsWhere({ tenant, ownerKind, extensions }, eq(extensionRecords.ownerId, ownerId))),
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

type Owner = { tenant: string; ownerKind: OwnerKind; ownerId: number }

/** The records of some extensions (a JSON array of lowercased names) of one owner. */
const deleteRecordsOf = prepared<Owner & { extensions: string }, unknown>((db, slot) =>
  db
    .delete(extensionRecords)
    .where(
      recordsWhere(
        { tenant: slot('tenant'), ownerKind: slot('ownerKind'), extensions: slot('extensions') },
        eq(extensionRecords.ownerId, slot('ownerId')),
      ),
    ),
)

/** A value, or its placeholder in a prepared statement. */
type Value<T> = T | Placeholder

/**
 * The records of some extensions (`extensions`: a JSON array of lowercased names) of the owners that
 * `owner` selects: one condition for prepared and per-request statements alike.
 */
function recordsWhere(
  of: { tenant: Value<string>; ownerKind: Value<OwnerKind>; extensions: Value<string> },
  owner: SQL,
): SQL {
  return and(
    eq(extensionRecords.tenant, of.tenant),
    eq(extensionRecords.ownerKind, of.ownerKind),
    owner,
    sql`${extensionRecords.extension} IN (SELECT value FROM json_each(${of.extensions}))`,
  ) as SQL
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
  const prepared = onConflict === undefined ? preparedInsert(ownerId) : undefined
  if (prepared) return prepared({ tenant, ownerKind, ownerId, records: json })
  return db.run(insertRecordsSql(tenant, ownerKind, ownerId, json, onConflict)) as unknown as Statement
}

function insertRecordsSql(
  tenant: unknown,
  ownerKind: unknown,
  ownerId: unknown,
  records: unknown,
  onConflict?: SQL,
) {
  return sql`INSERT INTO ${extensionRecords} (tenant, owner_kind, owner_id, extension, record_key, data) SELECT ${tenant}, ${ownerKind}, ${ownerId}, r.value ->> '$.e', r.value ->> '$.k', r.value -> '$.d' FROM json_each(${records}) r WHERE true${onConflict ?? sql``}`
}

const p = sql.placeholder
const insertForId = preparedSql(() =>
  insertRecordsSql(p('tenant'), p('ownerKind'), p('ownerId'), p('records')),
)
/** For an owner inserted earlier in the same batch: one prepared statement per table. */
const insertForInserted = new Map<SQL, ReturnType<typeof preparedSql>>()

/** The prepared INSERT for this owner, when it is an id or a row inserted earlier in the batch. */
function preparedInsert(ownerId: number | SQL) {
  if (typeof ownerId === 'number') return insertForId
  if (!isInsertedId(ownerId)) return undefined
  let statement = insertForInserted.get(ownerId)
  if (!statement) {
    statement = preparedSql(() => insertRecordsSql(p('tenant'), p('ownerKind'), ownerId, p('records')))
    insertForInserted.set(ownerId, statement)
  }
  return statement
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
  ownerIds: number[],
  extensionKeys: string[],
): Bound<RecordRow[]>
export function recordsQuery(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerIds: SQLWrapper,
  extensionKeys: string[],
): ReturnType<typeof recordsOfSubquery>
export function recordsQuery(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerIds: number[] | SQLWrapper,
  extensionKeys: string[],
): Bound<RecordRow[]> | ReturnType<typeof recordsOfSubquery>
export function recordsQuery(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerIds: number[] | SQLWrapper,
  extensionKeys: string[],
) {
  const extensions = JSON.stringify(extensionKeys)
  if (Array.isArray(ownerIds)) {
    // A list of owners: prepared once, the lists travel as JSON (docs/design.md#prepared-statements).
    return recordsOfOwners({ tenant, ownerKind, owners: JSON.stringify(ownerIds), extensions })
  }
  return recordsOfSubquery(db, tenant, ownerKind, ownerIds, extensions)
}

function recordsOfSubquery(
  db: Database,
  tenant: string,
  ownerKind: OwnerKind,
  ownerIds: SQLWrapper,
  extensions: string,
) {
  return selectRecords(
    db,
    recordsWhere({ tenant, ownerKind, extensions }, inArray(extensionRecords.ownerId, ownerIds)),
  )
}

/** The records `where` selects, in insertion order. */
function selectRecords(db: Database, where: SQL) {
  return db.select(RECORD_FIELDS).from(extensionRecords).where(where).orderBy(extensionRecords.id)
}

const RECORD_FIELDS = {
  ownerId: extensionRecords.ownerId,
  extension: extensionRecords.extension,
  data: extensionRecords.data,
}

const recordsOfOwners = prepared<
  { tenant: string; ownerKind: OwnerKind; owners: string; extensions: string },
  RecordRow[]
>((db, slot) =>
  selectRecords(
    db,
    recordsWhere(
      { tenant: slot('tenant'), ownerKind: slot('ownerKind'), extensions: slot('extensions') },
      sql`${extensionRecords.ownerId} IN (SELECT value FROM json_each(${slot('owners')}))`,
    ),
  ),
)

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

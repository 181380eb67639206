import type { SQL } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type { Bound } from './prepared'
import type * as schema from './tables'
import type { GuardCode } from './tables'

/** The Drizzle handle every runtime builds over its own libSQL client (node, web). */
export type Database = LibSQLDatabase<typeof schema>
/** A precondition of a write batch (see `guard` in batch.ts). */
export interface GuardCheck {
  kind: 'guard'
  code: GuardCode
  /** The condition under which the batch is refused with `code`. */
  violation: () => SQL
  /** A prepared guard's shape and values (`preparedGuard` in batch.ts). */
  shape?: GuardShape
  values?: Record<string, unknown>
}

/** What a prepared guard is, whatever its values: its SQL is written with one slot per value. */
export interface GuardShape {
  id: number
  code: GuardCode
  violation: (slot: (name: string) => SQL) => SQL
}

/** What a write batch is made of: Drizzle queries, prepared statements and guards. */
export type Statement = BatchItem<'sqlite'> | Bound<unknown> | GuardCheck

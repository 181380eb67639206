import type { SQL } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type * as schema from './tables'
import type { GuardCode } from './tables'

/** The Drizzle handle every runtime builds over its own libSQL client (node, web). */
export type Database = LibSQLDatabase<typeof schema>
/** A precondition of a write batch (see `guard` in batch.ts). */
export interface GuardCheck {
  kind: 'guard'
  code: GuardCode
  violation: SQL
}

/** What a write batch is made of: Drizzle queries and guards. */
export type Statement = BatchItem<'sqlite'> | GuardCheck

import type { BatchItem } from 'drizzle-orm/batch'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type * as schema from './schema'

/** The Drizzle handle every runtime builds over its own libSQL client (node, web). */
export type Database = LibSQLDatabase<typeof schema>
export type Statement = BatchItem<'sqlite'>

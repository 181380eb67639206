/**
 * Global setup of the workerd project (runs in Node): a development libSQL server on `:memory:`
 * whose default database is migrated for the worker entry, and which creates a fresh migrated
 * database for each test file that asks (`POST /dev/databases`).
 */
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import type { TestProject } from 'vitest/node'
import { startLibsqlServer } from '../../scripts/libsql-server/server'
import { applyMigrations } from '../../src/db/node'

async function migrate(url: string) {
  const client = createClient({ url })
  try {
    await applyMigrations(drizzle(client))
  } finally {
    client.close()
  }
}

export default async function setup(project: TestProject) {
  const server = await startLibsqlServer({ database: ':memory:', prepareDatabase: migrate })
  await migrate(server.url)
  project.provide('libsqlUrl', server.url)
  return () => server.close()
}

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlUrl: string
  }
}

/**
 * `npm run db:migrate`: applies the committed migrations in drizzle/ to the database named by
 * DATABASE_URL (+ DATABASE_AUTH_TOKEN): a Turso database, a branch database, or a local one.
 */
import { entryConfigFromEnv } from '../src/config'
import { applyMigrations, openDatabase } from '../src/db/node'

const { databaseUrl, databaseAuthToken } = entryConfigFromEnv(process.env)
if (!databaseUrl) {
  console.error('DATABASE_URL is not set (Turso calls it TURSO_DATABASE_URL)')
  process.exit(1)
}
const { client, db } = await openDatabase(databaseUrl, { authToken: databaseAuthToken })
try {
  await applyMigrations(db)
  console.log('migrations applied')
} finally {
  client.close()
}

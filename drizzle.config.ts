import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'turso',
  schema: './src/db/tables.ts',
  out: './drizzle',
  dbCredentials: {
    url: process.env.DATABASE_URL ?? 'file:.data/context.db',
    authToken: process.env.DATABASE_AUTH_TOKEN,
  },
})

import { expect } from 'vitest'
import type { ApiResponse } from './api'

/** Every table the API writes, read whole: what a refused request must leave exactly as it was. */
const TABLES = [
  'tenant_state',
  'services',
  'states',
  'tasks',
  'extension_schemas',
  'extension_records',
  'profile_schemas',
  'profiles',
  'identification_keys',
  'key_entries',
  'business_attributes',
]

export async function databaseSnapshot(client: {
  execute(sql: string): Promise<{ rows: unknown[] }>
}): Promise<string> {
  const parts: unknown[] = []
  for (const table of TABLES) {
    const order = table === 'tenant_state' || table === 'profile_schemas' ? 'tenant' : 'id'
    parts.push((await client.execute(`SELECT * FROM ${table} ORDER BY ${order}`)).rows)
  }
  return JSON.stringify(parts)
}

/** Every row of one tenant, table by table: what another tenant's requests must never change. */
export async function tenantSnapshot(
  client: { execute(query: { sql: string; args: string[] }): Promise<{ rows: unknown[] }> },
  tenant: string,
): Promise<string> {
  const parts: unknown[] = []
  for (const table of TABLES) {
    const order = table === 'tenant_state' || table === 'profile_schemas' ? 'tenant' : 'id'
    parts.push(
      (
        await client.execute({
          sql: `SELECT * FROM ${table} WHERE tenant = ? ORDER BY ${order}`,
          args: [tenant],
        })
      ).rows,
    )
  }
  return JSON.stringify(parts)
}

/**
 * The answer is the envelope with `code`, and neither its message nor its issue messages repeat any
 * of `inputs` (docs/behaviour.md#errors: `issues[].path` may name a body key).
 */
export function expectRefused(response: ApiResponse, code: string, inputs: string[] = []) {
  expect(response.body?.code, response.text).toBe(code)
  const messages = [
    response.body.message,
    ...(response.body.issues ?? []).map((i: { message: string }) => i.message),
  ]
  for (const input of inputs) {
    for (const message of messages) expect(message).not.toContain(input)
  }
}

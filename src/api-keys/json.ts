import * as v from 'valibot'
import { KEY_SCOPES } from './keys'
import type { ApiKeyRow } from './statements'

/** A key as listed: never its secret nor its hash. */
export const ApiKeySchema = v.object({
  id: v.string(),
  prefix: v.string(),
  name: v.string(),
  scope: v.picklist(KEY_SCOPES),
  created_at: v.string(),
  expires_at: v.nullable(v.string()),
  last_used_at: v.nullable(v.string()),
})

export function apiKeyJson(row: ApiKeyRow): v.InferOutput<typeof ApiKeySchema> {
  return {
    id: row.id,
    // What the key starts with, to recognise it in a vault or a config file.
    prefix: `ce_${row.id}_`,
    name: row.name,
    scope: row.scope,
    created_at: row.createdAt,
    expires_at: row.expiresAt,
    last_used_at: row.lastUsedAt,
  }
}

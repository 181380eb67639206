import type { KeyScope } from '../db/tables'

export { KEY_SCOPES } from '../db/tables'

/**
 * An API key is `ce_<id>_<secret>`: `id` (16 characters) is public and names the key in lists and
 * logs; `secret` is 32 random bytes. The database keeps only the SHA-256 of the whole key
 * (docs/behaviour.md#api-keys).
 */
const KEY_FORMAT = /^ce_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** A new key: what the client gets once, and what is stored. */
export async function generateKey(): Promise<{ id: string; key: string; hash: string }> {
  const idBytes = crypto.getRandomValues(new Uint8Array(16))
  const id = Array.from(idBytes, (byte) => BASE32[byte % 32]).join('')
  const key = `ce_${id}_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`
  return { id, key, hash: await hashKey(key) }
}

export async function hashKey(key: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))))
}

/** The key's id when `token` has the shape of a key, else undefined (then it may be a root token). */
export function keyIdOf(token: string): string | undefined {
  return KEY_FORMAT.exec(token)?.[1]
}

const RANK: Record<KeyScope, number> = { read: 0, write: 1, admin: 2 }

/** `read` < `write` < `admin`: a scope allows everything a lower one does. */
export function allows(held: KeyScope, needed: KeyScope): boolean {
  return RANK[held] >= RANK[needed]
}

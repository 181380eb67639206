import type { SQL } from 'drizzle-orm'
import type { Statement } from '../db/database'
import { extensionsByOwner, type RecordRow, replaceExtensions } from '../db/extension-records'
import type { OwnerKind } from '../db/tables'
import type { RequestScope } from '../env'
import type { ExtensionWrite } from '../events/event-body'
import { ApiError } from '../http/errors'
import type { ExtensionValidator } from './validator'

/**
 * Extension attributes declared `encrypt: true` are stored encrypted (docs/behaviour.md#encrypted-attributes):
 * AES-256-GCM through Web Crypto, which every runtime has. A stored value is one string,
 * `ce1.<key id>.<iv>.<ciphertext>` (base64url), so that a value written under a key that was rotated
 * out of first place can still be read while that key stays configured. The additional data binds a
 * value to its tenant, owner kind, extension and attribute: a ciphertext copied elsewhere does not open.
 */

const FORMAT = 'ce1'

interface Key {
  id: string
  key: CryptoKey
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

/** The keys of `EXTENSION_ENCRYPTION_KEY`: the first encrypts, every one decrypts the values it wrote. */
export class AttributeCipher {
  private keys: Promise<Key[]> | undefined

  /** `rawKeys`: 32-byte keys, newest first (checked by the configuration). */
  constructor(private readonly rawKeys: readonly Uint8Array<ArrayBuffer>[]) {}

  get available(): boolean {
    return this.rawKeys.length > 0
  }

  private imported(): Promise<Key[]> {
    this.keys ??= Promise.all(
      this.rawKeys.map(async (raw) => {
        // The id names a key without revealing it: the first 6 bytes of its SHA-256.
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw))
        const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
        return { id: base64url(digest.slice(0, 6)), key }
      }),
    )
    return this.keys
  }

  async seal(context: string, value: unknown): Promise<string> {
    const [current] = await this.imported()
    if (!current) throw new ApiError('encryption_unavailable')
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const plaintext = new TextEncoder().encode(JSON.stringify(value))
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
      current.key,
      plaintext,
    )
    return [FORMAT, current.id, base64url(iv), base64url(new Uint8Array(sealed))].join('.')
  }

  /** The stored value back; `decryption_failed` when its key is not configured or it does not open. */
  async open(context: string, stored: unknown): Promise<unknown> {
    const parts = typeof stored === 'string' ? stored.split('.') : []
    const key = (await this.imported()).find((candidate) => candidate.id === parts[1])
    if (parts.length !== 4 || parts[0] !== FORMAT || !key) throw new ApiError('decryption_failed')
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64url(parts[2]), additionalData: new TextEncoder().encode(context) },
        key.key,
        fromBase64url(parts[3]),
      )
      return JSON.parse(new TextDecoder().decode(plaintext))
    } catch {
      throw new ApiError('decryption_failed')
    }
  }
}

/** What binds a stored value to its place. */
function contextOf(tenant: string, kind: OwnerKind, extension: string, attribute: string): string {
  return JSON.stringify([tenant, kind, extension.toLowerCase(), attribute.toLowerCase()])
}

function encryptedAttributes(validator: ExtensionValidator): string[] {
  return validator.definition.attributes.filter((a) => a.encrypt).map((a) => a.name)
}

/** An extension write ready to be stored: only these reach the statements that write records. */
export type SealedWrite = ExtensionWrite & { readonly sealed: true }

/** Extension writes as they are stored: each encrypted attribute's value replaced by its ciphertext. */
export function sealWrites(
  { cipher, tenant }: RequestScope,
  kind: OwnerKind,
  writes: ExtensionWrite[],
): Promise<SealedWrite[]> {
  return Promise.all(
    writes.map(async (write): Promise<SealedWrite> => {
      const names = encryptedAttributes(write.validator)
      if (!names.length) return { ...write, sealed: true }
      const extension = write.validator.definition.name
      const records = await Promise.all(
        write.records.map(async (record) => {
          const data = new Map(Object.entries(record.data))
          for (const name of names) {
            if (data.has(name))
              data.set(name, await cipher.seal(contextOf(tenant, kind, extension, name), data.get(name)))
          }
          return { ...record, data: Object.fromEntries(data) }
        }),
      )
      return { ...write, records, sealed: true }
    }),
  )
}

/** Stored records as they are emitted: each encrypted attribute's value decrypted. */
export async function openRecords<R extends RecordRow>(
  { cipher, tenant }: RequestScope,
  kind: OwnerKind,
  rows: R[],
  requested: ExtensionValidator[],
): Promise<R[]> {
  const encrypted = new Map<string, string[]>()
  for (const validator of requested) {
    const names = encryptedAttributes(validator)
    if (names.length) encrypted.set(validator.definition.name.toLowerCase(), names)
  }
  if (!encrypted.size) return rows
  return Promise.all(
    rows.map(async (row) => {
      const names = encrypted.get(row.extension)
      if (!names) return row
      const data = new Map(Object.entries(row.data))
      for (const name of names) {
        if (data.has(name))
          data.set(name, await cipher.open(contextOf(tenant, kind, row.extension, name), data.get(name)))
      }
      return { ...row, data: Object.fromEntries(data) }
    }),
  )
}

/**
 * The requested extensions of each owner as they are emitted, decrypted: what every read answers
 * extensions with (see `extensionsByOwner`).
 */
export async function emittedExtensions(
  scope: RequestScope,
  kind: OwnerKind,
  rows: RecordRow[],
  requested: ExtensionValidator[],
): Promise<(ownerId: number) => Record<string, unknown>> {
  return extensionsByOwner(await openRecords(scope, kind, rows, requested), requested)
}

/**
 * The statements that replace these extensions of one owner, their encrypted attributes sealed:
 * what every write of whole extension values uses (docs/behaviour.md#extension-writes).
 */
export async function extensionStatements(
  scope: RequestScope,
  kind: OwnerKind,
  ownerId: number | SQL,
  writes: ExtensionWrite[],
  options: { ownerIsNew?: boolean } = {},
): Promise<Statement[]> {
  return replaceExtensions(
    scope.db,
    scope.tenant,
    kind,
    ownerId,
    await sealWrites(scope, kind, writes),
    options,
  )
}

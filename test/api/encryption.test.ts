import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { extensionRecords } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot } from '../helpers/hostile'

/**
 * `encrypt: true` attributes are stored encrypted with AES-256-GCM and read back decrypted
 * (docs/behaviour.md#encrypted-attributes). Keys are configured newest first; every configured key
 * still decrypts what it wrote.
 */
const key = (letter: string) => new TextEncoder().encode(letter.repeat(32))
const KEY_A = key('a')
const KEY_B = key('b')
const KEY_C = key('c')

let h: Harness
beforeAll(async () => {
  h = await createHarness({ encryptionKeys: [KEY_A] })
})
afterAll(() => h.close())

const SECRET_PIN = '4921-7781'
const CARD = {
  name: 'Card',
  type: 'multi-valued',
  attributes: [
    { name: 'label', type: 'string', unique: true },
    { name: 'pin', type: 'string', encrypt: true, mandatory: true },
    { name: 'limit', type: 'integer', encrypt: true, default: 500 },
  ],
}
const NOTE = {
  name: 'Note',
  type: 'single-valued',
  attributes: [{ name: 'text', type: 'string', encrypt: 'true' }],
}

async function storedData(ownerKind: 'profile' | 'service', extension: string) {
  const rows = await h.db
    .select({ data: extensionRecords.data })
    .from(extensionRecords)
    .where(and(eq(extensionRecords.ownerKind, ownerKind), eq(extensionRecords.extension, extension)))
  return rows.map((row) => row.data)
}

describe('encrypted attributes', () => {
  it('are stored as ciphertext and read back as their values, on every write path', async () => {
    const api = forTenant(h.api, 'vault')
    expect((await api.post('/metadata/profiles/extensions', CARD)).status).toBe(201)
    expect((await api.post('/metadata/services/extensions', NOTE)).status).toBe(201)
    expect((await api.get('/metadata/profiles/extensions/Card')).body.attributes[1]).toMatchObject({
      name: 'pin',
      encrypt: true,
    })

    const created = await api.post('/profiles', {
      customer_id: 'C1',
      Card: [{ label: 'main', pin: SECRET_PIN }],
    })
    expect(created.status).toBe(201)
    const service = await api.post('/services/start', {
      service_type: 1,
      customer_id: 'C1',
      Note: { text: 'call back after 6pm' },
    })
    expect(service.status).toBe(200)

    // The plaintext is nowhere in the database; the rows hold ciphertexts that name their key.
    const dump = JSON.stringify(await databaseSnapshot(h.client))
    expect(dump).not.toContain(SECRET_PIN)
    expect(dump).not.toContain('call back after 6pm')
    const [card] = await storedData('profile', 'card')
    expect(card.label).toBe('main')
    expect(card.pin).toMatch(/^ce1\.[\w-]{8}\.[\w-]+\.[\w-]+$/)
    expect(card.limit).toMatch(/^ce1\./)

    expect((await api.get('/profiles/C1?extensions=Card')).body.Card).toEqual([
      { label: 'main', pin: SECRET_PIN, limit: 500 },
    ])
    const sid = service.body.service_id
    expect((await api.get(`/services/${sid}?extensions=Note`)).body.Note).toEqual({
      text: 'call back after 6pm',
    })

    // Insert records (merge), update by unique, Identify with extensions: encrypted the same way.
    const merged = await api.post('/profiles/C1/extensions', {
      Card: [{ label: 'spare', pin: '0000', limit: '7' }],
    })
    expect(merged.status).toBe(200)
    expect(merged.body.Card).toEqual([
      { label: 'main', pin: SECRET_PIN, limit: 500 },
      { label: 'spare', pin: '0000', limit: 7 },
    ])
    const updated = await api.put('/profiles/C1/extensions/Card/by/unique', { label: 'main', pin: '1111' })
    expect(updated.status).toBe(204)
    const stored = JSON.stringify(await storedData('profile', 'card'))
    expect(stored).not.toContain('1111')
    expect(stored).not.toContain('0000')
    expect((await api.get('/profiles/C1?extensions=Card')).body.Card).toEqual([
      { label: 'main', pin: '1111', limit: 500 },
      { label: 'spare', pin: '0000', limit: 7 },
    ])
    expect((await api.put(`/services/${sid}/extensions/Note`, { text: 'no calls' })).status).toBe(204)
    expect(JSON.stringify(await storedData('service', 'note'))).not.toContain('no calls')
    expect((await api.get(`/services/${sid}?extensions=Note`)).body.Note).toEqual({ text: 'no calls' })
  })

  it('cannot be unique, part of an identification key, or an Identify filter', async () => {
    const api = forTenant(h.api, 'vault')
    const before = await databaseSnapshot(h.client)
    const unique = await api.post('/metadata/profiles/extensions', {
      name: 'Secret',
      type: 'multi-valued',
      attributes: [{ name: 'code', type: 'string', encrypt: true, unique: true }],
    })
    expect(unique.status).toBe(400)
    expect(unique.body.issues).toEqual([
      { path: 'attributes[0].encrypt', message: 'cannot be combined with unique' },
    ])
    const listed = await api.post('/metadata/profiles/extensions', {
      name: 'Secret',
      type: 'multi-valued',
      attributes: [{ name: 'code', type: 'string', encrypt: true }],
      unique: ['code'],
    })
    expect(listed.status).toBe(400)
    expect((await api.post('/server/mode', { mode: 'maintenance' })).status).toBe(200)
    const keyed = await api.post('/metadata/identification-keys', {
      name: 'byPin',
      source: 'Card',
      attributes: ['pin'],
    })
    expect((await api.post('/server/mode', { mode: 'production' })).status).toBe(200)
    expect(keyed.status).toBe(400)
    expect(keyed.body.issues).toEqual([
      { path: 'attributes[0]', message: 'is encrypted and cannot be part of a key' },
    ])
    const filter = await api.get('/profiles?Card.pin=1111')
    expect(filter.status).toBe(400)
    expect(filter.body.code).toBe('invalid_parameter')
    expect(await databaseSnapshot(h.client)).toEqual(before)
  })

  it('survive a key rotation: old values read with the old key, new ones written with the new', async () => {
    const api = forTenant(h.api, 'rotation')
    expect((await api.post('/metadata/services/extensions', NOTE)).status).toBe(201)
    const old = await api.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Note: { text: 'under A' },
    })

    const rotated = forTenant(h.otherInstance({ encryptionKeys: [KEY_B, KEY_A] }), 'rotation')
    expect((await rotated.get(`/services/${old.body.service_id}?extensions=Note`)).body.Note).toEqual({
      text: 'under A',
    })
    const fresh = await rotated.post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Note: { text: 'under B' },
    })
    const [underA, underB] = (await storedData('service', 'note')).slice(-2)
    expect(String(underA.text).split('.')[1]).not.toBe(String(underB.text).split('.')[1])

    // Both read through the rotated instance; a server that dropped key A can no longer read the old one.
    const both = await rotated.get('/services/anonymous/K?extensions=Note')
    expect(both.body.map((service: { Note: unknown }) => service.Note)).toEqual([
      { text: 'under A' },
      { text: 'under B' },
    ])
    const onlyB = forTenant(h.otherInstance({ encryptionKeys: [KEY_B] }), 'rotation')
    expect((await onlyB.get(`/services/${fresh.body.service_id}?extensions=Note`)).body.Note).toEqual({
      text: 'under B',
    })
    expect((await onlyB.get(`/services/${old.body.service_id}?extensions=Note`)).body.code).toBe(
      'decryption_failed',
    )
  })

  it('with a wrong key: 503 decryption_failed, logged without the value, and no 500', async () => {
    const api = forTenant(h.api, 'wrong-key')
    expect((await api.post('/metadata/services/extensions', NOTE)).status).toBe(201)
    const sid = (
      await api.post('/services/start', { service_type: 1, contact_key: 'K', Note: { text: 'hidden' } })
    ).body.service_id
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const wrong = forTenant(h.otherInstance({ encryptionKeys: [KEY_C] }), 'wrong-key')
      const response = await wrong.get(`/services/${sid}?extensions=Note`)
      expect(response.status).toBe(503)
      expect(response.body.code).toBe('decryption_failed')
      expect(JSON.stringify(response.body)).not.toContain('hidden')
      // Without the extension, the service reads as usual.
      expect((await wrong.get(`/services/${sid}`)).status).toBe(200)
      const logged = errors.mock.calls.map((call) => call.join(' ')).join('\n')
      expect(logged).toContain('did not decrypt')
      expect(logged).not.toContain('hidden')
      expect(logged).not.toContain(`/services/${sid}`)
    } finally {
      errors.mockRestore()
    }
  })

  it('a ciphertext copied to another owner does not open there', async () => {
    const api = forTenant(h.api, 'copied')
    expect((await api.post('/metadata/services/extensions', NOTE)).status).toBe(201)
    const one = (
      await api.post('/services/start', { service_type: 1, contact_key: 'K', Note: { text: 'one' } })
    ).body
    // Another tenant's record receives the first one's ciphertext.
    const other = forTenant(h.api, 'copied-other')
    expect((await other.post('/metadata/services/extensions', NOTE)).status).toBe(201)
    const two = (
      await other.post('/services/start', { service_type: 1, contact_key: 'K', Note: { text: 'two' } })
    ).body
    const [source] = await h.db
      .select({ data: extensionRecords.data })
      .from(extensionRecords)
      .where(eq(extensionRecords.ownerId, one.service_id))
    await h.db
      .update(extensionRecords)
      .set({ data: source.data })
      .where(and(eq(extensionRecords.ownerId, two.service_id), eq(extensionRecords.tenant, 'copied-other/')))
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect((await other.get(`/services/${two.service_id}?extensions=Note`)).body.code).toBe(
        'decryption_failed',
      )
    } finally {
      errors.mockRestore()
    }
  })

  it('need a configured key: without one, creating such a schema is 400 encryption_unavailable', async () => {
    const keyless = forTenant(h.otherInstance({ encryptionKeys: [] }), 'keyless')
    const before = await databaseSnapshot(h.client)
    const response = await keyless.post('/metadata/services/extensions', NOTE)
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('encryption_unavailable')
    expect(await databaseSnapshot(h.client)).toEqual(before)
  })
})

import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { idempotencyRecords, services } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { FEEDBACK } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot } from '../helpers/hostile'

/** Idempotency-Key on every POST (docs/behaviour.md#idempotency). */
let h: Harness
beforeAll(async () => {
  h = await createHarness({ encryptionKeys: [new TextEncoder().encode('k'.repeat(32))] })
})
afterAll(() => h.close())

const withKey = (key: string) => ({ headers: { 'Idempotency-Key': key } })
let counter = 0
const freshKey = () => `retry-${++counter}-${Date.now()}`

describe('Idempotency-Key', () => {
  it('a retried Start Service gets the first answer and writes nothing', async () => {
    const api = forTenant(h.api, 'idem')
    const key = freshKey()
    const body = { service_type: 1, contact_key: 'ANI-1' }
    const first = await api.post('/services/start', body, withKey(key))
    expect(first.status).toBe(200)
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    const before = await databaseSnapshot(h.client)
    const retry = await api.post('/services/start', body, withKey(key))
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual(first.body)
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await databaseSnapshot(h.client)).toEqual(before)
    expect(await h.db.$count(services, eq(services.contactKey, 'ANI-1'))).toBe(1)
    const [record] = await h.db.select().from(idempotencyRecords).where(eq(idempotencyRecords.key, key))
    expect(record.tenant).toBe('idem/')
    expect(JSON.parse(record.body ?? '')).toEqual(first.body)
    expect(Date.parse(record.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000)
  })

  it('replays the answer of every POST of the contract, never a second execution', async () => {
    const api = forTenant(h.api, 'idem-all')
    const post = async (path: string, body: unknown) => {
      const key = freshKey()
      const first = await api.post(path, body, withKey(key))
      expect(first.status, path).toBeLessThan(300)
      const before = await databaseSnapshot(h.client)
      const retry = await api.post(path, body, withKey(key))
      expect(retry.status, path).toBe(first.status)
      // A created API key is never kept: its retry answers the description without it.
      const expected = path === '/admin/keys' ? { ...first.body, key: null } : first.body
      expect(retry.body, path).toEqual(expected)
      expect(retry.headers.get('Location'), path).toBe(first.headers.get('Location'))
      expect(retry.headers.get('Idempotent-Replayed'), path).toBe('true')
      expect(await databaseSnapshot(h.client), path).toEqual(before)
      return first.body
    }
    await post('/metadata/services/extensions', FEEDBACK)
    await post('/metadata/profiles/extensions', {
      name: 'Card',
      type: 'multi-valued',
      attributes: [
        { name: 'label', type: 'string', unique: true },
        { name: 'pin', type: 'string', encrypt: true },
      ],
    })
    await post('/server/mode', { mode: 'maintenance' })
    await post('/metadata/identification-keys', { name: 'byLabel', source: 'Card', attributes: ['label'] })
    await post('/server/mode', { mode: 'production' })
    const { service_id: sid } = await post('/services/start', {
      service_type: 1,
      contact_key: 'K',
      Feedback: { rating: 1 },
    })
    const { state_id: a } = await post(`/services/${sid}/states/start`, { state_type: 1 })
    await post(`/services/${sid}/states/transition`, { from: { state_id: a }, to: { state_type: 2 } })
    const { task_id: t } = await post(`/services/${sid}/tasks/start`, { task_type: 1 })
    await post(`/services/${sid}/tasks/${t}/end`, { disposition: 1 })
    await post(`/customers/C1/services/${sid}`, {})
    await post('/profiles', { customer_id: 'C1', FirstName: 'Ann' })
    const records = await post('/profiles/C1/extensions', { Card: [{ label: 'main', pin: '4921' }] })
    expect(records).toEqual({ Card: [{ label: 'main', pin: '4921' }] })
    await post(`/services/${sid}/end`, {})
    const b = (await api.get(`/services/${sid}/states/active`)).body
    expect(b).toEqual([])
    // A state completed by the cascade, then explicitly: the retry replays the 204, not a 409.
    await post(`/services/${sid}/states/${a + 1}/end`, { disposition: 'done' })
    const created = await post('/admin/keys', { scope: 'read' })
    expect(created.key).toMatch(/^ce_/)
  })

  it('keeps no secret: a retried key creation answers the key’s description without the key', async () => {
    const api = forTenant(h.api, 'idem-keys')
    const key = freshKey()
    const first = await api.post('/admin/keys', { scope: 'write' }, withKey(key))
    const retry = await api.post('/admin/keys', { scope: 'write' }, withKey(key))
    expect(retry.status).toBe(201)
    expect(retry.body.key).toBeNull()
    expect({ ...retry.body, key: first.body.key }).toEqual(first.body)
    expect(JSON.stringify(await databaseSnapshot(h.client))).not.toContain(first.body.key)
  })

  it('the same key with another body or path is 422 idempotency_key_reused, and writes nothing', async () => {
    const api = forTenant(h.api, 'idem')
    const key = freshKey()
    expect(
      (await api.post('/services/start', { service_type: 1, contact_key: 'A' }, withKey(key))).status,
    ).toBe(200)
    const before = await databaseSnapshot(h.client)
    const otherBody = await api.post('/services/start', { service_type: 1, contact_key: 'B' }, withKey(key))
    expect(otherBody.status).toBe(422)
    expect(otherBody.body.code).toBe('idempotency_key_reused')
    const otherPath = await api.post(
      '/genesys/1/cs/services/start',
      { service_type: 1, contact_key: 'A' },
      withKey(key),
    )
    expect(otherPath.status).toBe(422)
    expect(await databaseSnapshot(h.client)).toEqual(before)
    // Keys are per tenant: another tenant's request with the same key is its own.
    expect(
      (
        await forTenant(h.api, 'idem-2').post(
          '/services/start',
          { service_type: 1, contact_key: 'B' },
          withKey(key),
        )
      ).status,
    ).toBe(200)
  })

  it('stores nothing for a failed request: its retry runs', async () => {
    const api = forTenant(h.api, 'idem')
    const key = freshKey()
    expect((await api.post('/services/start', { contact_key: 'C' }, withKey(key))).status).toBe(400)
    expect(await h.db.$count(idempotencyRecords, eq(idempotencyRecords.key, key))).toBe(0)
    const fixed = await api.post('/services/start', { service_type: 1, contact_key: 'C' }, withKey(key))
    expect(fixed.status).toBe(200)
    expect(fixed.headers.get('Idempotent-Replayed')).toBeNull()
  })

  it('refuses a malformed key (400) and ignores the header on other methods', async () => {
    const api = forTenant(h.api, 'idem')
    for (const key of ['x'.repeat(256), '', 'tab\there', 'é']) {
      const response = await api.post('/services/start', { service_type: 1, contact_key: 'D' }, withKey(key))
      expect(response.status, key).toBe(400)
      expect(response.body.code).toBe('invalid_parameter')
    }
    expect((await api.get('/services/anonymous/D', withKey('k'))).status).toBe(200)
  })

  it('forgets answers after 24 hours, purging a few expired ones with each new answer', async () => {
    const api = forTenant(h.api, 'idem-expiry')
    const key = freshKey()
    const body = { service_type: 1, contact_key: 'E' }
    const first = await api.post('/services/start', body, withKey(key))
    await h.db
      .update(idempotencyRecords)
      .set({ expiresAt: '2000-01-01T00:00:00.000Z' })
      .where(eq(idempotencyRecords.key, key))
    await h.db.run(
      sql`INSERT INTO idempotency_records (tenant, key, fingerprint, status, expires_at) SELECT 'old/', 'old-' || value, 'f', 204, '2000-01-01T00:00:00.000Z' FROM generate_series(1, 40)`,
    )
    const again = await api.post('/services/start', body, withKey(key))
    expect(again.status).toBe(200)
    expect(again.body.service_id).not.toBe(first.body.service_id)
    expect(await h.db.$count(idempotencyRecords, eq(idempotencyRecords.tenant, 'old/'))).toBe(24)
  })
})

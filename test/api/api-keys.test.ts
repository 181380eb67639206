import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeys, services } from '../../src/db/tables'
import type { ApiClient } from '../helpers/api'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot, tenantSnapshot } from '../helpers/hostile'

/**
 * API keys bound to a tenant, with scopes (docs/behaviour.md#api-keys). Root tokens (API_TOKENS)
 * manage them; a key acts on its own tenant only, within its scope.
 */
const ROOT = 'root-token-of-at-least-16'
let h: Harness
beforeAll(async () => {
  h = await createHarness({ apiTokens: [ROOT], keyCacheSeconds: 1 })
})
afterAll(() => h.close())

const bearer = (token: string, tenant?: string) => ({
  headers: { Authorization: `Bearer ${token}`, ...(tenant ? { ContactCenterId: tenant } : {}) },
})
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function createKey(tenant: string, scope: string, api: ApiClient = h.api, token = ROOT) {
  const response = await api.post('/admin/keys', { scope, name: `${tenant} ${scope}` }, bearer(token, tenant))
  expect(response.status).toBe(201)
  return response.body as { id: string; key: string; scope: string }
}

describe('API keys', () => {
  const keys: Record<string, { id: string; key: string }> = {}
  beforeAll(async () => {
    for (const scope of ['read', 'write', 'admin']) keys[`acme-${scope}`] = await createKey('acme', scope)
    keys['globex-admin'] = await createKey('globex', 'admin')
  })

  it('are shown once, stored as a hash, and listed without their secret', async () => {
    const { id, key } = keys['acme-write']
    expect(key).toMatch(new RegExp(`^ce_${id}_[A-Za-z0-9_-]{43}$`))
    // The secret may itself hold `_`: it is everything after the prefix.
    const secret = key.slice(`ce_${id}_`.length)
    const stored = await h.client.execute('SELECT * FROM api_keys')
    const dump = JSON.stringify([stored.rows, await databaseSnapshot(h.client)])
    expect(dump).toContain(id)
    expect(dump).not.toContain(secret)
    const [row] = await h.db.select().from(apiKeys).where(eq(apiKeys.id, id))
    expect(row.tenant).toBe('acme/')
    expect(row.hash).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const listed = await h.api.get('/admin/keys', bearer(ROOT, 'acme'))
    expect(listed.body.map((k: { scope: string }) => k.scope)).toEqual(['read', 'write', 'admin'])
    expect(listed.text).not.toContain(secret)
    expect(listed.body[1]).toMatchObject({ id, prefix: `ce_${id}_`, name: 'acme write', expires_at: null })
  })

  it('take the tenant from the key; a header naming another tenant is 403 forbidden_tenant', async () => {
    const { key } = keys['acme-write']
    const started = await h.api.post(
      '/services/start',
      { service_type: 1, contact_key: 'ACME-ANI' },
      bearer(key),
    )
    expect(started.status).toBe(200)
    const [row] = await h.db.select().from(services).where(eq(services.id, started.body.service_id))
    expect(row.tenant).toBe('acme/')
    expect((await h.api.get(`/services/${row.id}`, bearer(key, 'acme'))).status).toBe(200)

    const before = await databaseSnapshot(h.client)
    const others: Record<string, string>[] = [
      { ContactCenterId: 'globex' },
      { ContactCenterId: 'acme', GroupId: 'emea' },
    ]
    for (const headers of others) {
      const refused = await h.api.post(
        '/services/start',
        { service_type: 1, contact_key: 'X' },
        { headers: { Authorization: `Bearer ${key}`, ...headers } },
      )
      expect(refused.status).toBe(403)
      expect(refused.body.code).toBe('forbidden_tenant')
    }
    expect(await databaseSnapshot(h.client)).toEqual(before)
  })

  it('allow what their scope allows: read < write < admin', async () => {
    const read = keys['acme-read'].key
    const write = keys['acme-write'].key
    const admin = keys['acme-admin'].key
    const schema = { name: 'Visit', type: 'single-valued', attributes: [{ name: 'page', type: 'string' }] }
    const cases: [string, string, string, unknown, number][] = [
      [read, 'GET', '/services/anonymous/ACME-ANI', undefined, 200],
      [read, 'POST', '/services/start', { service_type: 1, contact_key: 'K' }, 403],
      [read, 'GET', '/metadata/services/extensions', undefined, 200],
      [write, 'POST', '/services/start', { service_type: 1, contact_key: 'K' }, 200],
      [write, 'POST', '/metadata/services/extensions', schema, 403],
      [write, 'POST', '/server/mode', { mode: 'maintenance' }, 403],
      [write, 'GET', '/server/status', undefined, 403],
      [write, 'POST', '/admin/keys', { scope: 'read' }, 403],
      [admin, 'POST', '/metadata/services/extensions', schema, 201],
      [admin, 'GET', '/server/status', undefined, 200],
      [admin, 'GET', '/admin/keys', undefined, 200],
    ]
    for (const [token, method, path, body, status] of cases) {
      const response = await h.api.send(method, path, body, bearer(token))
      expect(response.status, `${method} ${path}`).toBe(status)
      if (status === 403) expect(response.body.code).toBe('insufficient_scope')
    }
    // A tenant's admin key manages its own tenant's keys, not another's.
    const own = await createKey('acme', 'read', h.api, admin)
    expect((await h.api.get('/admin/keys', bearer(admin))).body.map((k: { id: string }) => k.id)).toContain(
      own.id,
    )
    const foreign = await h.api.delete(`/admin/keys/${own.id}`, bearer(keys['globex-admin'].key))
    expect(foreign.status).toBe(404)
    expect(foreign.body.code).toBe('api_key_not_found')
    expect((await h.api.get('/services/anonymous/ACME-ANI', bearer(own.key))).status).toBe(200)
  })

  it('cannot reach another tenant through any route of the contract', async () => {
    const acme = keys['acme-admin'].key
    const globex = keys['globex-admin'].key
    const service = (
      await h.api.post(
        '/services/start',
        { service_type: 1, contact_key: 'ACME-SECRET-ANI', customer_id: 'ACMECUST' },
        bearer(acme),
      )
    ).body.service_id
    const state = (await h.api.post(`/services/${service}/states/start`, { state_type: 1 }, bearer(acme)))
      .body.state_id
    const task = (await h.api.post(`/services/${service}/tasks/start`, { task_type: 1 }, bearer(acme))).body
      .task_id
    expect(
      (await h.api.post('/profiles', { customer_id: 'ACMECUST', FirstName: 'Secret' }, bearer(acme))).status,
    ).toBe(201)
    const acmeRows = () => tenantSnapshot(h.client, 'acme/')
    const before = await acmeRows()

    const document = (await h.api.get('/openapi.json', bearer(ROOT))).body
    const values: Record<string, string> = {
      id: String(service),
      state_id: String(state),
      task_id: String(task),
      customer_id: 'ACMECUST',
      contact_key: 'ACME-SECRET-ANI',
      name: 'Visit',
    }
    let walked = 0
    for (const [template, operations] of Object.entries(document.paths as Record<string, object>)) {
      // The probes belong to no tenant and need no credential.
      if (template === '/health' || template === '/ready') continue
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'x')
      for (const method of Object.keys(operations)) {
        const body = method === 'get' || method === 'delete' ? undefined : {}
        // Naming the other tenant in the headers: refused before anything runs.
        const named = await h.api.send(method.toUpperCase(), path, body, bearer(globex, 'acme'))
        expect(named.status, `${method} ${template}`).toBe(403)
        expect(named.body.code).toBe('forbidden_tenant')
        // Acting as itself on the other tenant's ids: nothing of theirs is seen.
        const own = await h.api.send(method.toUpperCase(), path, body, bearer(globex))
        // (`uri` repeats the path the caller sent: not data of the other tenant.)
        const { uri: _path, ...answer } = own.body ?? {}
        expect(JSON.stringify(answer), `${method} ${template}`).not.toMatch(/ACME-SECRET-ANI|ACMECUST|Secret/)
        walked++
      }
    }
    expect(walked).toBeGreaterThan(40)
    expect(await acmeRows()).toEqual(before)
  })

  it('are refused with 401 and WWW-Authenticate when unknown, altered or expired', async () => {
    const { id, key } = keys['acme-read']
    const altered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
    const unknown = `ce_${'a'.repeat(16)}_${'A'.repeat(43)}`
    for (const token of [altered, unknown, 'ce_short', 'not-a-root-token']) {
      const response = await h.api.get('/services/anonymous/ACME-ANI', bearer(token))
      expect(response.status, token).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toBe('Bearer')
    }
    const soon = await h.api.post(
      '/admin/keys',
      { scope: 'read', expires_at: '2000-01-01T00:00:00Z' },
      bearer(ROOT),
    )
    expect(soon.status).toBe(400)
    await h.db.update(apiKeys).set({ expiresAt: '2000-01-01T00:00:00.000Z' }).where(eq(apiKeys.id, id))
    const fresh = h.otherInstance()
    expect((await fresh.get('/services/anonymous/ACME-ANI', bearer(key))).status).toBe(401)
  })

  it('cost no round trip once an instance knows them, and record when they were last used', async () => {
    const { id, key } = keys['acme-write']
    const read = () => h.api.get('/services/anonymous/ACME-ANI', bearer(key))
    await sleep(1100) // the cached entry expires: the next request looks the key up
    expect(await h.roundTripsOf(read)).toBe(2)
    expect(await h.roundTripsOf(read)).toBe(1)
    const [row] = await h.db.select().from(apiKeys).where(eq(apiKeys.id, id))
    expect(Date.parse(row.lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 5000)
  })

  it('are refused by every instance within the cache period once revoked', async () => {
    const { id, key } = await createKey('acme', 'read')
    const one = h.api
    const two = h.otherInstance()
    expect((await one.get('/services/anonymous/ACME-ANI', bearer(key))).status).toBe(200)
    expect((await two.get('/services/anonymous/ACME-ANI', bearer(key))).status).toBe(200)
    expect((await one.delete(`/admin/keys/${id}`, bearer(ROOT, 'acme'))).status).toBe(204)
    expect(await h.db.$count(apiKeys, eq(apiKeys.id, id))).toBe(0)
    await sleep(1100)
    expect((await one.get('/services/anonymous/ACME-ANI', bearer(key))).status).toBe(401)
    expect((await two.get('/services/anonymous/ACME-ANI', bearer(key))).status).toBe(401)
    expect((await one.delete(`/admin/keys/${id}`, bearer(ROOT, 'acme'))).status).toBe(404)
  })
})

describe('API keys on an open server (no API_TOKENS)', () => {
  let open: Harness
  beforeAll(async () => {
    open = await createHarness()
  })
  afterAll(() => open.close())

  it('still bind a presented key to its tenant and scope; no credential stays open', async () => {
    const created = await open.api.post('/admin/keys', { scope: 'read' }, { tenant: 'acme' })
    expect(created.status).toBe(201)
    const key = created.body.key
    expect((await open.api.get('/services/anonymous/K', bearer(key))).status).toBe(200)
    expect((await open.api.get('/services/anonymous/K', bearer(key, 'globex'))).body.code).toBe(
      'forbidden_tenant',
    )
    expect(
      (await open.api.post('/services/start', { service_type: 1, contact_key: 'K' }, bearer(key))).status,
    ).toBe(403)
    expect((await open.api.post('/services/start', { service_type: 1, contact_key: 'K' })).status).toBe(200)
  })
})

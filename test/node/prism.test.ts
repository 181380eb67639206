import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, stopServerProcess } from '../../scripts/lib/server-process'
import { FEEDBACK, PHONE, SATISFACTION, SEED_END_BODY } from '../helpers/fixtures'

/**
 * An independent check of the contract, by a validator nobody here wrote: Stoplight Prism's
 * validation proxy in front of the real Node server. Every request of a journey across the API goes
 * through it; Prism marks any request or answer outside the document with `sl-violations`.
 */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-prism-'))
let server: ChildProcess
let prism: ChildProcess
let proxy: string

beforeAll(async () => {
  const api = await startServerProcess(process.execPath, ['--import', 'tsx', 'src/node.ts'], {
    PORT: '0',
    DATABASE_URL: `file:${join(folder, 'prism.db')}`,
  })
  server = api.child
  const document = await (await fetch(`${api.url}/openapi.json`)).text()
  writeFileSync(join(folder, 'openapi.json'), document)
  const port = 20000 + Math.floor(Math.random() * 20000)
  prism = spawn(
    'node_modules/.bin/prism',
    ['proxy', join(folder, 'openapi.json'), api.url, '--port', String(port), '--errors', 'false'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('prism did not start')), 60_000)
    prism.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Prism is listening')) {
        clearTimeout(timer)
        ready()
      }
    })
  })
  proxy = `http://127.0.0.1:${port}`
}, 90_000)

afterAll(async () => {
  prism?.kill()
  if (server) await stopServerProcess(server)
  rmSync(folder, { recursive: true, force: true })
})

const violations: string[] = []
async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${proxy}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ContactCenterId: 'prism' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // Every answer must be in the document; a request only when it was accepted (the bad requests
  // below are meant to be outside it).
  const found = JSON.parse(response.headers.get('sl-violations') ?? '[]') as { location: string[] }[]
  const relevant = found.filter((v) => v.location[0] === 'response' || response.status < 400)
  if (relevant.length) violations.push(`${method} ${path} → ${response.status}: ${JSON.stringify(relevant)}`)
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

describe('the Prism validation proxy', () => {
  it('reports no request or answer outside the document across a journey of every resource', async () => {
    for (const schema of [SATISFACTION, FEEDBACK])
      expect((await call('POST', '/metadata/services/extensions', schema)).status).toBe(201)
    expect((await call('POST', '/metadata/states/extensions', FEEDBACK)).status).toBe(201)
    expect((await call('POST', '/metadata/profiles/extensions', PHONE)).status).toBe(201)
    expect(
      (
        await call('POST', '/metadata/identification-keys', {
          name: 'byPhone',
          source: 'Phone',
          attributes: ['PhoneNumber'],
        })
      ).status,
    ).toBe(201)
    const customer = (
      await call('POST', '/profiles', {
        customer_id: 'C1',
        FirstName: 'Ann',
        Phone: [{ PhoneNumber: '555' }],
      })
    ).body
    expect(customer).toEqual({ customer_id: 'C1' })
    const { service_id } = (await call('POST', '/services/start', { service_type: 1, contact_key: 'ANI' }))
      .body
    const { state_id } = (await call('POST', `/services/${service_id}/states/start`, { state_type: 1 })).body
    await call('POST', `/services/${service_id}/tasks/start`, { task_type: 'T', state_id })
    await call('POST', `/services/${service_id}/states/transition`, {
      from: { state_id },
      to: { state_type: 2 },
    })
    await call('POST', `/customers/C1/services/${service_id}`, {})
    expect((await call('POST', `/services/${service_id}/end`, SEED_END_BODY)).status).toBe(204)
    const all =
      '?active_states=true&completed_states=true&active_tasks=true&completed_tasks=true&extensions=Feedback,Satisfaction'
    expect((await call('GET', `/services/${service_id}${all}`)).status).toBe(200)
    await call('GET', `/customers/C1/services${all}`)
    await call('GET', `/services/${service_id}/states?active_tasks=true&completed_tasks=true`)
    await call('GET', `/services/${service_id}/tasks`)
    await call('GET', `/services/${service_id}/states/${state_id}`)
    await call('GET', '/profiles/C1?extensions=Phone')
    await call('GET', '/profiles?Phone.PhoneNumber=555&include_profile=yes&extensions=Phone')
    await call('POST', '/profiles/C1/extensions', { Phone: [{ PhoneNumber: '556' }] })
    await call('GET', '/metadata/services/extensions')
    await call('GET', '/metadata/identification-keys')
    await call('GET', '/metadata/profiles')
    await call('GET', '/server/status')
    // Errors are part of the contract too.
    expect((await call('GET', '/services/999999')).status).toBe(404)
    expect((await call('POST', `/services/${service_id}/end`, {})).status).toBe(409)
    expect((await call('POST', '/services/start', { contact_key: 'K' })).status).toBe(400)
    expect((await call('POST', '/profiles', { customer_id: 'C1' })).status).toBe(409)
    expect(violations).toEqual([])
  }, 60_000)
})

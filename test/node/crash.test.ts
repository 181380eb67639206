import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServerProcess, stopServerProcess } from '../../scripts/lib/server-process'

/**
 * Crash safety of the embedded database (WAL, synchronous=NORMAL): the Node server is killed with
 * SIGKILL in the middle of a write load and restarted on the same file. Every write it acknowledged
 * is there and whole — the service, its extension record, and the answer stored for its
 * Idempotency-Key (a retry after the crash gets the same service, never a second one).
 */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-crash-'))
const env = { DATABASE_URL: `file:${join(folder, 'crash.db')}`, PORT: '0', ACCESS_LOG: 'false' }
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const NOTE = { name: 'Note', type: 'single-valued', attributes: [{ name: 'text', type: 'string' }] }

interface Acknowledged {
  key: string
  body: { service_type: number; contact_key: string; Note: { text: string } }
  serviceId: number
}

function start() {
  return startServerProcess(process.execPath, ['--import', 'tsx', 'src/node.ts'], env, 60_000)
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  })

describe('kill -9 under a write load', () => {
  it('keeps every acknowledged write, whole, with its idempotency answer', async () => {
    let server = await start()
    expect((await post(`${server.url}/metadata/services/extensions`, NOTE)).status).toBe(201)

    const acknowledged: Acknowledged[] = []
    let running = true
    const writer = async (id: number) => {
      for (let n = 0; running; n++) {
        const key = `w${id}-${n}`
        const body = { service_type: 1, contact_key: `CRASH-${key}`, Note: { text: `note ${key}` } }
        try {
          const response = await post(`${server.url}/services/start`, body, { 'Idempotency-Key': key })
          if (response.status === 200) {
            acknowledged.push({
              key,
              body,
              serviceId: ((await response.json()) as { service_id: number }).service_id,
            })
          }
        } catch {
          return // the server died mid-request: this write was never acknowledged
        }
      }
    }
    const writers = Array.from({ length: 8 }, (_, id) => writer(id))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const exited = new Promise((resolve) => server.child.once('exit', resolve))
    server.child.kill('SIGKILL')
    running = false
    await exited
    await Promise.all(writers)
    expect(acknowledged.length).toBeGreaterThan(20)

    server = await start()
    try {
      for (const write of acknowledged) {
        const read = await fetch(`${server.url}/services/${write.serviceId}?extensions=Note`)
        expect(read.status, write.key).toBe(200)
        const service = (await read.json()) as { contact_key: string; Note: unknown }
        expect(service.contact_key).toBe(write.body.contact_key)
        expect(service.Note).toEqual(write.body.Note)
      }
      // The stored answers survived too: a retry after the crash writes nothing new.
      for (const write of acknowledged.slice(-10)) {
        const retry = await post(`${server.url}/services/start`, write.body, { 'Idempotency-Key': write.key })
        expect(retry.headers.get('Idempotent-Replayed'), write.key).toBe('true')
        expect(((await retry.json()) as { service_id: number }).service_id).toBe(write.serviceId)
      }
    } finally {
      await stopServerProcess(server.child)
    }
  }, 120_000)
})

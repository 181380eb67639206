import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, stopServerProcess } from '../../scripts/lib/server-process'

// The Deno entry, run by the `deno` binary from devDependencies (never skipped: it is always there).
let deno: ChildProcess
let base: string
const folder = mkdtempSync(join(tmpdir(), 'context-edge-deno-'))

beforeAll(async () => {
  const started = await startServerProcess(
    'node_modules/.bin/deno',
    // `deno task start`, as the README and deno.json say.
    ['task', 'start'],
    { PORT: '0', DATABASE_URL: `file:${join(folder, 'deno.db')}`, NO_COLOR: '1' },
    60_000,
  )
  deno = started.child
  base = started.url
}, 90_000)

afterAll(async () => {
  if (deno) await stopServerProcess(deno)
  rmSync(folder, { recursive: true, force: true })
})

describe('the Deno entry', () => {
  it('serves a service start, complete and read round', async () => {
    const start = await fetch(`${base}/services/start`, {
      method: 'POST',
      body: JSON.stringify({ service_type: 'Deno', customer_id: 'D-1', est_duration: 5 }),
    })
    expect(start.status).toBe(200)
    const { service_id } = (await start.json()) as { service_id: number }
    const end = await fetch(`${base}/services/${service_id}/end`, {
      method: 'POST',
      body: JSON.stringify({ disposition: 1, timestamp: '2026-02-03T04:05:06.007+01:00' }),
    })
    expect(end.status).toBe(204)
    const read = await fetch(`${base}/customers/D-1/services/completed`)
    expect(await read.json()).toEqual([
      {
        service_id,
        customer_id: 'D-1',
        service_type: 'Deno',
        est_duration: 5,
        started: { timestamp: expect.any(String) },
        completed: { timestamp: '2026-02-03T03:05:06.007Z', disposition: 1 },
      },
    ])
  })
})

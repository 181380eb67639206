import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bootstrap } from '../../src/bootstrap'

describe('the Node bootstrap (and Deno: the same one)', () => {
  it('serves the reference page offline, and tells its memory in the status', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'context-edge-docs-'))
    const { app, client } = await bootstrap({
      DATABASE_URL: `file:${join(folder, 'docs.db')}`,
      ACCESS_LOG: 'false',
    })
    try {
      const script = await app.request('/docs/swagger-ui-bundle.js')
      expect(script.status).toBe(200)
      expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
      expect((await script.text()).length).toBeGreaterThan(100_000)
      expect((await app.request('/docs/swagger-ui.css')).status).toBe(200)
      expect((await app.request('/docs/package.json')).status).toBe(404)
      // The status of a Node (or Deno) instance tells its memory, in bytes (docs/behaviour.md#server-mode).
      const status = (await (await app.request('/server/status')).json()) as Record<string, number>
      for (const field of ['max_memory', 'used_memory', 'allocated_memory', 'free_memory']) {
        expect(status[field], field).toBeGreaterThan(0)
      }
      expect(status.used_memory).toBeLessThanOrEqual(status.max_memory)
    } finally {
      client.close()
      rmSync(folder, { recursive: true, force: true })
    }
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bootstrap } from '../../src/bootstrap'

describe('the reference page on Node (and Deno: the same bootstrap)', () => {
  it('serves its script and stylesheet from the installed package, offline', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'context-edge-docs-'))
    const { app, client } = await bootstrap({ DATABASE_URL: `file:${join(folder, 'docs.db')}` })
    try {
      const script = await app.request('/docs/swagger-ui-bundle.js')
      expect(script.status).toBe(200)
      expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
      expect((await script.text()).length).toBeGreaterThan(100_000)
      expect((await app.request('/docs/swagger-ui.css')).status).toBe(200)
      expect((await app.request('/docs/package.json')).status).toBe(404)
    } finally {
      client.close()
      rmSync(folder, { recursive: true, force: true })
    }
  })
})

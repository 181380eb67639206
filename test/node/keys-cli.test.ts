import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { openDatabase } from '../../src/db/node'
import { TEST_CONFIG } from '../helpers/apps'

/** `npm run keys`: the operator's way to make the first keys, before any server runs (docs/behaviour.md#api-keys). */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-keys-'))
const url = `file:${join(folder, 'keys.db')}`
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const run = promisify(execFile)
async function keys(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], {
      env: { ...process.env, DATABASE_URL: url },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('npm run keys', () => {
  it('creates a key the server accepts for its tenant, lists it, and revokes it', async () => {
    const created = await keys('create', '--tenant', 'acme', '--scope', 'write', '--name', 'ivr')
    expect(created.code).toBe(0)
    const key = JSON.parse(created.stdout) as { id: string; key: string; scope: string }
    expect(key.scope).toBe('write')
    expect(created.stderr).toContain('shown this once')

    const { client, db } = await openDatabase(url)
    try {
      const app = createApp({
        database: () => ({ db }),
        config: { ...TEST_CONFIG, apiTokens: ['root-token-0123456789'] },
      })
      const started = await app.request('/services/start', {
        method: 'POST',
        headers: { Authorization: `Bearer ${key.key}` },
        body: JSON.stringify({ service_type: 1, contact_key: 'K' }),
      })
      expect(started.status).toBe(200)
      const rows = await client.execute('SELECT tenant FROM services')
      expect(rows.rows.map((row) => row.tenant)).toEqual(['acme/'])

      const listed = await keys('list', '--tenant', 'acme')
      expect(JSON.parse(listed.stdout).map((k: { id: string }) => k.id)).toEqual([key.id])
      expect(listed.stdout).not.toContain(key.key)
      expect((await keys('revoke', key.id, '--tenant', 'globex')).code).toBe(1)
      expect((await keys('revoke', key.id, '--tenant', 'acme')).code).toBe(0)
      expect((await client.execute('SELECT count(*) AS n FROM api_keys')).rows[0].n).toBe(0)
    } finally {
      client.close()
    }
  })

  it('refuses a wrong command or option with one line and the usage, exit code 1', async () => {
    for (const args of [
      ['create', '--tenant', 'acme', '--scope', 'root'],
      ['create', '--scope', 'read'],
      ['rotate', '--tenant', 'a'],
    ]) {
      const refused = await keys(...args)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^.+\nusage: npm run keys/)
    }
  })
})

import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const folder = mkdtempSync(join(tmpdir(), 'context-edge-deploy-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

async function bash(script: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout } = await run('bash', [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
    return { code: 0, stdout }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('deploy scripts (what can be checked without an account)', () => {
  it('refuse to deploy an open API: no API_TOKENS, or a short token', async () => {
    const out = join(folder, 'secrets.env')
    const none = await bash('scripts/deploy/secrets-file.sh', [out], { DATABASE_AUTH_TOKEN: 'db' })
    expect(none.code).toBe(1)
    const short = await bash('scripts/deploy/secrets-file.sh', [out], {
      API_TOKENS: 'short',
      DATABASE_AUTH_TOKEN: 'db',
    })
    expect(short.code).toBe(1)
    const tokens = 'a-token-of-24-characters,another-token-of-28-chars!'
    const ok = await bash('scripts/deploy/secrets-file.sh', [out], {
      API_TOKENS: tokens,
      DATABASE_AUTH_TOKEN: 'db',
    })
    expect(ok.code).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(`API_TOKENS=${tokens}\nDATABASE_AUTH_TOKEN=db\n`)
  })

  it('refuse a production deploy that does not name a remote database', async () => {
    for (const url of ['', 'http://127.0.0.1:8081', 'file:.data/context.db']) {
      const result = await bash('scripts/deploy/production.sh', [], {
        DATABASE_URL: url,
        API_TOKENS: 'x'.repeat(20),
      })
      expect(result.code).toBe(1)
    }
  })

  it('name previews and branch databases with DNS-safe slugs', async () => {
    const slug = async (branch: string) => (await bash('scripts/deploy/slug.sh', [branch], {})).stdout.trim()
    expect(await slug('Feature/ABC_12--x-')).toBe('feature-abc-12-x')
    expect(await slug(`-${'a'.repeat(60)}`)).toBe('a'.repeat(40))
  })
})

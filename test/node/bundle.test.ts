import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'

const outdir = mkdtempSync(join(tmpdir(), 'context-edge-bundle-'))
afterAll(() => rmSync(outdir, { recursive: true, force: true }))

describe('the worker bundle', () => {
  it('builds with wrangler deploy --dry-run, without the Node libSQL client', async () => {
    await promisify(execFile)(
      'node_modules/.bin/wrangler',
      ['deploy', '--dry-run', '--outdir', outdir, '--minify'],
      { env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' } },
    )
    const file = readdirSync(outdir).find((name) => name.endsWith('.js'))
    expect(file).toBeDefined()
    const code = readFileSync(join(outdir, file as string))
    const gzipKiB = gzipSync(code).length / 1024
    console.log(`worker bundle: ${(code.length / 1024).toFixed(1)} KiB, ${gzipKiB.toFixed(1)} KiB gzip`)
    expect(code.toString()).not.toMatch(/node:fs|better-sqlite3|@libsql\/linux/)
    // Workers' free plan allows 3 MiB gzip; far below that, a jump here means a wrong import (zod,
    // pulled in by hono-openapi's converter, was one: wrangler.toml aliases it away).
    expect(code.toString()).not.toContain('$ZodAsyncError')
    expect(gzipKiB).toBeLessThan(120)
  }, 120_000)
})

import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { cleanupBranch } from '../../scripts/deploy/cleanup'
import { deployPreview } from '../../scripts/deploy/preview'
import { workerSecrets, writeSecretsFile } from '../../scripts/deploy/secrets'
import { branchSlug } from '../../scripts/deploy/slug'

/**
 * The deploy pipeline's scripts as units, with a fake `wrangler` (a script that records its
 * arguments) and a fake Turso Platform API on loopback. Nothing here reaches Cloudflare or Turso.
 */
const run = promisify(execFile)
const folder = mkdtempSync(join(tmpdir(), 'context-edge-deploy-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('branch slugs', () => {
  const hostile = [
    'main',
    'feature/login',
    'Feature/Login',
    'feature-login',
    'feature_login',
    'fix/ä-ü',
    'ñandú',
    '123-fix',
    '___',
    '-',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion is what this name smuggles in
    'a";echo${IFS}pwned;#',
    'x'.repeat(300),
    `${'x'.repeat(300)}y`,
    'release-1.2.3',
    'release-1-2-3',
    'feature-x-0123456789',
    'UPPER',
  ]

  it('are always a valid alias and database name: a lowercase letter first, [a-z0-9-], at most 32', () => {
    for (const branch of hostile) {
      const slug = branchSlug(branch)
      expect(slug, branch).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
      expect(slug.length, branch).toBeLessThanOrEqual(32)
      // `<slug>-context-edge-preview` must stay one DNS label.
      expect(`${slug}-context-edge-preview`.length).toBeLessThanOrEqual(63)
    }
  })

  it('never give two branches the same name, and keep names that are already slugs', () => {
    const slugs = hostile.map(branchSlug)
    expect(new Set(slugs).size).toBe(hostile.length)
    expect(branchSlug('main')).toBe('main')
    expect(branchSlug('feature-login')).toBe('feature-login')
    expect(branchSlug('release-1-2-3')).toBe('release-1-2-3')
    expect(branchSlug('feature/login')).toMatch(/^feature-login-[0-9a-f]{10}$/)
  })

  it('prints the slug from the command line', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/deploy/slug.ts', 'Feature/X'])
    expect(stdout.trim()).toBe(branchSlug('Feature/X'))
  })
})

describe('the secrets file', () => {
  it('holds hostile tokens exactly, as JSON', () => {
    const tokens = [
      '#starts-with-a-hash-0001',
      'has # inside and spaces',
      'quotes"and\'backslash\\x',
      'equals=sign=twice=====',
      'new\nline-in-the-token!!',
    ].join(',')
    const path = join(folder, 'secrets.json')
    writeSecretsFile(path, { API_TOKENS: tokens, DATABASE_AUTH_TOKEN: 'db#token=x' })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      API_TOKENS: tokens,
      DATABASE_AUTH_TOKEN: 'db#token=x',
    })
  })

  it('is refused without API_TOKENS, with a short or empty token, or without a database token', () => {
    const db = { DATABASE_AUTH_TOKEN: 'db' }
    expect(() => workerSecrets(db)).toThrow(/API_TOKENS/)
    expect(() => workerSecrets({ ...db, API_TOKENS: ' ' })).toThrow(/API_TOKENS/)
    expect(() => workerSecrets({ ...db, API_TOKENS: 'short' })).toThrow(/16 characters/)
    expect(() => workerSecrets({ ...db, API_TOKENS: 'a-token-of-24-characters,' })).toThrow(/16 characters/)
    expect(() => workerSecrets({ API_TOKENS: 'a-token-of-24-characters' })).toThrow(/DATABASE_AUTH_TOKEN/)
  })

  it('carries EXTENSION_ENCRYPTION_KEY when it is set, and only then', () => {
    const base = { DATABASE_AUTH_TOKEN: 'db', API_TOKENS: 'a-token-of-24-characters' }
    expect(workerSecrets(base)).not.toHaveProperty('EXTENSION_ENCRYPTION_KEY')
    expect(workerSecrets({ ...base, EXTENSION_ENCRYPTION_KEY: '' })).not.toHaveProperty(
      'EXTENSION_ENCRYPTION_KEY',
    )
    expect(workerSecrets({ ...base, EXTENSION_ENCRYPTION_KEY: 'a2V5' }).EXTENSION_ENCRYPTION_KEY).toBe('a2V5')
  })
})

/** A fake Turso Platform API: answers from `answers`, records every request. */
interface TursoCall {
  method: string
  path: string
  auth: string | undefined
  body: unknown
}
let turso: Server
let tursoUrl: string
const calls: TursoCall[] = []
let answer: (call: TursoCall) => [number, unknown]

async function body(request: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of request) text += chunk
  return text ? JSON.parse(text) : undefined
}

beforeAll(async () => {
  turso = createServer(async (request, response) => {
    const call = {
      method: request.method ?? '',
      path: request.url ?? '',
      auth: request.headers.authorization,
      body: await body(request),
    }
    calls.push(call)
    const [status, json] = answer(call)
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(json))
  })
  await new Promise<void>((ready) => turso.listen(0, '127.0.0.1', ready))
  tursoUrl = `http://127.0.0.1:${(turso.address() as AddressInfo).port}`
})
afterAll(() => turso.close())

/** A fake wrangler: appends its arguments to a log; `deployments list` fails until a deploy ran. */
function fakeWrangler(): { path: string; log: () => string[][] } {
  const dir = mkdtempSync(join(folder, 'wrangler-'))
  const path = join(dir, 'wrangler')
  const logFile = join(dir, 'calls.jsonl')
  const deployed = join(dir, 'deployed')
  writeFileSync(
    path,
    `#!/usr/bin/env node
const fs = require('node:fs')
const args = process.argv.slice(2)
const file = args[args.indexOf('--secrets-file') + 1]
fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ args, secrets: args.includes('--secrets-file') ? JSON.parse(fs.readFileSync(file, 'utf8')) : null }) + '\\n')
if (args[0] === 'deployments') process.exit(fs.existsSync(${JSON.stringify(deployed)}) ? 0 : 1)
if (args[0] === 'deploy') fs.writeFileSync(${JSON.stringify(deployed)}, '1')
`,
  )
  chmodSync(path, 0o755)
  return {
    path,
    log: () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line).args)
        : [],
  }
}

const tokens = 'a-token-of-24-characters'
function previewEnv(wrangler: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    WRANGLER: wrangler,
    TURSO_API_URL: tursoUrl,
    TURSO_API_TOKEN: 'turso-token',
    TURSO_ORG: 'acme',
    TURSO_GROUP: 'previews',
    TURSO_PARENT_DB: 'ce-parent',
    API_TOKENS: tokens,
    DATABASE_AUTH_TOKEN: 'group-token',
    DEPLOY_RETRY_DELAY_MS: '1',
    GITHUB_SHA: 'abc123',
  }
}

beforeEach(() => {
  calls.length = 0
  vi.spyOn(console, 'log').mockImplementation(() => undefined)
  vi.spyOn(console, 'error').mockImplementation(() => undefined)
})

describe('a preview deploy', () => {
  it('creates the branch database once, retries its first migration, deploys the worker once, then uploads versions', async () => {
    const branch = 'Feature/Login'
    const slug = branchSlug(branch)
    const databases = new Set<string>()
    answer = (call) => {
      const name = call.path.split('/').pop() as string
      if (call.method === 'GET')
        return databases.has(name) ? [200, { database: { Hostname: `${name}-acme.turso.io` } }] : [404, {}]
      if (call.method === 'POST') {
        databases.add((call.body as { name: string }).name)
        return [200, { database: { Hostname: `${(call.body as { name: string }).name}-acme.turso.io` } }]
      }
      return [500, {}]
    }
    const wrangler = fakeWrangler()
    let migrations = 0
    // A new database answers 404 for a while: the first two migrations fail.
    const migrate = async (url: string) => {
      migrations++
      expect(url).toBe(`libsql://ce-${slug}-acme.turso.io`)
      if (migrations <= 2) throw new Error('Server returned HTTP status 404')
    }
    const first = await deployPreview(branch, previewEnv(wrangler.path), { migrate })
    expect(first).toEqual({ url: `libsql://ce-${slug}-acme.turso.io`, alias: slug })
    expect(migrations).toBe(3)
    expect(calls.filter((call) => call.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/v1/organizations/acme/databases',
        auth: 'Bearer turso-token',
        body: { name: `ce-${slug}`, group: 'previews', seed: { type: 'database', name: 'ce-parent' } },
      },
    ])
    await deployPreview(branch, previewEnv(wrangler.path), { migrate })
    expect(calls.filter((call) => call.method === 'POST')).toHaveLength(1)
    const commands = wrangler.log().map((args) => args.slice(0, 2).join(' '))
    expect(commands).toEqual([
      'deployments list',
      'deploy --env',
      'versions upload',
      'deployments list',
      'versions upload',
    ])
    const upload = wrangler.log()[2]
    expect(upload).toEqual(
      expect.arrayContaining([
        '--env',
        'preview',
        '--preview-alias',
        slug,
        '--var',
        `DATABASE_URL:libsql://ce-${slug}-acme.turso.io`,
      ]),
    )
    expect(upload.at(-1)).toBe(`${branch} abc123`)
  })

  it('refuses an environment without API_TOKENS before touching anything', async () => {
    answer = () => [500, {}]
    const wrangler = fakeWrangler()
    const env = { ...previewEnv(wrangler.path), API_TOKENS: '' }
    await expect(deployPreview('x', env, { migrate: async () => undefined })).rejects.toThrow(/API_TOKENS/)
    expect(calls).toEqual([])
    expect(wrangler.log()).toEqual([])
  })

  it('fails loudly when the Turso API refuses the lookup', async () => {
    answer = () => [401, { error: 'unauthorized' }]
    const wrangler = fakeWrangler()
    await expect(
      deployPreview('x', previewEnv(wrangler.path), { migrate: async () => undefined }),
    ).rejects.toThrow(/401/)
    expect(wrangler.log()).toEqual([])
  })
})

describe('cleanup of a deleted branch', () => {
  const env = () => ({ TURSO_API_URL: tursoUrl, TURSO_API_TOKEN: 'turso-token', TURSO_ORG: 'acme' })

  it('deletes the branch database, and accepts one that is already gone', async () => {
    answer = () => [200, {}]
    expect(await cleanupBranch('feature/login', env())).toBe(`ce-${branchSlug('feature/login')}: deleted`)
    expect(calls[0]).toMatchObject({
      method: 'DELETE',
      path: `/v1/organizations/acme/databases/ce-${branchSlug('feature/login')}`,
      auth: 'Bearer turso-token',
    })
    answer = () => [404, {}]
    expect(await cleanupBranch('feature/login', env())).toMatch(/already absent/)
  })

  it('fails on a 401 or a 500 instead of hiding it', async () => {
    for (const status of [401, 500]) {
      answer = () => [status, {}]
      await expect(cleanupBranch('feature/login', env())).rejects.toThrow(String(status))
    }
  })

  it('fails the command with one line and exit 1', async () => {
    answer = () => [500, {}]
    const result = await run(process.execPath, ['--import', 'tsx', 'scripts/deploy/cleanup.ts', 'x'], {
      env: { ...process.env, ...env() },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe('::error::deleting database ce-x: the Turso API answered 500')
  })
})

describe('production', () => {
  it('refuses a deploy that does not name a remote database, or has no API_TOKENS', async () => {
    const deploy = (env: Record<string, string>) =>
      run(process.execPath, ['--import', 'tsx', 'scripts/deploy/production.ts'], {
        env: { PATH: process.env.PATH ?? '', WRANGLER: '/bin/false', ...env },
      }).then(
        () => 0,
        (error: { code: number }) => error.code,
      )
    for (const url of ['', 'http://127.0.0.1:8081', 'file:.data/context.db']) {
      expect(await deploy({ DATABASE_URL: url, API_TOKENS: tokens, DATABASE_AUTH_TOKEN: 'x' })).toBe(1)
    }
    expect(await deploy({ DATABASE_URL: 'libsql://db.turso.io', DATABASE_AUTH_TOKEN: 'x' })).toBe(1)
  })

  it('has no version URLs: only the preview environment has them', () => {
    const toml = readFileSync('wrangler.toml', 'utf8')
    const topLevel = toml.slice(0, toml.search(/^\[/m))
    expect(topLevel).toMatch(/^preview_urls = false$/m)
    const preview = toml.slice(toml.search(/^\[env\.preview\]$/m))
    expect(preview.slice(0, preview.indexOf('\n[', 1))).toMatch(/^preview_urls = true$/m)
  })
})

describe('the workflow', () => {
  const workflow = readFileSync('.github/workflows/deploy.yml', 'utf8')

  it('pastes no expression into a shell script (event values reach scripts through env only)', () => {
    const runs = [...workflow.matchAll(/^(\s*)(?:- )?run: ?(\|)?(.*)$/gm)]
    expect(runs.length).toBeGreaterThan(3)
    const lines = workflow.split('\n')
    for (const match of runs) {
      const start = workflow.slice(0, match.index).split('\n').length - 1
      const indent = match[1].length
      const script = [match[3]]
      if (match[2]) {
        for (
          let i = start + 1;
          i < lines.length && (lines[i].trim() === '' || lines[i].search(/\S/) > indent);
          i++
        ) {
          script.push(lines[i])
        }
      }
      expect(script.join('\n'), `run: at line ${start + 1}`).not.toContain('${{')
    }
  })

  it('deploys branches only, production from refs/heads/main only', () => {
    expect(workflow).toMatch(/push:\n\s+# .*\n\s+branches: \["\*\*"\]/)
    expect(workflow).not.toContain('ref_name ==')
    expect(workflow).toContain("github.ref == 'refs/heads/main'")
  })
})

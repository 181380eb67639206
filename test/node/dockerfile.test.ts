import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DockerfileParser } from 'dockerfile-ast'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import { startServerProcess } from '../../scripts/lib/server-process'

/**
 * The Docker image (where Docker cannot run here, its file is read and its command exercised):
 * non-root, production dependencies only, listening on every interface.
 */
const dockerfile = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8'))
const instructions = dockerfile.getInstructions()
const args = (keyword: string) =>
  instructions.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '')
const folder = mkdtempSync(join(tmpdir(), 'context-edge-docker-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('the Dockerfile', () => {
  it('builds from a current Node LTS, installs production dependencies only, and runs unprivileged', () => {
    expect(args('FROM')[0]).toMatch(/^node:(22|24)(\.|-|$)/)
    expect(args('RUN').join('\n')).toContain('npm ci --omit=dev')
    expect(args('USER')).toEqual(['node'])
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n')
    for (const path of ['node_modules', '.data', '.git', '.dev.vars']) expect(ignored).toContain(path)
  })

  it('needs at run time only packages that `npm ci --omit=dev` installs', async () => {
    const result = await build({
      entryPoints: ['src/node.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      write: false,
      logLevel: 'silent',
    })
    const imported = new Set<string>()
    for (const input of Object.values(result.metafile.inputs)) {
      for (const { path, external } of input.imports) {
        if (!external || path.startsWith('node:')) continue
        imported.add(path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0])
      }
    }
    const production = new Set(Object.keys(pkg.dependencies))
    expect([...imported].filter((name) => !production.has(name))).toEqual([])
    // The image builds its server with esbuild, and its scripts (keys, migrations) run through tsx.
    expect(production.has('esbuild')).toBe(true)
    expect(production.has('tsx')).toBe(true)
  })

  it('runs its command with its environment: listening on every interface, probes answering', async () => {
    const [command] = args('CMD')
    const argv = JSON.parse(command) as string[]
    const env = Object.fromEntries(
      instructions
        .filter((i) => i.getKeyword() === 'ENV')
        .flatMap((i) =>
          (i as unknown as { getProperties(): { getName(): string; getValue(): string }[] }).getProperties(),
        )
        .map((property) => [property.getName(), property.getValue()]),
    )
    expect(env.HOST).toBe('0.0.0.0')
    // The image builds the server bundle before its command runs: so does this test.
    expect(args('RUN').join('\n')).toContain('npm run build')
    execFileSync('npm', ['run', 'build', '--silent'])
    const { child, url } = await startServerProcess(
      argv[0] === 'node' ? process.execPath : argv[0],
      argv.slice(1),
      { ...env, PORT: '0', DATABASE_URL: `file:${join(folder, 'image.db')}` },
      60_000,
    )
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200)
      expect((await fetch(`${url}/ready`)).status).toBe(200)
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  }, 90_000)
})

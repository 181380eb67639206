import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServerProcess, stopServerProcess } from '../../scripts/lib/server-process'
import { type LibsqlServer, startLibsqlServer } from '../../scripts/libsql-server/server'

/**
 * An operator's first hour with `npm start` (docs/design.md#entries): a wrong setting stops the
 * process with one line naming the cause and the fix; the start line tells the real address and
 * whether auth is on; probes need no credential; SIGTERM lets requests in flight finish.
 */
const folder = mkdtempSync(join(tmpdir(), 'context-edge-ops-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

function startNode(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/node.ts'],
      {
        env: { ...process.env, DATABASE_URL: `file:${join(folder, 'ops.db')}`, PORT: '0', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe('a start that cannot succeed', () => {
  let busy: Server
  let libsql: LibsqlServer
  afterAll(() => {
    busy?.close()
    libsql?.close()
  })

  it('names the cause and the fix in one line, and exits non-zero', async () => {
    busy = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => busy.once('listening', resolve))
    const busyPort = (busy.address() as { port: number }).port
    libsql = await startLibsqlServer({ database: ':memory:', authToken: 'the-right-token' })
    const closed = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => closed.once('listening', resolve))
    const closedPort = (closed.address() as { port: number }).port
    await new Promise((resolve) => closed.close(resolve))

    const cases: [Record<string, string>, RegExp][] = [
      [{ LIST_LIMIT: 'many' }, /^context-edge: configuration: LIST_LIMIT must be a whole number/],
      [{ HOST: 'not a host' }, /^context-edge: configuration: HOST must be an interface address/],
      [
        { DATABASE_URL: `http://127.0.0.1:${closedPort}` },
        new RegExp(
          `^context-edge: http://127\\.0\\.0\\.1:${closedPort} did not answer \\(ECONNREFUSED\\): check DATABASE_URL`,
        ),
      ],
      [
        { DATABASE_URL: libsql.url, DATABASE_AUTH_TOKEN: 'a-wrong-token' },
        /^context-edge: http:\/\/127\.0\.0\.1:\d+ refused its credentials .*set DATABASE_AUTH_TOKEN/,
      ],
      [
        { PORT: String(busyPort) },
        new RegExp(`^context-edge: port ${busyPort} on 127\\.0\\.0\\.1 is in use`),
      ],
    ]
    for (const [env, line] of cases) {
      const run = await startNode(env)
      expect(run.code, JSON.stringify(env)).not.toBe(0)
      expect(run.stderr.trim().split('\n'), JSON.stringify(env)).toHaveLength(1)
      expect(run.stderr.trim(), JSON.stringify(env)).toMatch(line)
    }
  }, 120_000)
})

describe('a running Node server', () => {
  it('prints its real address and auth state, answers probes without credentials, and drains on SIGTERM', async () => {
    const { child, url } = await startServerProcess(
      process.execPath,
      ['--import', 'tsx', 'src/node.ts'],
      { DATABASE_URL: `file:${join(folder, 'run.db')}`, PORT: '0', API_TOKENS: 'root-token-of-16-chars' },
      60_000,
    )
    let output = ''
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect((await fetch(`${url}/health`)).status).toBe(200)
      expect(await (await fetch(`${url}/ready`)).json()).toEqual({ status: 'ready' })
      expect((await fetch(`${url}/services/1`)).status).toBe(401)

      // A request whose body is still arriving when SIGTERM comes: it is answered, then the process stops.
      const answered = new Promise<number>((resolve, reject) => {
        const req = request(`${url}/services/start`, {
          method: 'POST',
          headers: { Authorization: 'Bearer root-token-of-16-chars', 'Content-Type': 'application/json' },
        })
        req.on('response', (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        req.on('error', reject)
        req.write('{"service_type": 1, ')
        setTimeout(() => {
          child.kill('SIGTERM')
          setTimeout(() => req.end('"contact_key": "DRAIN"}'), 300)
        }, 200)
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      expect(await answered).toBe(200)
      expect(await exited).toBe(0)
      // The access log: one line per request, the route pattern and never the path's values.
      const lines = output.split('\n').filter((line) => line.startsWith('{'))
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(logged.find((entry) => entry.route === '/services/start')).toMatchObject({
        method: 'POST',
        status: 200,
        tenant: 'default/',
      })
      expect(output).not.toContain('DRAIN')
    } finally {
      await stopServerProcess(child)
    }
  }, 90_000)
})

import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { type Client, createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stopServerProcess } from '../../scripts/lib/server-process'
import { buildDeployBundle, freePort, startBareWorkerd, waitForHealth } from '../../scripts/lib/workerd'
import { type LibsqlServer, startLibsqlServer } from '../../scripts/libsql-server/server'
import { applyMigrations } from '../../src/db/node'
import { FEEDBACK } from '../helpers/fixtures'

const outdir = mkdtempSync(join(tmpdir(), 'context-edge-bundle-'))
let main: string

// The bundle exactly as `npm run deploy` ships it: wrangler.toml's settings, nothing added.
beforeAll(async () => {
  main = await buildDeployBundle(outdir)
}, 120_000)
afterAll(() => rmSync(outdir, { recursive: true, force: true }))

describe('the worker bundle', () => {
  it('leaves out the Node libSQL client and stays small', () => {
    const code = readFileSync(join(outdir, main))
    const gzipKiB = gzipSync(code).length / 1024
    console.log(`worker bundle: ${(code.length / 1024).toFixed(1)} KiB, ${gzipKiB.toFixed(1)} KiB gzip`)
    expect(code.toString()).not.toMatch(/node:fs|better-sqlite3|@libsql\/linux/)
    // Workers' free plan allows 3 MiB gzip; far below that, a jump here means a wrong import (zod,
    // pulled in by hono-openapi's converter, was one: wrangler.toml aliases it away).
    expect(code.toString()).not.toContain('$ZodAsyncError')
    expect(gzipKiB).toBeLessThan(120)
  })

  // The tests of the workerd project run the source through vitest's own bundler; this one runs
  // what wrangler builds for production (minified, names not kept: wrangler.toml), so a setting
  // that breaks the shipped code fails here.
  describe('as deployed, on workerd alone against the development libSQL server', () => {
    let server: LibsqlServer
    let client: Client
    let worker: ChildProcess
    let url: string

    beforeAll(async () => {
      server = await startLibsqlServer({ database: ':memory:' })
      client = createClient({ url: server.url })
      await applyMigrations(drizzle(client))
      const port = await freePort()
      worker = startBareWorkerd(outdir, main, { databaseUrl: server.url, port })
      let output = ''
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-10_000)
      }
      worker.stdout?.on('data', keep)
      worker.stderr?.on('data', keep)
      url = `http://127.0.0.1:${port}`
      await waitForHealth(url, worker, () => output, 30_000)
    }, 60_000)
    afterAll(async () => {
      if (worker) await stopServerProcess(worker)
      client?.close()
      await server?.close()
    })

    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : undefined }
    }

    it('starts, reads and completes a service, with its extension, and stores them', async () => {
      expect((await call('POST', '/metadata/services/extensions', FEEDBACK)).status).toBe(201)
      const started = await call('POST', '/services/start', {
        service_type: 7,
        contact_key: 'bundle-1',
        Feedback: { rating: 3 },
      })
      expect(started.status).toBe(200)
      const id = started.body.service_id as number
      const read = await call('GET', `/services/${id}?extensions=Feedback`)
      expect(read.status).toBe(200)
      expect(read.body).toMatchObject({ service_id: id, contact_key: 'bundle-1', Feedback: { rating: 3 } })
      expect((await call('POST', `/services/${id}/end`, { Feedback: { rating: 5 } })).status).toBe(204)

      const stored = await client.execute({ sql: 'SELECT completed FROM services WHERE id = ?', args: [id] })
      expect(stored.rows[0].completed).not.toBeNull()
      const records = await client.execute({
        sql: "SELECT data FROM extension_records WHERE owner_kind = 'service' AND owner_id = ?",
        args: [id],
      })
      expect(records.rows.map((row) => JSON.parse(row.data as string))).toEqual([{ rating: 5 }])
    })

    it('answers errors with their envelope and writes nothing', async () => {
      const before = await client.execute('SELECT count(*) AS n FROM services')
      const invalid = await call('POST', '/services/start', {
        service_type: 7,
        contact_key: 'bundle-2',
        Feedback: { rating: 'high' },
      })
      expect(invalid.status).toBe(400)
      expect(invalid.body).toMatchObject({
        status: 400,
        code: 'invalid_extension_value',
        uri: '/services/start',
      })
      const missing = await call('POST', '/services/999999/end', {})
      expect(missing.status).toBe(404)
      expect(missing.body.code).toBe('service_not_found')
      expect((await client.execute('SELECT count(*) AS n FROM services')).rows[0].n).toBe(before.rows[0].n)
    })
  })
})

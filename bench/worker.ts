/**
 * `npm run bench -- --worker`: the worker under `wrangler dev` (workerd), against the development
 * libSQL server, through a loopback proxy that counts round trips and can add a delay to each one.
 *
 * 1. No delay: req/s, round trips and CPU ms of the workerd process per request (Workers bill and
 *    limit CPU time, not wall time).
 * 2. 40 ms per round trip (about a Turso round trip from a distant edge): p50/p99 per operation, to
 *    compare with round trips × 40 ms; then 64 connections, which must see no error.
 *
 * It also reports the worker bundle as `npm run deploy` ships it (wrangler.toml minifies).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { createClient } from '@libsql/client'
import autocannon from 'autocannon'
import { drizzle } from 'drizzle-orm/libsql'
import { startServerProcess, stopServerProcess } from '../scripts/lib/server-process'
import { buildDeployBundle, freePort, startBareWorkerd, waitForHealth } from '../scripts/lib/workerd'
import { createApp } from '../src/app'
import { DEFAULT_CONFIG } from '../src/config'
import { applyMigrations } from '../src/db/node'
import * as schema from '../src/db/tables'
import { FEEDBACK, SATISFACTION, SEED_END_BODY } from '../test/helpers/fixtures'
import { seedServices } from './seed'

export interface WorkerRow {
  /** `wrangler dev`, or the deployed bundle on `workerd` alone. */
  runtime: string
  workload: string
  delayMs: number
  connections: number
  requests: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  roundTripsPerRequest: number
  /** CPU of the worker's process; none for the round trip measured without a worker. */
  cpuMsPerRequest?: number
  /** Answers other than 2xx, by status and error code. */
  failures?: Record<string, number>
  /** CPU ms beyond what `GET /health` costs workerd under wrangler dev at the same connections. */
  overHealthCpuMs?: number
}

const log = (line: string) => console.log(line)

/** A loopback HTTP proxy in front of the libSQL server: counts requests, delays each by `delayMs`. */
function roundTripProxy(
  target: string,
): Promise<{ url: string; server: Server; state: { delayMs: number; count: number } }> {
  const state = { delayMs: 0, count: 0 }
  const upstream = new URL(target)
  const server = createServer((incoming, outgoing) => {
    state.count++
    const forward = () => {
      const proxied = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(outgoing)
        },
      )
      proxied.on('error', () => {
        outgoing.statusCode = 502
        outgoing.end()
      })
      incoming.pipe(proxied)
    }
    // The delay is the network's: the request waits before it reaches the database.
    if (state.delayMs) setTimeout(forward, state.delayMs)
    else forward()
  })
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, state }),
    ),
  )
}

/** CPU time (user + system) of a process so far, in milliseconds. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** The workerd process that wrangler started (a descendant of `root`). */
function workerdPid(root: number): number | undefined {
  const parents = new Map<number, number>()
  const names = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.split(') ')[1].split(' ')[1]))
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')))
    } catch {
      // Gone meanwhile.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p; p = parents.get(p)) if (p === root) return true
    return false
  }
  return [...names].find(([pid, name]) => name === 'workerd' && descends(pid))?.[0]
}

export async function bundleSizes(folder: string): Promise<{ deployedKiB: number; deployedGzipKiB: number }> {
  const outdir = join(folder, 'bundle')
  const file = await buildDeployBundle(outdir)
  const code = readFileSync(join(outdir, file))
  const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10
  return { deployedKiB: kib(code.length), deployedGzipKiB: kib(gzipSync(code).length) }
}

export async function workerBench(quick: boolean) {
  const folder = mkdtempSync(join(tmpdir(), 'context-edge-worker-bench-'))
  const rows: WorkerRow[] = []
  const children: ChildProcess[] = []
  try {
    const libsql = await startServerProcess(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/libsql-server/main.ts',
        '--database',
        join(folder, 'worker.db'),
        '--port',
        '0',
      ],
      {},
    ).catch(async () => {
      throw new Error('the development libSQL server did not start')
    })
    children.push(libsql.child)
    log(`libSQL dev server at ${libsql.url}`)

    // Seed through a client of its own: schemas through the app, services straight in.
    const client = createClient({ url: libsql.url })
    const db = drizzle(client, { schema })
    await applyMigrations(db)
    const app = createApp({ database: () => ({ db }), config: { ...DEFAULT_CONFIG, accessLog: false } })
    for (const extension of [SATISFACTION, FEEDBACK]) {
      const response = await app.request('/metadata/services/extensions', {
        method: 'POST',
        body: JSON.stringify(extension),
      })
      if (response.status !== 201) throw new Error(`schema: ${response.status}`)
    }
    const amount = quick ? 600 : 3000
    const readIds = await seedServices(db, quick ? 2000 : 10_000, { contactKey: 'wread', withDetails: true })
    // Complete Service: every request its own service, over both runtimes and the warm-ups.
    const toComplete = await seedServices(db, amount * 5, { contactKey: 'wdone', withDetails: false })
    client.close()

    const proxy = await roundTripProxy(libsql.url)
    let nextComplete = 0
    let nextStart = 0
    const requests = {
      // No database, no app work to speak of: what the runtime costs by itself.
      health: { method: 'GET' as const, path: '/health' },
      'complete service': {
        method: 'POST' as const,
        body: JSON.stringify(SEED_END_BODY),
        setupRequest: (request: autocannon.Request) => {
          const id = toComplete[nextComplete++]
          if (id === undefined) throw new Error('ran out of pre-started services: seed more')
          return { ...request, path: `/services/${id}/end` }
        },
      },
      'start service': {
        method: 'POST' as const,
        path: '/services/start',
        setupRequest: (request: autocannon.Request) => ({
          ...request,
          body: JSON.stringify({ service_type: 7, contact_key: `w-${nextStart++}`, Feedback: { rating: 3 } }),
        }),
      },
      'read service': {
        method: 'GET' as const,
        setupRequest: (request: autocannon.Request) => ({
          ...request,
          path: `/services/${readIds[Math.floor(Math.random() * readIds.length)]}?active_states=true&extensions=Feedback,Satisfaction`,
        }),
      },
      // No worker: one Hrana pipeline straight to the proxy, what a worker's round trip costs by itself.
      'database round trip': {
        method: 'POST' as const,
        path: '/v2/pipeline',
        body: JSON.stringify({
          requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }, { type: 'close' }],
        }),
      },
    }
    const measure =
      (runtime: string, url: string, pid?: number) =>
      async (name: keyof typeof requests, connections: number, count: number) => {
        const cpuBefore = pid === undefined ? 0 : cpuMs(pid)
        const tripsBefore = proxy.state.count
        const wallBefore = process.hrtime.bigint()
        // autocannon reports at its next one-second tick: the rate is taken up to the last answer.
        let lastAnswer = wallBefore
        const failures: Record<string, number> = {}
        const result = await autocannon({
          url,
          connections,
          amount: count,
          timeout: 30,
          headers: { 'content-type': 'application/json' },
          requests: [
            {
              ...(requests[name] as autocannon.Request),
              onResponse: (status: number, body: string) => {
                lastAnswer = process.hrtime.bigint()
                if (status < 300) return
                const key = `${status} ${(/"code":"([a-z_]+)"/.exec(body) ?? [])[1] ?? ''}`.trim()
                failures[key] = (failures[key] ?? 0) + 1
              },
            },
          ],
        })
        const answered = result.requests.total
        const row: WorkerRow = {
          runtime,
          workload: name,
          delayMs: proxy.state.delayMs,
          connections,
          requests: answered,
          requestsPerSecond: Math.round(answered / (Number(lastAnswer - wallBefore) / 1e9)),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.timeouts + result.non2xx,
          roundTripsPerRequest: Math.round(((proxy.state.count - tripsBefore) / answered) * 100) / 100,
          ...(pid === undefined
            ? {}
            : { cpuMsPerRequest: Math.round(((cpuMs(pid) - cpuBefore) / answered) * 100) / 100 }),
          ...(Object.keys(failures).length ? { failures } : {}),
        }
        rows.push(row)
        log(
          `  ${runtime}: ${name} ×${connections}, +${row.delayMs} ms/round trip: ${row.requestsPerSecond} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ${row.roundTripsPerRequest} round trips, ${row.cpuMsPerRequest ?? '–'} CPU ms/request, errors ${row.errors}${row.failures ? ` ${JSON.stringify(row.failures)}` : ''}`,
        )
      }
    const everyOperation = async (run: ReturnType<typeof measure>, count: number) => {
      // Warm the isolate (its metadata cache, the JIT) before anything is counted.
      const counted = rows.length
      await run('read service', 4, 200)
      await run('complete service', 4, 200)
      rows.length = counted
      for (const name of ['health', 'complete service', 'start service', 'read service'] as const) {
        await run(name, 1, count / 2)
        await run(name, 16, count)
      }
    }

    // 1. The worker as `npm run dev` runs it: wrangler dev.
    const devPort = await freePort()
    let output = ''
    const wrangler = spawn(
      'node_modules/.bin/wrangler',
      [
        'dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(devPort),
        '--var',
        `DATABASE_URL:${proxy.url}`,
        '--var',
        'ACCESS_LOG:false',
      ],
      {
        env: {
          ...process.env,
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_SEND_METRICS: 'false',
          CI: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    children.push(wrangler)
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000)
    }
    wrangler.stdout?.on('data', keep)
    wrangler.stderr?.on('data', keep)
    const devUrl = `http://127.0.0.1:${devPort}`
    await waitForHealth(devUrl, wrangler, () => output)
    const devWorkerd = workerdPid(wrangler.pid as number)
    if (!devWorkerd) throw new Error('could not find the workerd process of wrangler dev')
    log(`wrangler dev at ${devUrl} (workerd pid ${devWorkerd})`)
    await everyOperation(measure('wrangler dev', devUrl, devWorkerd), amount / 2)
    await stopServerProcess(wrangler)

    // 2. The deployed bundle on workerd alone: the CPU a request costs the worker itself.
    const barePort = await freePort()
    // The deployed bundle with no wrangler around it: `wrangler dev` adds workers of its own (a
    // proxy, the assets router) and an inspector session to every request, which cost more CPU
    // than the API itself (see BENCHMARKS.md#worker).
    const bareBundle = join(folder, 'bare')
    const bare = startBareWorkerd(bareBundle, await buildDeployBundle(bareBundle), {
      databaseUrl: proxy.url,
      port: barePort,
    })
    children.push(bare)
    bare.stdout?.on('data', keep)
    bare.stderr?.on('data', keep)
    const bareUrl = `http://127.0.0.1:${barePort}`
    await waitForHealth(bareUrl, bare, () => output)
    log(`workerd alone at ${bareUrl} (pid ${bare.pid})`)
    const run = measure('workerd', bareUrl, bare.pid as number)
    await everyOperation(run, amount)
    // One connection: no queueing, so the latency is the round trips plus the worker's own time.
    proxy.state.delayMs = 40
    for (const name of ['health', 'complete service', 'start service', 'read service'] as const) {
      await run(name, 1, amount / 10)
    }
    // The same delayed round trip with no worker in front of it: the proxy's timer and the
    // development server have a tail of their own, which the worker's rows include.
    await measure('no worker', proxy.url)('database round trip', 1, amount / 10)
    for (const name of ['complete service', 'read service'] as const) await run(name, 64, amount)

    const bundle = await bundleSizes(folder)
    log(`worker bundle as deployed: ${bundle.deployedKiB} KiB, ${bundle.deployedGzipKiB} KiB gzip`)
    proxy.server.close()
    return { rows, bundle }
  } finally {
    for (const child of children.reverse()) await stopServerProcess(child).catch(() => undefined)
    rmSync(folder, { recursive: true, force: true })
  }
}

/** Printed by `npm run bench -- --worker`, and kept in bench/results/worker.json. */
export function reportWorker(result: Awaited<ReturnType<typeof workerBench>>) {
  const health = (runtime: string, delayMs: number, connections: number) =>
    result.rows.find(
      (row) =>
        row.runtime === runtime &&
        row.workload === 'health' &&
        row.delayMs === delayMs &&
        row.connections === connections,
    )
  for (const row of result.rows) {
    const baseline = health(row.runtime, row.delayMs, row.connections)
    if (
      baseline &&
      row !== baseline &&
      row.cpuMsPerRequest !== undefined &&
      baseline.cpuMsPerRequest !== undefined
    ) {
      row.overHealthCpuMs = Math.round((row.cpuMsPerRequest - baseline.cpuMsPerRequest) * 100) / 100
    }
  }
  // The edge budget: a worker's latency over what its one delayed round trip takes alone.
  const alone = result.rows.find((row) => row.workload === 'database round trip')
  if (alone) {
    for (const row of result.rows) {
      if (
        row.runtime !== 'workerd' ||
        row.delayMs !== alone.delayMs ||
        row.connections !== 1 ||
        row.workload === 'health'
      )
        continue
      console.log(
        `workerd, +${row.delayMs} ms: ${row.workload} p50 +${row.p50Ms - alone.p50Ms} ms, p99 +${row.p99Ms - alone.p99Ms} ms over the round trip alone (${alone.p50Ms} / ${alone.p99Ms} ms)`,
      )
    }
  }
  console.log(
    '\n| runtime | workload | +ms per round trip | conns | req/s | p50 ms | p99 ms | errors | round trips | workerd CPU ms / request | over /health |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|---|---|')
  for (const row of result.rows) {
    console.log(
      `| ${row.runtime} | ${row.workload} | ${row.delayMs} | ${row.connections} | ${row.requestsPerSecond} | ${row.p50Ms} | ${row.p99Ms} | ${row.errors} | ${row.roundTripsPerRequest} | ${row.cpuMsPerRequest ?? '–'} | ${row.overHealthCpuMs ?? '–'} |`,
    )
  }
  writeFileSync(
    'bench/results/worker.json',
    `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`,
  )
}

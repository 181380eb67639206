/**
 * The worker exactly as `npm run deploy` ships it, run on workerd alone: the bundle
 * `wrangler deploy --dry-run` writes (wrangler.toml's settings, nothing added) and a workerd config
 * with what Cloudflare gives it (the module, its compatibility date, its vars, outbound network for
 * the database). Used by the bundle test and by the worker benchmark.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** Writes the deployed bundle into `outdir`; answers the module's file name. */
export async function buildDeployBundle(outdir: string): Promise<string> {
  await promisify(execFile)('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--outdir', outdir], {
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
  })
  const main = readdirSync(outdir).find((name) => name.endsWith('.js'))
  if (!main) throw new Error(`wrangler wrote no module into ${outdir}`)
  return main
}

/** A loopback port nobody listens on right now (workerd's config needs a number). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** Starts workerd on the bundle `buildDeployBundle` wrote, serving on 127.0.0.1:`port`. */
export function startBareWorkerd(
  outdir: string,
  main: string,
  options: { databaseUrl: string; port: number },
): ChildProcess {
  const compatibilityDate = /compatibility_date = "([\d-]+)"/.exec(readFileSync('wrangler.toml', 'utf8'))?.[1]
  if (!compatibilityDate) throw new Error('wrangler.toml has no compatibility_date')
  const config = join(outdir, 'config.capnp')
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${options.port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "${main}", esModule = embed "${main}") ],
  compatibilityDate = "${compatibilityDate}",
  bindings = [
    (name = "DATABASE_URL", text = "${options.databaseUrl}"),
    (name = "ACCESS_LOG", text = "false"),
  ],
  globalOutbound = "internet",
);
`,
  )
  const workerd = join('node_modules', '@cloudflare', 'workerd-linux-64', 'bin', 'workerd')
  return spawn(workerd, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Waits until `GET /health` answers 200; fails with the process's output if it exits or never does. */
export async function waitForHealth(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 90_000,
) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the worker exited:\n${output()}`)
    try {
      if ((await fetch(`${url}/health`)).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`the worker did not answer:\n${output()}`)
}

/** What the deploy scripts share: running wrangler, retrying, and failing with one clear line. */
import { spawn } from 'node:child_process'
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { describeCauses } from '../../src/db/failures'
import { applyMigrations } from '../../src/db/node'

/** The wrangler to run: the project's own, or the one named by WRANGLER (the tests' fake). */
export function wrangler(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const command = env.WRANGLER ?? 'node_modules/.bin/wrangler'
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
    })
    child.once('error', reject)
    child.once('exit', (code) => resolve(code ?? 1))
  })
}

export async function mustWrangler(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const code = await wrangler(args, env)
  if (code !== 0) throw new Error(`wrangler ${args[0]} ${args[1] ?? ''} failed (exit ${code})`)
}

/**
 * Runs `action` until it succeeds, at most `attempts` times, waiting `firstDelayMs` and doubling:
 * a Turso database answers 404 for a few seconds after its creation.
 */
export async function withRetry<T>(
  what: string,
  action: () => Promise<T>,
  { attempts = 6, firstDelayMs = 1000 }: { attempts?: number; firstDelayMs?: number } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (attempt >= attempts) throw error
      const delay = firstDelayMs * 2 ** (attempt - 1)
      console.error(
        `${what} failed (attempt ${attempt} of ${attempts}, retrying in ${delay} ms): ${describeCauses(error)}`,
      )
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** Applies the committed migrations to a remote database. */
export async function migrate(url: string, authToken: string | undefined): Promise<void> {
  const client = createClient({ url, authToken })
  try {
    await applyMigrations(drizzle(client))
  } finally {
    client.close()
  }
}

/** Runs a script's main; any failure is one line on stderr (a GitHub error annotation) and exit 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`::error::${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}

/** The retry timing, shortened by the tests (DEPLOY_RETRY_DELAY_MS). */
export function retryDelay(env: NodeJS.ProcessEnv): number {
  return Number(env.DEPLOY_RETRY_DELAY_MS ?? 1000)
}

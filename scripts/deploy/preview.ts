/**
 * The preview of a branch (the workflow's preview job): `node --import tsx scripts/deploy/preview.ts <branch>`.
 *
 * 1. Refuses to go on without API_TOKENS (see secrets.ts).
 * 2. The branch's Turso database: created once, branched from TURSO_PARENT_DB in TURSO_GROUP.
 * 3. Its migrations, retried with backoff (a new database answers 404 for a few seconds).
 * 4. The preview worker itself, deployed once when it does not exist yet: `wrangler versions upload`
 *    fails for a worker that was never deployed, and only `wrangler deploy` applies `[env.preview]`'s
 *    `workers_dev` and `preview_urls`. Idempotent: an existing worker is left as it is.
 * 5. A version with the preview alias `<slug>` (see slug.ts), its database and its secrets.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, mustWrangler, retryDelay, runMain, withRetry, wrangler } from './run'
import { writeSecretsFile } from './secrets'
import { branchSlug } from './slug'
import { ensureBranchDatabase, tursoSettings } from './turso'

export interface PreviewDeps {
  /** Applies the migrations to a database (replaced by the tests). */
  migrate: (url: string, authToken: string | undefined) => Promise<void>
}

export async function deployPreview(branch: string, env: NodeJS.ProcessEnv, deps: PreviewDeps = { migrate }) {
  if (!branch) throw new Error('usage: preview.ts <branch name>')
  const folder = mkdtempSync(join(tmpdir(), 'context-edge-preview-'))
  try {
    const secrets = join(folder, 'secrets.json')
    writeSecretsFile(secrets, env)
    const group = env.TURSO_GROUP
    const parent = env.TURSO_PARENT_DB
    if (!group || !parent) throw new Error('TURSO_GROUP and TURSO_PARENT_DB must be set.')
    const { url, created } = await ensureBranchDatabase(tursoSettings(env), branch, group, parent)
    console.log(`branch database ${created ? 'created' : 'exists'}: ${url}`)
    await withRetry('migrating the branch database', () => deps.migrate(url, env.DATABASE_AUTH_TOKEN), {
      firstDelayMs: retryDelay(env),
    })
    const vars = ['--var', `DATABASE_URL:${url}`, '--secrets-file', secrets]
    if ((await wrangler(['deployments', 'list', '--env', 'preview'], env)) !== 0) {
      console.log('the preview worker does not exist yet: deploying it once')
      await mustWrangler(['deploy', '--env', 'preview', ...vars], env)
    }
    const alias = branchSlug(branch)
    const message = `${branch} ${env.GITHUB_SHA ?? ''}`.trim()
    await mustWrangler(
      ['versions', 'upload', '--env', 'preview', '--preview-alias', alias, ...vars, '--message', message],
      env,
    )
    console.log(`preview alias: ${alias}`)
    return { url, alias }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain(() => deployPreview(process.argv[2] ?? '', process.env).then(() => undefined))
}

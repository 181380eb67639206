/**
 * `npm run deploy`: migrates the production database, then deploys the worker pointing at it, with
 * its secrets. Reads DATABASE_URL, DATABASE_AUTH_TOKEN and API_TOKENS from the environment (the
 * workflow maps them from the repository's settings); refuses to deploy without them, since a
 * deployed worker is reachable from the internet.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, mustWrangler, retryDelay, runMain, withRetry } from './run'
import { DeployRefused, writeSecretsFile } from './secrets'

runMain(async () => {
  const env = process.env
  const url = env.DATABASE_URL ?? ''
  if (!/^(libsql|https):\/\//.test(url)) {
    throw new DeployRefused('DATABASE_URL must name the production database (libsql:// or https://).')
  }
  const folder = mkdtempSync(join(tmpdir(), 'context-edge-deploy-'))
  try {
    const secrets = join(folder, 'secrets.json')
    writeSecretsFile(secrets, env)
    await withRetry('migrating the production database', () => migrate(url, env.DATABASE_AUTH_TOKEN), {
      attempts: 3,
      firstDelayMs: retryDelay(env),
    })
    await mustWrangler(['deploy', '--var', `DATABASE_URL:${url}`, '--secrets-file', secrets], env)
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
})

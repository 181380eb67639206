/**
 * The secrets a deployed worker gets, checked and written as JSON for `wrangler deploy|versions
 * upload --secrets-file` (JSON, not dotenv: in dotenv `#` starts a comment, so a token beginning with
 * `#` would deploy the API with no auth at all, and one containing `#` would be cut).
 *
 * A deployed worker is reachable from the internet: without API_TOKENS it would be open to anyone,
 * so the deployment is refused.
 */
import { writeFileSync } from 'node:fs'

export class DeployRefused extends Error {}

const MIN_TOKEN_LENGTH = 16

export function workerSecrets(env: Record<string, string | undefined>): Record<string, string> {
  const apiTokens = env.API_TOKENS ?? ''
  if (!apiTokens.trim())
    throw new DeployRefused('API_TOKENS is not set for this environment: refusing to deploy an open API.')
  // The worker splits on commas and trims each token (src/config.ts): check what it will use.
  const tokens = apiTokens.split(',').map((token) => token.trim())
  if (tokens.some((token) => token.length < MIN_TOKEN_LENGTH)) {
    throw new DeployRefused(
      `every API token must be at least ${MIN_TOKEN_LENGTH} characters (and none empty).`,
    )
  }
  if (!env.DATABASE_AUTH_TOKEN)
    throw new DeployRefused('DATABASE_AUTH_TOKEN is not set for this environment.')
  return {
    API_TOKENS: apiTokens,
    DATABASE_AUTH_TOKEN: env.DATABASE_AUTH_TOKEN,
    // Optional: the keys of encrypted extension attributes (docs/behaviour.md#encrypted-attributes).
    ...(env.EXTENSION_ENCRYPTION_KEY?.trim()
      ? { EXTENSION_ENCRYPTION_KEY: env.EXTENSION_ENCRYPTION_KEY }
      : {}),
  }
}

/** Writes the secrets file, readable by its owner only. */
export function writeSecretsFile(path: string, env: Record<string, string | undefined>): void {
  writeFileSync(path, JSON.stringify(workerSecrets(env)), { mode: 0o600 })
}

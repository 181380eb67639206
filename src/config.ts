/** Settings every runtime reads from its own environment (Node: process.env; Workers: vars). */
export interface AppConfig {
  /** Largest accepted request body in bytes (decisions 1.4). */
  bodyLimitBytes: number
  /** Most items a list returns (decisions 5.11). */
  listLimit: number
  /** When not empty, every request needs `Authorization: Bearer <one of these>`. */
  apiTokens: string[]
}

export const DEFAULT_CONFIG: AppConfig = {
  bodyLimitBytes: 1024 * 1024,
  listLimit: 1000,
  apiTokens: [],
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`)
  return n
}

/** Reads BODY_LIMIT_BYTES, LIST_LIMIT and API_TOKENS (comma-separated); unset ones keep their default. */
export function configFromEnv(env: Record<string, string | undefined>): AppConfig {
  return {
    bodyLimitBytes: positiveInteger(env.BODY_LIMIT_BYTES, 'BODY_LIMIT_BYTES', DEFAULT_CONFIG.bodyLimitBytes),
    listLimit: positiveInteger(env.LIST_LIMIT, 'LIST_LIMIT', DEFAULT_CONFIG.listLimit),
    apiTokens: (env.API_TOKENS ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean),
  }
}

/** Bounds on the work one request may cause (docs/behaviour.md#limits); each is refused with its own code. */
export interface Limits {
  /** Values of one core profile attribute (`too_many_values`). */
  valuesPerAttribute: number
  /** Records of one extension of one owner, whether replaced or appended (`too_many_records`). */
  recordsPerExtension: number
  /** Identification-key entries of one profile for one key (`too_many_key_entries`). */
  keyEntriesPerProfile: number
  /** Filters of one Identify query, after merging duplicates (`too_many_filters`). */
  identifyFilters: number
}

/** Settings every runtime reads from its own environment (Node: process.env; Workers: vars). */
export interface AppConfig {
  /** Largest accepted request body in bytes (docs/behaviour.md#surface). */
  bodyLimitBytes: number
  /** Most items a list returns, also a nested one (docs/behaviour.md#lists). */
  listLimit: number
  /** When not empty, every request needs `Authorization: Bearer <one of these>`. */
  apiTokens: string[]
  limits: Limits
}

export const DEFAULT_LIMITS: Limits = {
  valuesPerAttribute: 32,
  recordsPerExtension: 1000,
  keyEntriesPerProfile: 256,
  identifyFilters: 32,
}

export const DEFAULT_CONFIG: AppConfig = {
  bodyLimitBytes: 1024 * 1024,
  listLimit: 1000,
  apiTokens: [],
  limits: DEFAULT_LIMITS,
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`)
  return n
}

/** Reads the variables of the README's configuration table; unset ones keep their default. */
export function configFromEnv(env: Record<string, string | undefined>): AppConfig {
  const limit = (name: string, fallback: number) => positiveInteger(env[name], name, fallback)
  return {
    bodyLimitBytes: limit('BODY_LIMIT_BYTES', DEFAULT_CONFIG.bodyLimitBytes),
    listLimit: limit('LIST_LIMIT', DEFAULT_CONFIG.listLimit),
    apiTokens: (env.API_TOKENS ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean),
    limits: {
      valuesPerAttribute: limit('MAX_VALUES_PER_ATTRIBUTE', DEFAULT_LIMITS.valuesPerAttribute),
      recordsPerExtension: limit('MAX_RECORDS_PER_EXTENSION', DEFAULT_LIMITS.recordsPerExtension),
      keyEntriesPerProfile: limit('MAX_KEY_ENTRIES_PER_PROFILE', DEFAULT_LIMITS.keyEntriesPerProfile),
      identifyFilters: limit('MAX_IDENTIFY_FILTERS', DEFAULT_LIMITS.identifyFilters),
    },
  }
}

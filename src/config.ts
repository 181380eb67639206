import * as v from 'valibot'

/**
 * The configuration, read once from the environment of whichever entry runs (Node and Deno: the
 * process environment; Workers: vars and secrets) by one valibot schema. A wrong value stops the
 * entry with one line that names the variable (`ConfigError`).
 */

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

/** What the app needs, on every runtime. */
export interface AppConfig {
  /** Largest accepted request body in bytes (docs/behaviour.md#surface). */
  bodyLimitBytes: number
  /** Most items a list returns, also a nested one (docs/behaviour.md#lists). */
  listLimit: number
  /**
   * Root tokens: when not empty, every request needs `Authorization: Bearer <one of these>` or an
   * API key (docs/behaviour.md#api-keys).
   */
  apiTokens: string[]
  /** How long an instance trusts what it read of an API key: the revocation bound (1–60 s). */
  keyCacheSeconds: number
  /** Browser origins allowed to call the API (CORS); none by default. `*` allows any. */
  corsOrigins: string[]
  /** `/openapi.json` and `/docs` without a token (they are behind auth otherwise). */
  docsPublic: boolean
  /** One more prefix every route answers under, beside `/` and `/genesys/1/cs` (e.g. `/cv`). */
  basePath?: string
  /** One JSON line per request on stdout: method, route pattern, status, duration, request id, tenant. */
  accessLog: boolean
  /** Keys of encrypted extension attributes, newest first: the first encrypts, every one decrypts. */
  encryptionKeys: Uint8Array<ArrayBuffer>[]
  limits: Limits
}

/** What an entry needs besides: where the database is, and (Node, Deno) the port. */
export interface EntryConfig {
  app: AppConfig
  /** Unset on Node and Deno means the embedded file; the worker has no default. */
  databaseUrl: string | undefined
  databaseAuthToken: string | undefined
  /** How long one request to a remote database may take before it counts as unavailable (ms). */
  databaseTimeoutMs: number
  /** The client of an embedded file: ours (prepared statements cached) or @libsql/client's. */
  fileDriver: 'local' | 'libsql-client'
  /** Interface of `npm start` and Deno: loopback unless told otherwise (the Docker image says 0.0.0.0). */
  host: string
  port: number
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
  keyCacheSeconds: 30,
  corsOrigins: [],
  docsPublic: false,
  accessLog: true,
  encryptionKeys: [],
  limits: DEFAULT_LIMITS,
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** An optional whole number in [min, max], given as text; unset or empty is `fallback`. */
function wholeNumber(fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => (text.trim() === '' ? String(fallback) : text.trim())),
    v.regex(/^\d+$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `must be a whole number from ${min} to ${max}`),
  )
}

/** A comma-separated list; blanks dropped. */
const commaList = v.pipe(
  v.optional(v.string(), ''),
  v.transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ),
)

/** `true` or `false` in any case; unset or empty is `fallback`. */
function flag(fallback: boolean) {
  return v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim().toLowerCase()),
    v.picklist(['true', 'false', ''], 'must be true or false'),
    v.transform((text) => (text === '' ? fallback : text === 'true')),
  )
}

/** Standard base64 to bytes; undefined when it is not base64. */
function decodeKey(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0))
  } catch {
    return undefined
  }
}

const optionalText = v.pipe(
  v.optional(v.string()),
  v.transform((text) => (text?.trim() ? text.trim() : undefined)),
)

const EnvSchema = v.object({
  DATABASE_URL: optionalText,
  DATABASE_AUTH_TOKEN: optionalText,
  PORT: wholeNumber(8080, 0, 65535),
  HOST: v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim() || '127.0.0.1'),
    v.regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be an interface address such as 127.0.0.1, 0.0.0.0 or ::'),
  ),
  DATABASE_TIMEOUT_MS: wholeNumber(10_000, 100, 600_000),
  FILE_DRIVER: v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim() || 'local'),
    v.picklist(['local', 'libsql-client'], 'must be local or libsql-client'),
  ),
  BODY_LIMIT_BYTES: wholeNumber(DEFAULT_CONFIG.bodyLimitBytes),
  LIST_LIMIT: wholeNumber(DEFAULT_CONFIG.listLimit),
  MAX_VALUES_PER_ATTRIBUTE: wholeNumber(DEFAULT_LIMITS.valuesPerAttribute),
  MAX_RECORDS_PER_EXTENSION: wholeNumber(DEFAULT_LIMITS.recordsPerExtension),
  MAX_KEY_ENTRIES_PER_PROFILE: wholeNumber(DEFAULT_LIMITS.keyEntriesPerProfile),
  MAX_IDENTIFY_FILTERS: wholeNumber(DEFAULT_LIMITS.identifyFilters),
  API_TOKENS: commaList,
  API_KEY_CACHE_SECONDS: wholeNumber(DEFAULT_CONFIG.keyCacheSeconds, 1, 60),
  CORS_ORIGINS: commaList,
  BASE_PATH: v.pipe(
    optionalText,
    v.check(
      (text) => text === undefined || /^(\/[A-Za-z0-9_.-]+)+$/.test(text),
      'must be a path such as /cv: segments of A-Za-z0-9_.- after a slash, none at the end',
    ),
  ),
  EXTENSION_ENCRYPTION_KEY: v.pipe(
    commaList,
    v.transform((keys) => keys.map(decodeKey)),
    v.check(
      (keys) => keys.every((key) => key?.length === 32),
      'must be base64 of 32 random bytes (newest key first, comma-separated); generate one with `openssl rand -base64 32`',
    ),
    v.transform((keys) => keys as Uint8Array<ArrayBuffer>[]),
  ),
  DOCS_PUBLIC: flag(false),
  ACCESS_LOG: flag(true),
})

/** Every variable the configuration reads (the README's table lists each: a test checks it). */
export const ENV_VARIABLES = Object.keys(EnvSchema.entries)

/** Reads the variables of the README's configuration table; unset ones keep their default. */
export function entryConfigFromEnv(env: Record<string, unknown>): EntryConfig {
  // Only strings are configuration: a Workers binding of another kind (a KV namespace…) is not ours.
  const text = Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string'))
  const parsed = v.safeParse(EnvSchema, text)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new ConfigError(`${v.getDotPath(issue) ?? 'configuration'} ${issue.message}`)
  }
  const e = parsed.output
  return {
    app: {
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      listLimit: e.LIST_LIMIT,
      apiTokens: e.API_TOKENS,
      keyCacheSeconds: e.API_KEY_CACHE_SECONDS,
      corsOrigins: e.CORS_ORIGINS,
      docsPublic: e.DOCS_PUBLIC,
      accessLog: e.ACCESS_LOG,
      ...(e.BASE_PATH ? { basePath: e.BASE_PATH } : {}),
      encryptionKeys: e.EXTENSION_ENCRYPTION_KEY,
      limits: {
        valuesPerAttribute: e.MAX_VALUES_PER_ATTRIBUTE,
        recordsPerExtension: e.MAX_RECORDS_PER_EXTENSION,
        keyEntriesPerProfile: e.MAX_KEY_ENTRIES_PER_PROFILE,
        identifyFilters: e.MAX_IDENTIFY_FILTERS,
      },
    },
    databaseUrl: e.DATABASE_URL,
    databaseAuthToken: e.DATABASE_AUTH_TOKEN,
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
    fileDriver: e.FILE_DRIVER,
    host: e.HOST,
    port: e.PORT,
  }
}

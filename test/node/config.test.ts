import { readFileSync } from 'node:fs'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { ConfigError, DEFAULT_CONFIG, ENV_VARIABLES, entryConfigFromEnv } from '../../src/config'
import type { Database } from '../../src/db/database'
import { TEST_CONFIG } from '../helpers/apps'

describe('configuration, read by one schema for every entry', () => {
  it('has the defaults of the README when nothing is set', () => {
    expect(entryConfigFromEnv({})).toEqual({
      app: DEFAULT_CONFIG,
      databaseUrl: undefined,
      databaseAuthToken: undefined,
      databaseTimeoutMs: 10_000,
      fileDriver: 'local',
      host: '127.0.0.1',
      port: 8080,
    })
  })

  it('reads every variable, and ignores bindings that are not text', () => {
    const config = entryConfigFromEnv({
      DATABASE_URL: 'libsql://db.example',
      DATABASE_AUTH_TOKEN: 'token',
      PORT: '0',
      BODY_LIMIT_BYTES: '2048',
      LIST_LIMIT: '5',
      MAX_VALUES_PER_ATTRIBUTE: '4',
      MAX_RECORDS_PER_EXTENSION: '6',
      MAX_KEY_ENTRIES_PER_PROFILE: '7',
      MAX_IDENTIFY_FILTERS: '8',
      API_TOKENS: ' one-token-of-16-chars , ,two-token-of-16-chars',
      API_KEY_CACHE_SECONDS: '45',
      CORS_ORIGINS: 'https://desk.example',
      DOCS_PUBLIC: 'TRUE',
      ACCESS_LOG: 'false',
      HOST: '0.0.0.0',
      DATABASE_TIMEOUT_MS: '2500',
      FILE_DRIVER: 'libsql-client',
      EXTENSION_ENCRYPTION_KEY: `${btoa('k'.repeat(32))}, ${btoa('o'.repeat(32))}`,
      SOME_KV_NAMESPACE: { get() {} },
    })
    expect(config).toEqual({
      app: {
        bodyLimitBytes: 2048,
        listLimit: 5,
        apiTokens: ['one-token-of-16-chars', 'two-token-of-16-chars'],
        keyCacheSeconds: 45,
        corsOrigins: ['https://desk.example'],
        docsPublic: true,
        accessLog: false,
        encryptionKeys: [new TextEncoder().encode('k'.repeat(32)), new TextEncoder().encode('o'.repeat(32))],
        limits: {
          valuesPerAttribute: 4,
          recordsPerExtension: 6,
          keyEntriesPerProfile: 7,
          identifyFilters: 8,
        },
      },
      databaseUrl: 'libsql://db.example',
      databaseAuthToken: 'token',
      databaseTimeoutMs: 2500,
      fileDriver: 'libsql-client',
      host: '0.0.0.0',
      port: 0,
    })
  })

  it('refuses a wrong value with one line naming the variable', () => {
    for (const [name, value] of [
      ['LIST_LIMIT', 'many'],
      ['LIST_LIMIT', '0'],
      ['PORT', '70000'],
      ['BODY_LIMIT_BYTES', '-1'],
      ['MAX_IDENTIFY_FILTERS', '1.5'],
      ['API_KEY_CACHE_SECONDS', '61'],
    ]) {
      expect(() => entryConfigFromEnv({ [name]: value })).toThrow(ConfigError)
      expect(() => entryConfigFromEnv({ [name]: value })).toThrow(
        new RegExp(`^${name} must be a whole number`),
      )
    }
  })
})

describe('the README', () => {
  it('lists every variable the configuration reads in its configuration table', () => {
    const table = readFileSync('README.md', 'utf8')
      .split('\n')
      .filter((line) => /^\| `[A-Z_]+`/.test(line))
      .map((line) => /^\| `([A-Z_]+)`/.exec(line)?.[1])
    expect(ENV_VARIABLES.length).toBeGreaterThan(15)
    expect(ENV_VARIABLES.filter((name) => !table.includes(name))).toEqual([])
  })
})

describe('EXTENSION_ENCRYPTION_KEY', () => {
  it('takes base64 keys of 32 bytes, newest first, and refuses anything else', () => {
    expect(entryConfigFromEnv({}).app.encryptionKeys).toEqual([])
    for (const bad of [btoa('short'), btoa('k'.repeat(33)), 'not base64!', `${btoa('k'.repeat(32))},x`]) {
      expect(() => entryConfigFromEnv({ EXTENSION_ENCRYPTION_KEY: bad })).toThrow(
        /^EXTENSION_ENCRYPTION_KEY must be base64 of 32 random bytes/,
      )
    }
  })
})

describe('BASE_PATH', () => {
  it('takes a path and refuses anything else', () => {
    expect(entryConfigFromEnv({ BASE_PATH: '/cv' }).app.basePath).toBe('/cv')
    expect(entryConfigFromEnv({}).app.basePath).toBeUndefined()
    for (const bad of ['cv', '/cv/', '/c v', '/']) {
      expect(() => entryConfigFromEnv({ BASE_PATH: bad })).toThrow(/^BASE_PATH must be a path/)
    }
  })

  it('adds one more prefix under which every route answers', async () => {
    const app = createApp({
      database: () => ({ db: {} as Database }),
      config: { ...DEFAULT_CONFIG, basePath: '/cv' },
    })
    const paths = new Set(app.routes.map((route) => route.path))
    for (const path of [
      '/services/start',
      '/genesys/1/cs/services/start',
      '/cv/services/start',
      '/cv/profiles/:customer_id',
    ]) {
      expect(paths.has(path), path).toBe(true)
    }
    expect([...paths].filter((path) => path.startsWith('/cv/')).length).toBe(
      [...paths].filter((path) => path.startsWith('/genesys/1/cs/')).length,
    )
  })
})

describe('errors thrown by the framework', () => {
  it('answer the envelope with the code of their status, never a 500', async () => {
    const app = createApp({ database: () => ({ db: {} as Database }), config: TEST_CONFIG })
    app.get('/teapot', () => {
      throw new HTTPException(401, { message: 'framework text' })
    })
    const response = await app.request('/teapot')
    expect(response.status).toBe(401)
    const body = (await response.json()) as { code: string; message: string }
    expect(body.code).toBe('unauthorized')
    expect(body.message).not.toContain('framework text')
  })
})

import { type Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { requestId } from 'hono/request-id'
import { openAPIRouteHandler } from 'hono-openapi'
import pkg from '../package.json' with { type: 'json' }
import { authentication } from './api-keys/auth'
import { KeyCache } from './api-keys/cache'
import { apiKeyRoutes } from './api-keys/routes'
import { businessAttributeRoutes } from './business-attributes/routes'
import type { AppConfig } from './config'
import type { Database } from './db/database'
import { describeCauses, isDatabaseUnavailable } from './db/failures'
import { attachMetadataCache, MetadataCache } from './db/metadata'
import type { AppEnv, InstanceStats, MemoryFigures } from './env'
import { AttributeCipher } from './extension-schemas/encryption'
import { extensionSchemaRoutes } from './extension-schemas/routes'
import { accessLog, type LineWriter } from './http/access-log'
import { bodyLimit } from './http/body-limit'
import { type DocsAssetReader, docsRoutes } from './http/docs'
import { ApiError, errorEnvelope, fromHttpException } from './http/errors'
import { idempotency, ReplayedAnswer, replayResponse } from './http/idempotency'
import { documentation } from './http/openapi'
import { asApiError } from './http/write'
import { identificationKeyRoutes } from './identification-keys/routes'
import { profileRoutes } from './profiles/routes'
import { healthRoutes } from './server/health'
import { serverRoutes } from './server/routes'
import { serviceRoutes } from './services/routes'
import { stateRoutes } from './states-tasks/state-routes'
import { taskRoutes } from './states-tasks/task-routes'

export interface RequestDatabase {
  db: Database
  /** Called when the request's response is complete (the app never streams a response). */
  release?: () => void
}

export interface AppOptions {
  /**
   * The database handle of one request, asked for once per request and released when it ends. Node
   * and Deno return the one handle of the process; the worker opens one per request (see worker.ts).
   */
  database: () => RequestDatabase
  config: AppConfig
  /** Serves the files of the reference page (`/docs`); each entry has its own way to read them. */
  docsAsset?: DocsAssetReader
  /** The memory figures of the status (Node, Deno); absent on Workers. */
  memory?: () => MemoryFigures
  /** Where access-log lines go (`console.log` when absent). */
  logLine?: LineWriter
}

/** Path prefixes every route answers at: the 8.1 root and the 8.5 alias (docs/behaviour.md#surface). */
export const PATH_PREFIXES = ['/', '/genesys/1/cs'] as const

/** What a 503 `database_unavailable` suggests to wait before retrying. */
const RETRY_AFTER_SECONDS = 1

/**
 * One error line: the request id and route pattern, never the path, query or body — they carry
 * personal data (docs/behaviour.md#personal-data).
 */
function logError(c: Context<AppEnv>, fields: { error: string; cause?: string }): void {
  console.error(
    JSON.stringify({
      level: 'error',
      request_id: c.get('requestId'),
      method: c.req.method,
      route: c.req.routePath,
      ...fields,
    }),
  )
}

/** The API, identical on every runtime; the entry decides which database it talks to. */
export function createApp({ database, config, docsAsset, memory, logLine }: AppOptions) {
  // Not strict: `/profiles/` is `/profiles` (the vendor examples use both).
  const app = new Hono<AppEnv>({ strict: false })
  const stats: InstanceStats = {
    started: new Date().toISOString(),
    lastRequest: null,
    day: new Date().toISOString().slice(0, 10),
    requests: 0,
    clientErrors: 0,
    serverErrors: 0,
  }
  const metadataCache = new MetadataCache(config.limits)
  const cipher = new AttributeCipher(config.encryptionKeys)
  const keyCache = new KeyCache(config.keyCacheSeconds * 1000)

  if (config.accessLog) app.use(accessLog(logLine))

  app.use(async (c, next) => {
    c.set('stats', stats)
    const arrived = new Date().toISOString()
    if (arrived.slice(0, 10) !== stats.day) {
      // A new UTC day: the vendor's counters are "today's".
      stats.day = arrived.slice(0, 10)
      stats.requests = 0
      stats.clientErrors = 0
      stats.serverErrors = 0
    }
    stats.requests++
    await next()
    stats.lastRequest = arrived
    // Server errors are real faults only: not maintenance 503s, not requests the client gave up on.
    if (c.get('fault')) stats.serverErrors++
    else if (c.res.status >= 400 && c.res.status < 500) stats.clientErrors++
  })

  // A sane X-Request-Id is echoed, anything else replaced by a new id.
  app.use(requestId({ limitLength: 128 }))

  app.use(async (c, next) => {
    c.set('config', config)
    c.set('cipher', cipher)
    if (memory) c.set('memory', memory)
    const { db, release } = database()
    attachMetadataCache(db, metadataCache)
    c.set('db', db)
    try {
      await next()
    } finally {
      release?.()
    }
    // docs/behaviour.md#surface: JSON is always sent with its charset.
    if (c.res.headers.get('Content-Type') === 'application/json') {
      c.res.headers.set('Content-Type', 'application/json; charset=utf-8')
    }
  })

  // Probes for load balancers and uptime monitors: before auth, they need no credential.
  app.route('/', healthRoutes)

  // Browser agent desktops: CORS is answered before auth, so a preflight never gets a 401 or 405.
  if (config.corsOrigins.length) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        allowHeaders: ['Authorization', 'Content-Type', 'ContactCenterId', 'GroupId', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'X-Result-Truncated', 'Location', 'Retry-After'],
        maxAge: 600,
      }),
    )
  }

  // The contract and its reference page: open to anyone only when DOCS_PUBLIC says so (registered
  // before auth, they answer before it runs); otherwise behind the same auth as the API.
  const contract = new Hono<AppEnv>()
  contract.get(
    '/openapi.json',
    openAPIRouteHandler(app, {
      documentation: documentation(pkg.version),
      exclude: [/^\/genesys\/1\/cs\//, '/openapi.json', /^\/docs/],
      defaultValidationErrorResponse: false,
    }),
  )
  contract.route('/', docsRoutes(docsAsset))
  if (config.docsPublic) app.route('/', contract)

  // Root tokens and tenant-bound API keys: sets the tenant and the caller (docs/behaviour.md#api-keys).
  app.use(authentication(config, keyCache))

  app.use(bodyLimit(config.bodyLimitBytes))

  // Idempotency-Key on POSTs: read after the body limit, so its fingerprint reads a bounded body.
  app.use(idempotency())

  // A known path with another method: 405 with `Allow` from the registered routes (docs/behaviour.md#surface).
  app.use(
    methodNotAllowed({
      app: app as unknown as Hono,
      onMethodNotAllowed: (c, methods) => {
        c.header('Allow', [...methods].sort().join(', '))
        return c.json(errorEnvelope(requestInfo(c), new ApiError('method_not_allowed')), 405)
      },
    }),
  )

  // BASE_PATH adds one more prefix (vendor samples use /cv/… and /cms/…).
  for (const prefix of config.basePath ? [...PATH_PREFIXES, config.basePath] : PATH_PREFIXES) {
    // Services first: `/services/anonymous/…` must win over `/services/:id/…`.
    app.route(prefix, serviceRoutes)
    app.route(prefix, stateRoutes)
    app.route(prefix, taskRoutes)
    app.route(prefix, extensionSchemaRoutes)
    app.route(prefix, identificationKeyRoutes)
    app.route(prefix, businessAttributeRoutes)
    app.route(prefix, profileRoutes)
    app.route(prefix, serverRoutes)
    app.route(prefix, apiKeyRoutes)
  }

  if (!config.docsPublic) app.route('/', contract)

  app.notFound((c) => c.json(errorEnvelope(requestInfo(c), new ApiError('not_found')), 404))

  app.onError((thrown, c) => {
    // A retried POST: the answer its first execution stored (docs/behaviour.md#idempotency).
    if (thrown instanceof ReplayedAnswer) return replayResponse(c, thrown)
    const err = thrown instanceof HTTPException ? fromHttpException(thrown) : asApiError(thrown)
    if (err instanceof ApiError) {
      // A client that sent too much may still be sending: close the connection after the answer, so
      // that its next request is never read from the rest of this body (or lost with the socket).
      if (err.code === 'payload_too_large') c.header('Connection', 'close')
      if (err.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer')
      if (err.code === 'decryption_failed') {
        // The server's keys are wrong, not the request: a fault, logged without the value.
        c.set('fault', true)
        logError(c, {
          error:
            'a stored value did not decrypt: its key is not in EXTENSION_ENCRYPTION_KEY, or it was altered',
        })
      }
      return c.json(errorEnvelope(requestInfo(c), err), err.status)
    }
    const error = new ApiError('internal_error')
    // The client went away (the request's signal is aborted): nobody reads this answer, nothing failed.
    if (c.req.raw.signal?.aborted) return c.json(errorEnvelope(requestInfo(c), error), error.status)
    c.set('fault', true)
    const unavailable = isDatabaseUnavailable(err)
    logError(c, {
      error: unavailable ? 'database unavailable' : 'internal error',
      cause: describeCauses(err),
    })
    if (unavailable) {
      c.header('Retry-After', String(RETRY_AFTER_SECONDS))
      const busy = new ApiError('database_unavailable')
      return c.json(errorEnvelope(requestInfo(c), busy), busy.status)
    }
    return c.json(errorEnvelope(requestInfo(c), error), error.status)
  })

  return app
}

export type App = ReturnType<typeof createApp>

/** `uri` is the path as sent (still percent-encoded: a decoded one could carry control characters). */
function requestInfo(c: { req: { method: string; url: string }; get: (key: 'requestId') => string }) {
  const path = new URL(c.req.url).pathname
  return { method: c.req.method, path, requestId: c.get('requestId') ?? crypto.randomUUID() }
}

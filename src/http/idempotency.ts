import type { Context, MiddlewareHandler } from 'hono'
import type { Statement } from '../db/database'
import { type AnswerJson, recordAnswer, storedAnswer } from '../db/idempotency'
import type { AppEnv } from '../env'
import { nowIso } from '../lib/time'
import { ApiError } from './errors'

/**
 * `Idempotency-Key` on POSTs (docs/behaviour.md#idempotency). The first request's answer is stored in
 * the batch of its write; a retry with the same key and body gets that answer (`Idempotent-Replayed:
 * true`) and writes nothing; the same key with another body or path is 422. Of two concurrent
 * requests with one key, the batch of the second fails on a guard, and it answers the first's answer.
 */
export interface IdempotentRequest {
  key: string
  /** SHA-256 of the method, path and body. */
  fingerprint: string
  /** Set when the handler's batch carries the answer; a POST that answers without it is a bug. */
  recorded: boolean
}

const KEY = /^[\x20-\x7e]{1,255}$/

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

export function idempotency(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('Idempotency-Key')
    if (c.req.method !== 'POST' || key === undefined) return next()
    if (!KEY.test(key) || key.trim() !== key)
      throw new ApiError('invalid_parameter', 'Idempotency-Key must be 1 to 255 printable ASCII characters')
    const request: IdempotentRequest = {
      key,
      fingerprint: await sha256(`POST ${c.req.path}\n${await c.req.text()}`),
      recorded: false,
    }
    c.set('idempotency', request)
    await next()
    if (c.res.status < 300 && !request.recorded && !c.res.headers.has('Idempotent-Replayed'))
      throw new Error('a POST answered without storing its answer for its Idempotency-Key')
  }
}

/**
 * The statements that store this request's answer, for the handler's batch: nothing without an
 * `Idempotency-Key`. `body` may hold SQL computed by the batch (a generated id).
 */
export function rememberAnswer(
  c: Context<AppEnv>,
  answer: { status: number; body?: AnswerJson; location?: string },
): Statement[] {
  const request = c.get('idempotency')
  if (!request) return []
  request.recorded = true
  return recordAnswer(c.get('db'), {
    tenant: c.get('tenant'),
    key: request.key,
    fingerprint: request.fingerprint,
    status: answer.status,
    body: answer.body,
    location: answer.location,
    now: nowIso(),
  })
}

/** An answer given before under this request's key: thrown by the write, answered by `replayResponse`. */
export class ReplayedAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: string | null,
    readonly location: string | null,
  ) {
    super('replayed answer')
    this.name = 'ReplayedAnswer'
  }
}

/** The stored answer of this request's key, as an error to throw; 422 when the key was used for another request. */
export async function replayOf(c: Context<AppEnv>): Promise<ReplayedAnswer> {
  const request = c.get('idempotency') as IdempotentRequest
  const [stored] = await storedAnswer(c.get('db'), c.get('tenant'), request.key, nowIso())
  if (!stored)
    throw new ApiError('metadata_changed', 'the idempotency record changed while the request ran; retry it')
  if (stored.fingerprint !== request.fingerprint) throw new ApiError('idempotency_key_reused')
  return new ReplayedAnswer(stored.status, stored.body, stored.location)
}

export function replayResponse(c: Context<AppEnv>, answer: ReplayedAnswer): Response {
  c.header('Idempotent-Replayed', 'true')
  if (answer.location) c.header('Location', answer.location)
  if (answer.body === null) return c.body(null, answer.status as 204)
  c.header('Content-Type', 'application/json; charset=utf-8')
  return c.body(answer.body, answer.status as 200)
}

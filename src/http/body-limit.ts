import type { MiddlewareHandler } from 'hono'
import { bodyLimit as streamedBodyLimit } from 'hono/body-limit'
import { ApiError } from './errors'

/**
 * The request body limit (`BODY_LIMIT_BYTES`): 413 `payload_too_large` before anything reads it.
 *
 * A body with a `Content-Length` (every client of this API sends one) is judged by that header
 * alone; a chunked body is counted as it streams, by Hono's `bodyLimit`. Hono's middleware alone
 * would read `request.body` for every request, GETs included, and on Node that turns the server's
 * lightweight request into a full web `Request` with a stream: the slowest way to read a body, and
 * the costliest part of a small request (BENCHMARKS.md#where-the-time-goes).
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ApiError('payload_too_large', `the request body is larger than ${maxBytes} bytes`)
  }
  const streamed = streamedBodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return async (c, next) => {
    const method = c.req.method
    // Bodies of these are never read by any route.
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next()
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      // The server refuses a body longer or shorter than its Content-Length, so the header is the size.
      return Number(length) > maxBytes ? tooLarge() : next()
    }
    return streamed(c, next)
  }
}

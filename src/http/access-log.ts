import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from '../env'

/** Where the lines go: `console.log` unless the entry has a cheaper way (see `bootstrap.ts`). */
export type LineWriter = (line: string) => void

/**
 * One line per request, for operators: the route pattern, never the path, query or body (they
 * carry contact keys and customer ids: docs/behaviour.md#personal-data).
 */
export function accessLog(write: LineWriter = console.log): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    write(
      JSON.stringify({
        level: 'info',
        method: c.req.method,
        route: routePath(c, -1),
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        request_id: c.get('requestId'),
        tenant: c.get('tenant'),
      }),
    )
  }
}

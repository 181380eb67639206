import type { Context } from 'hono'

const ALIAS = '/genesys/1/cs'

/** A `Location` under the same prefix the request came in on (docs/behaviour.md#surface). */
export function locationFor(c: Context, path: string): string {
  const prefix = c.req.path === ALIAS || c.req.path.startsWith(`${ALIAS}/`) ? ALIAS : ''
  return `${prefix}${path}`
}

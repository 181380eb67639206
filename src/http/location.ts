import type { Context } from 'hono'
import type { AppEnv } from '../env'

const ALIAS = '/genesys/1/cs'

/** A `Location` under the same prefix the request came in on: `/genesys/1/cs`, `BASE_PATH` or none (docs/behaviour.md#surface). */
export function locationFor(c: Context<AppEnv>, path: string): string {
  const under = (prefix: string | undefined) =>
    prefix !== undefined && (c.req.path === prefix || c.req.path.startsWith(`${prefix}/`))
  const basePath = c.get('config').basePath
  const prefix = under(ALIAS) ? ALIAS : under(basePath) ? basePath : ''
  return `${prefix}${path}`
}

import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { ApiError, type ErrorCode } from './errors'

/** What a read answers: the items, and whether a list (top-level or nested) was cut at the limit. */
export interface ReadResult<T> {
  items: T[]
  truncated: boolean
}

/** A list: its items, with `X-Result-Truncated: true` when cut (docs/behaviour.md#lists). */
export function listJson<T>(c: Context<AppEnv>, { items, truncated }: ReadResult<T>) {
  if (truncated) c.header('X-Result-Truncated', 'true')
  return c.json(items)
}

/** A read by id: its one item (404 with `missing` when none), with the header when a nested list was cut. */
export function itemJson<T>(c: Context<AppEnv>, { items, truncated }: ReadResult<T>, missing: ErrorCode) {
  if (!items.length) throw new ApiError(missing)
  if (truncated) c.header('X-Result-Truncated', 'true')
  return c.json(items[0])
}

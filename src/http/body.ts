import type { Context } from 'hono'
import { hasLoneSurrogate } from '../lib/text'
import { ApiError } from './errors'

export type JsonObject = Record<string, unknown>

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** Walks keys and strings with a stack of its own: a hostile body may nest deeper than the call stack. */
function holdsLoneSurrogate(value: unknown): boolean {
  const pending = [value]
  while (pending.length) {
    const item = pending.pop()
    if (typeof item === 'string') {
      if (hasLoneSurrogate(item)) return true
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (hasLoneSurrogate(key)) return true
        pending.push(child)
      }
    }
  }
  return false
}

async function readJson(c: Context, emptyAs?: unknown): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') {
    if (emptyAs !== undefined) return emptyAs
    throw new ApiError('invalid_json', 'the request body is empty')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ApiError('invalid_json', 'the request body is not valid JSON')
  }
  // A `\uD800` escape without its pair is valid JSON but no text: stored as UTF-8 it would become
  // U+FFFD, and two different values would become one (docs/behaviour.md#event-fields). Decoded
  // UTF-8 holds no lone surrogate, so only a body with a surrogate escape needs the (slower) walk.
  if (SURROGATE_ESCAPE.test(text) && holdsLoneSurrogate(parsed))
    throw new ApiError('invalid_json', 'the request body holds a string with a lone surrogate')
  return parsed
}

/** A JSON object body; an empty body is `{}` where every field is optional (docs/behaviour.md#surface). */
export async function readJsonObject(c: Context, options: { emptyIsObject: boolean }): Promise<JsonObject> {
  const body = await readJson(c, options.emptyIsObject ? {} : undefined)
  if (!isJsonObject(body)) throw new ApiError('invalid_json', 'the request body must be a JSON object')
  return body
}

/** A JSON object or array body (an extension value). */
export async function readJsonValue(c: Context): Promise<unknown> {
  const body = await readJson(c)
  if (typeof body !== 'object' || body === null) {
    throw new ApiError('invalid_json', 'the request body must be a JSON object or array')
  }
  return body
}

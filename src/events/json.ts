import * as v from 'valibot'
import type { EventJson } from '../db/tables'
import { EVENT_KEYS } from './events'

/** A JSON object of a representation. */
export type Json = Record<string, unknown>

/** Event fields in their documented order, whatever order the database kept them in. */
function orderedEvent(event: EventJson): EventJson {
  const ordered: EventJson = {}
  for (const key of EVENT_KEYS) if (event[key] !== undefined) ordered[key] = event[key]
  return ordered
}

export function events(row: { started: EventJson; completed: EventJson | null }) {
  return {
    started: orderedEvent(row.started),
    ...(row.completed ? { completed: orderedEvent(row.completed) } : {}),
  }
}

/** An event as emitted: `timestamp` and the event fields given (docs/behaviour.md#representations). */
export const EventSchema = v.objectWithRest({ timestamp: v.string() }, v.union([v.string(), v.number()]))
/** A "long or string" field as emitted: the JSON type it was sent with. */
export const LongOrStringSchema = v.union([v.number(), v.string()])

import * as v from 'valibot'
import { contactKey, customerId, eventString, longOrString, timestamp, unsignedInteger } from './fields'

/** Fields common to every start and end event (docs/behaviour.md#event-fields), in the order they are emitted. */
export const eventFields = {
  timestamp: v.optional(timestamp),
  session_id: v.optional(eventString(32)),
  interaction_id: v.optional(eventString(50)),
  application_type: v.optional(longOrString),
  application_id: v.optional(unsignedInteger),
  resource_type: v.optional(longOrString),
  resource_id: v.optional(unsignedInteger),
  media_type: v.optional(longOrString),
}

export const endEventFields = {
  ...eventFields,
  disposition: v.optional(longOrString),
  disposition_desc: v.optional(eventString(64)),
}

/** Keys that belong in the `started`/`completed` event objects, in emission order. */
export const EVENT_KEYS = Object.keys(endEventFields) as (keyof typeof endEventFields)[]

export const StartServiceBody = v.pipe(
  v.object({
    ...eventFields,
    customer_id: v.optional(customerId),
    contact_key: v.optional(contactKey),
    service_type: longOrString,
    est_duration: v.optional(unsignedInteger),
  }),
  v.check(
    (body) => body.customer_id !== undefined || body.contact_key !== undefined,
    'customer_id or contact_key is required',
  ),
)

export const EndEventBody = v.object(endEventFields)

/** Associate Service: every Service Start Event field but the owner (docs/behaviour.md#associate-service). */
export const AssociateServiceBody = v.object({
  ...eventFields,
  customer_id: v.optional(customerId),
  service_type: v.optional(longOrString),
  est_duration: v.optional(unsignedInteger),
})

export const StartStateBody = v.object({
  ...eventFields,
  state_type: longOrString,
  previous_state_id: v.optional(unsignedInteger),
  est_duration: v.optional(unsignedInteger),
})

export const StartTaskBody = v.object({
  ...eventFields,
  task_type: longOrString,
  state_id: v.optional(unsignedInteger),
  est_duration: v.optional(unsignedInteger),
})

export const TransitionBody = v.object({
  ...eventFields,
  from: v.strictObject({
    state_id: unsignedInteger,
    disposition: v.optional(longOrString),
    disposition_desc: v.optional(eventString(64)),
  }),
  to: v.strictObject({
    state_type: longOrString,
    est_duration: v.optional(unsignedInteger),
  }),
})

export type EventInput = Partial<Record<(typeof EVENT_KEYS)[number], string | number>>

/** The `started`/`completed` object: event fields only, in a stable order, absent ones omitted. */
export function eventJson(input: EventInput, defaultTimestamp?: string): Record<string, string | number> {
  const event: Record<string, string | number> = {}
  for (const key of EVENT_KEYS) {
    const value = key === 'timestamp' ? (input.timestamp ?? defaultTimestamp) : input[key]
    if (value !== undefined) event[key] = value
  }
  return event
}

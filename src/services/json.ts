import * as v from 'valibot'
import type { services } from '../db/tables'
import { EventSchema, events, type Json, LongOrStringSchema } from '../events/json'
import { StateSchema, TaskSchema } from '../states-tasks/json'

type ServiceRow = typeof services.$inferSelect

export interface ServiceChildren {
  active_states?: Json[]
  completed_states?: Json[]
  active_tasks?: Json[]
  completed_tasks?: Json[]
}

export function serviceJson(
  row: ServiceRow,
  options: { children?: ServiceChildren; extensions?: Json },
): Json {
  return {
    service_id: row.id,
    ...(row.customerId !== null ? { customer_id: row.customerId } : {}),
    ...(row.contactKey !== null ? { contact_key: row.contactKey } : {}),
    service_type: row.serviceType,
    ...(row.estDuration !== null ? { est_duration: row.estDuration } : {}),
    ...events(row),
    ...options.children,
    ...options.extensions,
  }
}

/** A service as emitted, with the lists its flags ask for; extensions are further properties. */
export const ServiceSchema = v.looseObject({
  service_id: v.number(),
  customer_id: v.optional(v.string()),
  contact_key: v.optional(v.string()),
  service_type: LongOrStringSchema,
  est_duration: v.optional(v.number()),
  started: EventSchema,
  completed: v.optional(EventSchema),
  active_states: v.optional(v.array(StateSchema)),
  completed_states: v.optional(v.array(StateSchema)),
  active_tasks: v.optional(v.array(TaskSchema)),
  completed_tasks: v.optional(v.array(TaskSchema)),
})

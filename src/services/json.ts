import type { services } from '../db/tables'
import { events, type Json } from '../events/json'

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

import type { EventJson, ProfileValues, services, states, tasks } from './db/schema'
import type { ProfileMetadata } from './profiles/profile-metadata'
import { EVENT_KEYS } from './schemas/events'

type ServiceRow = typeof services.$inferSelect
type StateRow = typeof states.$inferSelect
type TaskRow = typeof tasks.$inferSelect

/** Event fields in their documented order, whatever order the database kept them in. */
function orderedEvent(event: EventJson): EventJson {
  const ordered: EventJson = {}
  for (const key of EVENT_KEYS) if (event[key] !== undefined) ordered[key] = event[key]
  return ordered
}

function events(row: { started: EventJson; completed: EventJson | null }) {
  return {
    started: orderedEvent(row.started),
    ...(row.completed ? { completed: orderedEvent(row.completed) } : {}),
  }
}

export type Json = Record<string, unknown>

/** A task (docs/behaviour.md#representations); `service_id` only on top-level objects. */
export function taskJson(row: TaskRow, options: { topLevel: boolean; extensions?: Json }): Json {
  return {
    ...(options.topLevel ? { service_id: row.serviceId } : {}),
    task_id: row.id,
    task_type: row.taskType,
    ...(row.stateId !== null ? { state_id: row.stateId } : {}),
    ...(row.estDuration !== null ? { est_duration: row.estDuration } : {}),
    ...events(row),
    ...options.extensions,
  }
}

export interface NestedTasks {
  active_tasks?: Json[]
  completed_tasks?: Json[]
}

export function stateJson(
  row: StateRow,
  options: { topLevel: boolean; tasks?: NestedTasks; extensions?: Json },
): Json {
  return {
    ...(options.topLevel ? { service_id: row.serviceId } : {}),
    state_id: row.id,
    state_type: row.stateType,
    ...(row.previousStateId !== null ? { previous_state_id: row.previousStateId } : {}),
    ...(row.estDuration !== null ? { est_duration: row.estDuration } : {}),
    ...events(row),
    ...options.tasks,
    ...options.extensions,
  }
}

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

/**
 * A profile (docs/behaviour.md#representations): `customer_id`, then every core attribute in schema order (`null` when
 * unset, a scalar for one value, an array for several), then the requested extensions.
 */
export function profileJson(
  customerId: string,
  values: ProfileValues,
  profile: ProfileMetadata,
  extensions?: Json,
): Json {
  // Attribute names are the tenant's: built from entries, `__proto__` is an own key like any other.
  const json = Object.fromEntries([
    ['customer_id', customerId],
    ...profile.attributes.map(({ attribute, key }) => {
      const list = Object.hasOwn(values, key) ? values[key] : undefined
      return [attribute.name, !list?.length ? null : list.length === 1 ? list[0] : list]
    }),
  ])
  return { ...json, ...extensions }
}

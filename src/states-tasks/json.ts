import type { states, tasks } from '../db/tables'
import { events, type Json } from '../events/json'

type StateRow = typeof states.$inferSelect
type TaskRow = typeof tasks.$inferSelect

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

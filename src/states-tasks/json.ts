import * as v from 'valibot'
import type { states, tasks } from '../db/tables'
import { EventSchema, events, type Json, LongOrStringSchema } from '../events/json'

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

/** A task as emitted; extensions named in `extensions=` are further properties. */
export const TaskSchema = v.looseObject({
  service_id: v.optional(v.number()),
  task_id: v.number(),
  task_type: LongOrStringSchema,
  state_id: v.optional(v.number()),
  est_duration: v.optional(v.number()),
  started: EventSchema,
  completed: v.optional(EventSchema),
})

/** A state as emitted, with its tasks when the task flags ask; extensions are further properties. */
export const StateSchema = v.looseObject({
  service_id: v.optional(v.number()),
  state_id: v.number(),
  state_type: LongOrStringSchema,
  previous_state_id: v.optional(v.number()),
  est_duration: v.optional(v.number()),
  started: EventSchema,
  completed: v.optional(EventSchema),
  active_tasks: v.optional(v.array(TaskSchema)),
  completed_tasks: v.optional(v.array(TaskSchema)),
})

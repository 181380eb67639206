import { and, eq, type SQL, sql } from 'drizzle-orm'
import { guard } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { type EventJson, type LongOrString, states, tasks } from '../db/tables'
import { serviceExists, serviceNotCompleted } from '../services/statements'

function thisState(tenant: string, serviceId: number, stateId: number): SQL {
  return and(eq(states.tenant, tenant), eq(states.serviceId, serviceId), eq(states.id, stateId)) as SQL
}

function thisTask(tenant: string, serviceId: number, taskId: number): SQL {
  return and(eq(tasks.tenant, tenant), eq(tasks.serviceId, serviceId), eq(tasks.id, taskId)) as SQL
}

/**
 * Guard: the state is one of this service's states. Addressed in the path, a missing one is 404
 * `state_not_found`; referenced from a body, it is 400 `invalid_state_reference` (docs/behaviour.md#completion).
 */
export function stateOfService(
  tenant: string,
  serviceId: number,
  stateId: number,
  code: 'state_not_found' | 'invalid_state_reference',
): Statement {
  return guard(code, sql`NOT EXISTS (SELECT 1 FROM ${states} WHERE ${thisState(tenant, serviceId, stateId)})`)
}

export function stateNotCompleted(
  tenant: string,
  serviceId: number,
  stateId: number,
  code: 'already_completed' | 'state_completed',
): Statement {
  // A state completed only by the cascade can still be completed explicitly, once; nothing else can
  // start from it (docs/behaviour.md#completion).
  const explicitOnly = code === 'already_completed' ? sql` AND NOT ${states.completedByCascade}` : sql``
  return guard(
    code,
    sql`EXISTS (SELECT 1 FROM ${states} WHERE ${thisState(tenant, serviceId, stateId)} AND ${states.completed} IS NOT NULL${explicitOnly})`,
  )
}

/**
 * Preconditions of starting a state or task in a service: the service exists (404), the referenced
 * state is one of its states (400), and the service is not completed (409) — in that order
 * (docs/behaviour.md#errors, #completion).
 */
export function startGuards(
  tenant: string,
  serviceId: number,
  stateReference: number | undefined,
): Statement[] {
  return [
    serviceExists(tenant, serviceId),
    ...(stateReference !== undefined
      ? [stateOfService(tenant, serviceId, stateReference, 'invalid_state_reference')]
      : []),
    serviceNotCompleted(tenant, serviceId, 'service_completed'),
  ]
}

/** Start State, and the new state of a transition; `insertedId('states')` names it later in the batch. */
export function insertState(
  db: Database,
  tenant: string,
  state: {
    serviceId: number
    stateType: LongOrString
    previousStateId?: number
    estDuration?: number
    started: EventJson
  },
) {
  return db
    .insert(states)
    .values({
      tenant,
      serviceId: state.serviceId,
      stateType: state.stateType,
      previousStateId: state.previousStateId ?? null,
      estDuration: state.estDuration ?? null,
      started: state.started,
    })
    .returning({ id: states.id })
}

/** Start Task; `insertedId('tasks')` names it later in the batch. */
export function insertTask(
  db: Database,
  tenant: string,
  task: {
    serviceId: number
    stateId?: number
    taskType: LongOrString
    estDuration?: number
    started: EventJson
  },
) {
  return db
    .insert(tasks)
    .values({
      tenant,
      serviceId: task.serviceId,
      stateId: task.stateId ?? null,
      taskType: task.taskType,
      estDuration: task.estDuration ?? null,
      started: task.started,
    })
    .returning({ id: tasks.id })
}

export function taskOfService(tenant: string, serviceId: number, taskId: number): Statement {
  return guard(
    'task_not_found',
    sql`NOT EXISTS (SELECT 1 FROM ${tasks} WHERE ${thisTask(tenant, serviceId, taskId)})`,
  )
}

export function taskNotCompleted(tenant: string, serviceId: number, taskId: number): Statement {
  return guard(
    'already_completed',
    sql`EXISTS (SELECT 1 FROM ${tasks} WHERE ${thisTask(tenant, serviceId, taskId)} AND ${tasks.completed} IS NOT NULL AND NOT ${tasks.completedByCascade})`,
  )
}

/**
 * The completion of a state or task: its end event — or, on one completed only by its service's
 * cascade, the cascade's event with the given fields merged in (the cascade's timestamp stays
 * unless the body gave one). Either way it is completed explicitly afterwards (docs/behaviour.md#completion).
 */
function completion(table: typeof states | typeof tasks, event: EndEvent) {
  return {
    completed: sql`CASE WHEN ${table.completed} IS NULL THEN ${JSON.stringify(event.full)} ELSE json_patch(${table.completed}, ${JSON.stringify(event.given)}) END`,
    completedByCascade: false,
  }
}

/** An end event: `full` as it is stored on a first completion, `given` only the fields the body gave. */
export interface EndEvent {
  full: EventJson
  given: EventJson
}

export function completeState(
  db: Database,
  tenant: string,
  serviceId: number,
  stateId: number,
  event: EndEvent,
) {
  return db
    .update(states)
    .set(completion(states, event))
    .where(thisState(tenant, serviceId, stateId))
}

export function completeTask(
  db: Database,
  tenant: string,
  serviceId: number,
  taskId: number,
  event: EndEvent,
) {
  return db
    .update(tasks)
    .set(completion(tasks, event))
    .where(thisTask(tenant, serviceId, taskId))
}

/**
 * Values a type filter token matches: `7` matches the integer 7 and the string "7"; any other token
 * matches that string (docs/behaviour.md#event-fields: types keep the JSON type they were sent with).
 */

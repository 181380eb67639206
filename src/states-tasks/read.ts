import { and, desc, eq, inArray, type SQL } from 'drizzle-orm'
import { recordsQuery } from '../db/extension-records'
import { completionFilter, nestedLists, newestPerList } from '../db/lists'
import { readWithMetadata } from '../db/metadata'
import { type LongOrString, services, states, tasks } from '../db/tables'
import type { RequestScope } from '../env'
import type { Json } from '../events/json'
import { emittedExtensions } from '../extension-schemas/encryption'
import { ApiError } from '../http/errors'
import { requestedExtensions } from '../http/query'
import type { ServiceFilter } from '../services/read'
import { thisService } from '../services/statements'
import { stateJson, taskJson } from './json'

export function typeCandidates(tokens: string[]): LongOrString[] {
  return tokens.flatMap((token) => (/^-?\d{1,15}$/.test(token) ? [Number(token), token] : [token]))
}

export interface StateQuery {
  serviceId: number
  stateId?: number
  filter: ServiceFilter
  types: string[]
  activeTasks: boolean
  completedTasks: boolean
  extensions: string[]
}

/**
 * States of one service with their tasks and extensions, in one batch (one round trip). A missing
 * service is 404; a missing state (when `stateId` is given) answers an empty list.
 */
export async function readStates(
  scope: RequestScope,
  query: StateQuery,
  limit: number,
): Promise<{ items: Json[]; truncated: boolean }> {
  const { db, tenant } = scope
  const where = and(
    eq(states.tenant, tenant),
    eq(states.serviceId, query.serviceId),
    query.stateId !== undefined ? eq(states.id, query.stateId) : undefined,
    completionFilter(states.completed, query.filter),
    query.types.length ? inArray(states.stateType, typeCandidates(query.types)) : undefined,
  )
  const ids = db
    .select({ id: states.id })
    .from(states)
    .where(where)
    .orderBy(desc(states.id))
    .limit(limit + 1)
  const wantTasks = query.activeTasks || query.completedTasks
  const extensionKeys = query.extensions.map((name) => name.toLowerCase())

  const owners = query.stateId !== undefined ? [query.stateId] : ids
  const { metadata, rows: read } = await readWithMetadata(db, tenant, {
    service: db.select({ id: services.id }).from(services).where(thisService(tenant, query.serviceId)),
    states: db
      .select()
      .from(states)
      .where(where)
      .orderBy(desc(states.id))
      .limit(limit + 1),
    tasks: wantTasks
      ? db
          .select()
          .from(tasks)
          .where(
            newestPerList(
              tasks,
              tasks.stateId,
              and(
                eq(tasks.tenant, tenant),
                eq(tasks.serviceId, query.serviceId),
                inArray(tasks.stateId, owners),
              ) as SQL,
              limit,
            ),
          )
          .orderBy(tasks.id)
      : undefined,
    records: extensionKeys.length ? recordsQuery(db, tenant, 'state', owners, extensionKeys) : undefined,
  })
  const requested = requestedExtensions(metadata, 'state', query.extensions)
  if (!read.service.length) throw new ApiError('service_not_found')
  const stateList = read.states
  const taskList = read.tasks ?? []
  const recordRows = read.records ?? []
  const extensionsOf = await emittedExtensions(scope, 'state', recordRows, requested)
  const rows = stateList.slice(0, limit).reverse()
  const tasksOf = nestedLists(taskList, (t) => t.stateId, limit)
  const items = rows.map((row) => {
    const nested: Record<string, Json[]> = {}
    if (wantTasks) {
      const { active, completed } = tasksOf.of(row.id)
      const task = (t: (typeof taskList)[number]) => taskJson(t, { topLevel: false })
      if (query.activeTasks) nested.active_tasks = active.map(task)
      if (query.completedTasks) nested.completed_tasks = completed.map(task)
    }
    return stateJson(row, { topLevel: true, tasks: nested, extensions: extensionsOf(row.id) })
  })
  return { items, truncated: stateList.length > limit || tasksOf.truncated }
}

export interface TaskQuery {
  serviceId: number
  taskId?: number
  filter: ServiceFilter
  types: string[]
  stateId?: number
  extensions: string[]
}

/** Tasks of one service with their extensions, in one batch (one round trip). */
export async function readTasks(
  scope: RequestScope,
  query: TaskQuery,
  limit: number,
): Promise<{ items: Json[]; truncated: boolean }> {
  const { db, tenant } = scope
  const where = and(
    eq(tasks.tenant, tenant),
    eq(tasks.serviceId, query.serviceId),
    query.taskId !== undefined ? eq(tasks.id, query.taskId) : undefined,
    query.stateId !== undefined ? eq(tasks.stateId, query.stateId) : undefined,
    completionFilter(tasks.completed, query.filter),
    query.types.length ? inArray(tasks.taskType, typeCandidates(query.types)) : undefined,
  )
  const ids = db
    .select({ id: tasks.id })
    .from(tasks)
    .where(where)
    .orderBy(desc(tasks.id))
    .limit(limit + 1)
  const extensionKeys = query.extensions.map((name) => name.toLowerCase())

  const owners = query.taskId !== undefined ? [query.taskId] : ids
  const { metadata, rows: read } = await readWithMetadata(db, tenant, {
    service: db.select({ id: services.id }).from(services).where(thisService(tenant, query.serviceId)),
    tasks: db
      .select()
      .from(tasks)
      .where(where)
      .orderBy(desc(tasks.id))
      .limit(limit + 1),
    records: extensionKeys.length ? recordsQuery(db, tenant, 'task', owners, extensionKeys) : undefined,
  })
  const requested = requestedExtensions(metadata, 'task', query.extensions)
  if (!read.service.length) throw new ApiError('service_not_found')
  const taskList = read.tasks
  const recordRows = read.records ?? []
  const extensionsOf = await emittedExtensions(scope, 'task', recordRows, requested)
  const items = taskList
    .slice(0, limit)
    .reverse()
    .map((row) => taskJson(row, { topLevel: true, extensions: extensionsOf(row.id) }))
  return { items, truncated: taskList.length > limit }
}

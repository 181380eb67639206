import { and, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import { recordsQuery } from '../db/extension-records'
import { type CompletionFilter, completionFilter, nestedLists, newestPerList } from '../db/lists'
import { readWithMetadata } from '../db/metadata'
import { prepared } from '../db/prepared'
import { services, states, tasks } from '../db/tables'
import type { RequestScope } from '../env'
import type { Json } from '../events/json'
import { emittedExtensions } from '../extension-schemas/encryption'
import type { ServiceReadOptions } from '../http/query'
import { requestedExtensions } from '../http/query'
import { stateJson, taskJson } from '../states-tasks/json'
import { serviceJson } from './json'
import { thisService } from './statements'

export type ServiceFilter = CompletionFilter

const serviceById = prepared<{ tenant: string; id: number }, (typeof services.$inferSelect)[]>((db, slot) =>
  db
    .select()
    .from(services)
    .where(and(eq(services.tenant, slot('tenant')), eq(services.id, slot('id')))),
)

const statesOfService = prepared<
  { tenant: string; serviceId: number; limit: number },
  (typeof states.$inferSelect)[]
>((db, slot) =>
  db
    .select()
    .from(states)
    .where(
      newestPerList(
        states,
        states.serviceId,
        and(eq(states.tenant, slot('tenant')), eq(states.serviceId, slot('serviceId'))) as SQL,
        slot('limit'),
      ),
    )
    .orderBy(states.id),
)

/** Which services a read selects. */
export type ServiceSelection =
  | { by: 'id'; id: number }
  | { by: 'customer'; customerId: string; filter: ServiceFilter; started?: StartedBounds }
  | { by: 'contact_key'; contactKey: string; filter: ServiceFilter; started?: StartedBounds }

/** Bounds of `started.timestamp` (UTC text with milliseconds: text order is time order). */
export interface StartedBounds {
  from?: string
  to?: string
}

function startedWithin(bounds: StartedBounds | undefined): SQL | undefined {
  const started = sql`json_extract(${services.started}, '$.timestamp')`
  return and(
    bounds?.from === undefined ? undefined : sql`${started} >= ${bounds.from}`,
    bounds?.to === undefined ? undefined : sql`${started} <= ${bounds.to}`,
  )
}

function selectionWhere(tenant: string, selection: ServiceSelection): SQL {
  switch (selection.by) {
    case 'id':
      return thisService(tenant, selection.id)
    case 'customer':
      return and(
        eq(services.tenant, tenant),
        eq(services.customerId, selection.customerId),
        completionFilter(services.completed, selection.filter),
        startedWithin(selection.started),
      ) as SQL
    case 'contact_key':
      // Anonymous services only: an associated service leaves the anonymous list (docs/behaviour.md#associate-service).
      return and(
        eq(services.tenant, tenant),
        eq(services.contactKey, selection.contactKey),
        isNull(services.customerId),
        completionFilter(services.completed, selection.filter),
        startedWithin(selection.started),
      ) as SQL
  }
}

/**
 * Reads services with what the flags ask for, in one batch (one round trip): metadata, the services
 * (the most recent `limit`), their states, tasks and requested extension records.
 */
export async function readServices(
  scope: RequestScope,
  selection: ServiceSelection,
  options: ServiceReadOptions,
  limit: number,
): Promise<{ items: Json[]; truncated: boolean }> {
  const { db, tenant } = scope
  // A single service is read with prepared statements and needs no subquery to find its children:
  // nothing else is built (building a Drizzle query costs CPU).
  const id = selection.by === 'id' ? selection.id : undefined
  const where = id === undefined ? selectionWhere(tenant, selection) : undefined
  const owners =
    id !== undefined
      ? [id]
      : db
          .select({ id: services.id })
          .from(services)
          .where(where)
          .orderBy(desc(services.id))
          .limit(limit + 1)
  const wantStates = options.active_states || options.completed_states
  const wantTasks = options.active_tasks || options.completed_tasks
  const extensionKeys = options.extensions.map((name) => name.toLowerCase())

  const { metadata, rows: read } = await readWithMetadata(db, tenant, {
    // One service by id, its states: the statements of every call step, prepared once.
    services:
      id !== undefined
        ? serviceById({ tenant, id })
        : db
            .select()
            .from(services)
            .where(where)
            .orderBy(desc(services.id))
            .limit(limit + 1),
    states: !wantStates
      ? undefined
      : id !== undefined
        ? statesOfService({ tenant, serviceId: id, limit })
        : db
            .select()
            .from(states)
            .where(
              newestPerList(
                states,
                states.serviceId,
                and(eq(states.tenant, tenant), inArray(states.serviceId, owners)) as SQL,
                limit,
              ),
            )
            .orderBy(states.id),
    tasks: wantTasks
      ? db
          .select()
          .from(tasks)
          .where(
            newestPerList(
              tasks,
              tasks.serviceId,
              and(eq(tasks.tenant, tenant), inArray(tasks.serviceId, owners)) as SQL,
              limit,
            ),
          )
          .orderBy(tasks.id)
      : undefined,
    records: extensionKeys.length ? recordsQuery(db, tenant, 'service', owners, extensionKeys) : undefined,
  })
  const requested = requestedExtensions(metadata, 'service', options.extensions)
  const serviceRows = read.services
  const stateList = read.states ?? []
  const taskList = read.tasks ?? []
  const recordRows = read.records ?? []
  const rows = serviceRows.slice(0, limit).reverse()
  const extensionsOf = await emittedExtensions(scope, 'service', recordRows, requested)
  const statesOf = nestedLists(stateList, (s) => s.serviceId, limit)
  const tasksOf = nestedLists(taskList, (t) => t.serviceId, limit)

  const items = rows.map((row) => {
    const children: Record<string, Json[]> = {}
    if (wantStates) {
      const { active, completed } = statesOf.of(row.id)
      const nested = (s: (typeof stateList)[number]) => stateJson(s, { topLevel: false })
      if (options.active_states) children.active_states = active.map(nested)
      if (options.completed_states) children.completed_states = completed.map(nested)
    }
    if (wantTasks) {
      const { active, completed } = tasksOf.of(row.id)
      const nested = (t: (typeof taskList)[number]) => taskJson(t, { topLevel: false })
      if (options.active_tasks) children.active_tasks = active.map(nested)
      if (options.completed_tasks) children.completed_tasks = completed.map(nested)
    }
    return serviceJson(row, { children, extensions: extensionsOf(row.id) })
  })
  return { items, truncated: serviceRows.length > limit || statesOf.truncated || tasksOf.truncated }
}

import { and, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import { type GuardSlot, preparedGuard } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { deleteOwnerRecords } from '../db/extension-records'
import { prepared } from '../db/prepared'
import { type EventJson, type LongOrString, services, states, tasks } from '../db/tables'

export function thisService(tenant: string, id: number): SQL {
  return and(eq(services.tenant, tenant), eq(services.id, id)) as SQL
}

type ServiceKey = { tenant: string; id: number }

const exists = preparedGuard<ServiceKey>(
  'service_not_found',
  (slot) =>
    sql`NOT EXISTS (SELECT 1 FROM ${services} WHERE ${services.tenant} = ${slot('tenant')} AND ${services.id} = ${slot('id')})`,
)

const completedSql = (slot: GuardSlot<ServiceKey>) =>
  sql`EXISTS (SELECT 1 FROM ${services} WHERE ${services.tenant} = ${slot('tenant')} AND ${services.id} = ${slot('id')} AND ${services.completed} IS NOT NULL)`
const notCompleted = {
  already_completed: preparedGuard<ServiceKey>('already_completed', completedSql),
  service_completed: preparedGuard<ServiceKey>('service_completed', completedSql),
}

/** Guards: the service exists in this tenant (404), and is not completed (409 with `code`). */
export function serviceExists(tenant: string, id: number): Statement {
  return exists({ tenant, id })
}

export function serviceNotCompleted(
  tenant: string,
  id: number,
  code: 'already_completed' | 'service_completed',
): Statement {
  return notCompleted[code]({ tenant, id })
}

/** Deletes a service with its states, tasks and all their extension records. */
export function deleteServiceStatements(
  db: Database,
  tenant: string,
  serviceIds: number[] | SQLWrapper,
): Statement[] {
  const stateIds = db
    .select({ id: states.id })
    .from(states)
    .where(and(eq(states.tenant, tenant), inArray(states.serviceId, serviceIds)))
  const taskIds = db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.tenant, tenant), inArray(tasks.serviceId, serviceIds)))
  return [
    deleteOwnerRecords(db, tenant, 'task', taskIds),
    deleteOwnerRecords(db, tenant, 'state', stateIds),
    deleteOwnerRecords(db, tenant, 'service', serviceIds),
    db.delete(tasks).where(and(eq(tasks.tenant, tenant), inArray(tasks.serviceId, serviceIds))),
    db.delete(states).where(and(eq(states.tenant, tenant), inArray(states.serviceId, serviceIds))),
    db.delete(services).where(and(eq(services.tenant, tenant), inArray(services.id, serviceIds))),
  ]
}

/** Start Service: the new service; `insertedId('services')` names it later in the same batch. */
export function insertService(
  tenant: string,
  service: {
    customerId?: string
    contactKey?: string
    serviceType: LongOrString
    estDuration?: number
    started: EventJson
  },
) {
  return newService({
    tenant,
    customerId: service.customerId ?? null,
    contactKey: service.contactKey ?? null,
    serviceType: service.serviceType,
    estDuration: service.estDuration ?? null,
    started: service.started,
  })
}

const newService = prepared<typeof services.$inferInsert, { id: number }[]>((db, slot) =>
  db
    .insert(services)
    .values({
      tenant: slot('tenant'),
      customerId: slot('customerId'),
      contactKey: slot('contactKey'),
      serviceType: slot('serviceType'),
      estDuration: slot('estDuration'),
      started: slot('started'),
    })
    .returning({ id: services.id }),
)

/**
 * Complete Service. The trigger `services_cascade_completion` (drizzle/0003) completes the service's
 * active states and tasks inside this very UPDATE (docs/behaviour.md#completion).
 */
export function completeService(tenant: string, id: number, completed: EventJson): Statement {
  return completion({ tenant, id, completed })
}

const completion = prepared<ServiceKey & { completed: EventJson }, unknown>((db, slot) =>
  db
    .update(services)
    // Drizzle encodes a placeholder with its column's encoder (JSON here); its `set` types omit them.
    .set({ completed: slot('completed') as unknown as EventJson })
    .where(and(eq(services.tenant, slot('tenant')), eq(services.id, slot('id')))),
)

/**
 * Associate Service: the service moves to `customerId`; the given type and duration replace the
 * stored ones, and the given event fields are merged into `started` (json_patch keeps the others).
 */
export function associateService(
  db: Database,
  tenant: string,
  id: number,
  change: { customerId: string; serviceType?: LongOrString; estDuration?: number; startedPatch?: EventJson },
): Statement {
  return db
    .update(services)
    .set({
      customerId: change.customerId,
      ...(change.serviceType !== undefined ? { serviceType: change.serviceType } : {}),
      ...(change.estDuration !== undefined ? { estDuration: change.estDuration } : {}),
      ...(change.startedPatch
        ? { started: sql`json_patch(${services.started}, ${JSON.stringify(change.startedPatch)})` }
        : {}),
    })
    .where(thisService(tenant, id))
}

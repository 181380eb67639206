import type { Context } from 'hono'
import { runBatch } from '../db/batch'
import type { Database, Statement } from '../db/database'
import { replaceExtensions } from '../db/extension-records'
import { metadataGuards, writeWithMetadata } from '../db/metadata'
import type { AppEnv } from '../env'
import { parseEventBody, parseExtensionWrite } from '../events/event-body'
import { EndEventBody, eventJson } from '../events/events'
import type { Json } from '../events/json'
import { readJsonObject, readJsonValue } from '../http/body'
import { parseId } from '../http/query'
import { nowIso } from '../lib/time'
import { serviceExists } from '../services/statements'
import {
  completeState,
  completeTask,
  stateNotCompleted,
  stateOfService,
  taskNotCompleted,
  taskOfService,
} from './statements'

/** What differs between a service's states and its tasks when they are completed or extended. */
interface Child {
  kind: 'state' | 'task'
  /** Guard: the child is one of the service's (404 otherwise). */
  exists(tenant: string, serviceId: number, id: number): Statement
  /** Guard: the child is not completed yet (409 `already_completed`). */
  notCompleted(tenant: string, serviceId: number, id: number): Statement
  complete(db: Database, tenant: string, serviceId: number, id: number, completed: Json): Statement
}

export const STATE: Child = {
  kind: 'state',
  exists: (tenant, serviceId, id) => stateOfService(tenant, serviceId, id, 'state_not_found'),
  notCompleted: (tenant, serviceId, id) => stateNotCompleted(tenant, serviceId, id, 'already_completed'),
  complete: completeState,
}

export const TASK: Child = {
  kind: 'task',
  exists: taskOfService,
  notCompleted: taskNotCompleted,
  complete: completeTask,
}

function ids(c: Context<AppEnv>, child: Child) {
  return {
    serviceId: parseId(c.req.param('id'), 'service_id'),
    id: parseId(c.req.param(`${child.kind}_id`), `${child.kind}_id`),
  }
}

/** `POST /services/{id}/{states|tasks}/{child_id}/end` → 204 (a state's tasks stay active: 5.8). */
export function completeChild(child: Child) {
  return async (c: Context<AppEnv>) => {
    const { db, tenant } = c.var
    const { serviceId, id } = ids(c, child)
    const body = await readJsonObject(c, { emptyIsObject: true })
    await writeWithMetadata(db, tenant, async (metadata) => {
      metadata.assertProduction()
      const fields = Object.keys(EndEventBody.entries)
      const { fields: event, extensions } = parseEventBody(body, fields, EndEventBody, metadata, child.kind)
      await runBatch(db, [
        ...metadataGuards(tenant, metadata, { requireProduction: true }),
        serviceExists(tenant, serviceId),
        child.exists(tenant, serviceId, id),
        child.notCompleted(tenant, serviceId, id),
        child.complete(db, tenant, serviceId, id, eventJson(event, nowIso())),
        ...replaceExtensions(db, tenant, child.kind, id, extensions),
      ])
    })
    return c.body(null, 204)
  }
}

/** `PUT /services/{id}/{states|tasks}/{child_id}/extensions/{name}` → 204, also when completed. */
export function putChildExtension(child: Child) {
  return async (c: Context<AppEnv>) => {
    const { db, tenant } = c.var
    const { serviceId, id } = ids(c, child)
    const value = await readJsonValue(c)
    await writeWithMetadata(db, tenant, async (metadata) => {
      metadata.assertProduction()
      const write = parseExtensionWrite(metadata, child.kind, c.req.param('name') ?? '', value)
      await runBatch(db, [
        ...metadataGuards(tenant, metadata, { requireProduction: true }),
        serviceExists(tenant, serviceId),
        child.exists(tenant, serviceId, id),
        ...replaceExtensions(db, tenant, child.kind, id, [write]),
      ])
    })
    return c.body(null, 204)
  }
}

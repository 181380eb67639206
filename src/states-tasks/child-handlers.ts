import type { Context } from 'hono'
import * as v from 'valibot'
import type { Database, Statement } from '../db/database'
import { type AppEnv, requestScope } from '../env'
import { parseEventBody, parseExtensionWrite } from '../events/event-body'
import { EndEventBody, eventJson } from '../events/events'
import { extensionStatements } from '../extension-schemas/encryption'
import { readJsonObject, readJsonValue } from '../http/body'
import { rememberAnswer } from '../http/idempotency'
import { EVENT_BODY, EXTENSION_VALUE, operation, WRITE_ERRORS } from '../http/openapi'
import { writeBatch } from '../http/write'
import { nowIso } from '../lib/time'
import { serviceExists } from '../services/statements'
import {
  completeState,
  completeTask,
  type EndEvent,
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
  /** Guard: the child is not completed yet, or only by its service's cascade (409 `already_completed`). */
  notCompleted(tenant: string, serviceId: number, id: number): Statement
  complete(db: Database, tenant: string, serviceId: number, id: number, event: EndEvent): Statement
}

const END_FIELDS = Object.keys(EndEventBody.entries)

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

/** The handlers below run after `childParam(kind)`, which validated the ids. */
type ChildContext = Context<AppEnv, string, { out: { param: { serviceId: number; childId: number } } }>

/** Complete State / Complete Task → 204 (a state's tasks stay active: docs/behaviour.md#completion). */
export function completeChild(child: Child) {
  return async (c: ChildContext) => {
    const { db, tenant } = requestScope(c)
    const { serviceId, childId: id } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    await writeBatch(c, { data: true }, async (metadata) => {
      const { fields: event, extensions } = parseEventBody(
        body,
        END_FIELDS,
        EndEventBody,
        metadata,
        child.kind,
      )
      return {
        guards: [
          serviceExists(tenant, serviceId),
          child.exists(tenant, serviceId, id),
          child.notCompleted(tenant, serviceId, id),
        ],
        complete: child.complete(db, tenant, serviceId, id, {
          full: eventJson(event, nowIso()),
          given: eventJson(event),
        }),
        extensions: await extensionStatements(requestScope(c), child.kind, id, extensions),
        answer: rememberAnswer(c, { status: 204 }),
      }
    })
    return c.body(null, 204)
  }
}

/** Update State Extension / Update Task Extension → 204, also when completed. */
export function putChildExtension(child: Child) {
  return async (c: ChildContext) => {
    const tenant = c.get('tenant')
    const { serviceId, childId: id } = c.req.valid('param')
    const value = await readJsonValue(c)
    await writeBatch(c, { data: true }, async (metadata) => ({
      guards: [serviceExists(tenant, serviceId), child.exists(tenant, serviceId, id)],
      extensions: await extensionStatements(requestScope(c), child.kind, id, [
        parseExtensionWrite(metadata, child.kind, c.req.param('name') ?? '', value),
      ]),
    }))
    return c.body(null, 204)
  }
}

const titles = { state: 'State', task: 'Task' } as const

/** Complete State / Complete Task, as the contract describes them. */
export function completeOperation(child: Child) {
  const title = titles[child.kind]
  const path = `/services/:id/${child.kind}s/:${child.kind}_id/end`
  return operation(path, {
    id: `complete${title}`,
    idempotent: true,
    summary: `Complete ${title}`,
    tag: `${title}s`,
    data: true,
    description:
      'A state’s tasks stay active. One completed only by its service’s cascade accepts one explicit completion, which records its end event (docs/behaviour.md#completion).',
    body: { schema: EndEventBody, description: EVENT_BODY },
    success: { status: 204, description: 'completed' },
    errors: [...WRITE_ERRORS, 'service_not_found', `${child.kind}_not_found`, 'already_completed'],
  })
}

/** Update State Extension / Update Task Extension, as the contract describes them. */
export function extensionOperation(child: Child) {
  const title = titles[child.kind]
  const path = `/services/:id/${child.kind}s/:${child.kind}_id/extensions/:name`
  return operation(path, {
    id: `update${title}Extension`,
    summary: `Update ${title} Extension`,
    tag: `${title}s`,
    data: true,
    body: { schema: v.unknown(), description: EXTENSION_VALUE },
    success: { status: 204, description: 'replaced (also on a completed item)' },
    errors: [...WRITE_ERRORS, 'unknown_extension', 'service_not_found', `${child.kind}_not_found`],
  })
}

import { Hono } from 'hono'
import { insertedId, runBatch } from '../db/batch'
import { replaceExtensions } from '../db/extension-records'
import { metadataGuards, writeWithMetadata } from '../db/metadata'
import { tasks } from '../db/schema'
import { serviceExists } from '../db/services'
import { completeTask, readTasks, startGuards, taskNotCompleted, taskOfService } from '../db/states-tasks'
import type { AppEnv } from '../env'
import { parseEventBody, parseExtensionWrite } from '../extensions/body'
import { readJsonObject, readJsonValue } from '../lib/body'
import { ApiError } from '../lib/errors'
import { nowIso } from '../lib/time'
import { EndEventBody, eventJson, StartTaskBody } from '../schemas/events'
import { parseId, parseQuery, TaskReadQuery } from '../schemas/query'

const START_FIELDS = Object.keys(StartTaskBody.entries)
const END_FIELDS = Object.keys(EndEventBody.entries)

export const taskRoutes = new Hono<AppEnv>()

function notFoundMessages(serviceId: number, taskId?: number) {
  return {
    service_not_found: `service ${serviceId} does not exist`,
    ...(taskId !== undefined
      ? { task_not_found: `task ${taskId} of service ${serviceId} does not exist` }
      : {}),
  }
}

/** A task may start in a completed state, not in a completed service (decisions 5.7). */
taskRoutes.post('/services/:id/tasks/start', async (c) => {
  const { db, tenant } = c.var
  const serviceId = parseId(c.req.param('id'), 'service_id')
  const body = await readJsonObject(c, { emptyIsObject: true })
  const taskId = await writeWithMetadata(db, tenant, async (metadata) => {
    metadata.assertProduction()
    const { fields, extensions } = parseEventBody(body, START_FIELDS, StartTaskBody, metadata, 'task')
    const guards = startGuards(tenant, metadata, serviceId, fields.state_id)
    const results = await runBatch(
      db,
      [
        ...guards,
        db
          .insert(tasks)
          .values({
            tenant,
            serviceId,
            stateId: fields.state_id ?? null,
            taskType: fields.task_type,
            estDuration: fields.est_duration ?? null,
            started: eventJson(fields, nowIso()),
          })
          .returning({ id: tasks.id }),
        ...replaceExtensions(db, tenant, 'task', insertedId('tasks'), extensions, { ownerIsNew: true }),
      ],
      notFoundMessages(serviceId),
    )
    return (results[guards.length] as { id: number }[])[0].id
  })
  return c.json({ task_id: taskId })
})

taskRoutes.post('/services/:id/tasks/:task_id/end', async (c) => {
  const { db, tenant } = c.var
  const serviceId = parseId(c.req.param('id'), 'service_id')
  const taskId = parseId(c.req.param('task_id'), 'task_id')
  const body = await readJsonObject(c, { emptyIsObject: true })
  await writeWithMetadata(db, tenant, async (metadata) => {
    metadata.assertProduction()
    const { fields, extensions } = parseEventBody(body, END_FIELDS, EndEventBody, metadata, 'task')
    await runBatch(
      db,
      [
        ...metadataGuards(tenant, metadata, { requireProduction: true }),
        serviceExists(tenant, serviceId),
        taskOfService(tenant, serviceId, taskId),
        taskNotCompleted(tenant, serviceId, taskId),
        completeTask(db, tenant, serviceId, taskId, eventJson(fields, nowIso())),
        ...replaceExtensions(db, tenant, 'task', taskId, extensions),
      ],
      notFoundMessages(serviceId, taskId),
    )
  })
  return c.body(null, 204)
})

taskRoutes.put('/services/:id/tasks/:task_id/extensions/:name', async (c) => {
  const { db, tenant } = c.var
  const serviceId = parseId(c.req.param('id'), 'service_id')
  const taskId = parseId(c.req.param('task_id'), 'task_id')
  const value = await readJsonValue(c)
  await writeWithMetadata(db, tenant, async (metadata) => {
    metadata.assertProduction()
    const write = parseExtensionWrite(metadata, 'task', c.req.param('name'), value)
    await runBatch(
      db,
      [
        ...metadataGuards(tenant, metadata, { requireProduction: true }),
        serviceExists(tenant, serviceId),
        taskOfService(tenant, serviceId, taskId),
        ...replaceExtensions(db, tenant, 'task', taskId, [write]),
      ],
      notFoundMessages(serviceId, taskId),
    )
  })
  return c.body(null, 204)
})

for (const [suffix, filter] of [
  ['', 'all'],
  ['/active', 'active'],
  ['/completed', 'completed'],
] as const) {
  taskRoutes.get(`/services/:id/tasks${suffix}`, async (c) => {
    const serviceId = parseId(c.req.param('id'), 'service_id')
    const query = parseQuery(TaskReadQuery, c.req.query())
    const { items, truncated } = await readTasks(
      c.var.db,
      c.var.tenant,
      { serviceId, filter, types: query.task_types, stateId: query.state_id, extensions: query.extensions },
      c.var.config.listLimit,
    )
    if (truncated) c.header('X-Result-Truncated', 'true')
    return c.json(items)
  })
}

taskRoutes.get('/services/:id/tasks/:task_id', async (c) => {
  const serviceId = parseId(c.req.param('id'), 'service_id')
  const taskId = parseId(c.req.param('task_id'), 'task_id')
  const query = parseQuery(TaskReadQuery, c.req.query())
  const { items } = await readTasks(
    c.var.db,
    c.var.tenant,
    { serviceId, taskId, filter: 'all', types: [], extensions: query.extensions },
    1,
  )
  if (!items.length)
    throw new ApiError('task_not_found', `task ${taskId} of service ${serviceId} does not exist`)
  return c.json(items[0])
})

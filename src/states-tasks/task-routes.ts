import { Hono } from 'hono'
import * as v from 'valibot'
import { insertedId } from '../db/batch'
import { type AppEnv, requestScope } from '../env'
import { parseEventBody } from '../events/event-body'
import { eventJson, StartTaskBody } from '../events/events'
import { extensionStatements } from '../extension-schemas/encryption'
import { readJsonObject } from '../http/body'
import { rememberAnswer } from '../http/idempotency'
import { itemJson, listJson } from '../http/lists'
import { EVENT_BODY, operation, operationId, WRITE_ERRORS } from '../http/openapi'
import { childParam, queryOf, serviceParam } from '../http/params'
import { TaskReadQuery } from '../http/query'
import { writeBatch } from '../http/write'
import { nowIso } from '../lib/time'
import {
  completeChild,
  completeOperation,
  extensionOperation,
  putChildExtension,
  TASK,
} from './child-handlers'
import { TaskSchema } from './json'
import { readTasks } from './read'
import { insertTask, startGuards } from './statements'

const START_FIELDS = Object.keys(StartTaskBody.entries)

export const taskRoutes = new Hono<AppEnv>()

// Start Task: a task may start in a completed state, not in a completed service (docs/behaviour.md#completion).
taskRoutes.post(
  '/services/:id/tasks/start',
  operation('/services/:id/tasks/start', {
    idempotent: true,
    id: 'startTask',
    summary: 'Start Task',
    tag: 'Tasks',
    data: true,
    body: { schema: StartTaskBody, description: EVENT_BODY },
    success: { status: 200, description: 'the new task', schema: v.object({ task_id: v.number() }) },
    errors: [...WRITE_ERRORS, 'service_not_found', 'invalid_state_reference', 'service_completed'],
  }),
  serviceParam,
  async (c) => {
    const { db, tenant } = requestScope(c)
    const { serviceId } = c.req.valid('param')
    const body = await readJsonObject(c, { emptyIsObject: true })
    const { results } = await writeBatch(c, { data: true }, async (metadata) => {
      const { fields, extensions } = parseEventBody(body, START_FIELDS, StartTaskBody, metadata, 'task')
      return {
        guards: startGuards(tenant, serviceId, fields.state_id),
        task: insertTask(db, tenant, {
          serviceId,
          stateId: fields.state_id,
          taskType: fields.task_type,
          estDuration: fields.est_duration,
          started: eventJson(fields, nowIso()),
        }),
        extensions: await extensionStatements(requestScope(c), 'task', insertedId('tasks'), extensions, {
          ownerIsNew: true,
        }),
        answer: rememberAnswer(c, { status: 200, body: { task_id: insertedId('tasks') } }),
      }
    })
    return c.json({ task_id: results.task[0].id })
  },
)

// Complete Task
taskRoutes.post(
  '/services/:id/tasks/:task_id/end',
  completeOperation(TASK),
  childParam('task'),
  completeChild(TASK),
)

// Update Task Extension
taskRoutes.put(
  '/services/:id/tasks/:task_id/extensions/:name',
  extensionOperation(TASK),
  childParam('task'),
  putChildExtension(TASK),
)

for (const [suffix, filter] of [
  ['', 'all'],
  ['/active', 'active'],
  ['/completed', 'completed'],
] as const) {
  const summary = `Query ${filter === 'all' ? '' : filter === 'active' ? 'Active ' : 'Completed '}Tasks`
  const path = `/services/:id/tasks${suffix}`
  const described = operation(path, {
    id: operationId(summary),
    summary,
    tag: 'Tasks',
    data: true,
    query: TaskReadQuery,
    success: {
      status: 200,
      description: 'the tasks, oldest first (at most LIST_LIMIT)',
      schema: v.array(TaskSchema),
    },
    errors: ['invalid_parameter', 'unknown_extension', 'service_not_found'],
  })
  taskRoutes.get(path, described, serviceParam, queryOf(TaskReadQuery), async (c) => {
    const { serviceId } = c.req.valid('param')
    const query = c.req.valid('query')
    return listJson(
      c,
      await readTasks(
        requestScope(c),
        { serviceId, filter, types: query.task_types, stateId: query.state_id, extensions: query.extensions },
        c.get('config').listLimit,
      ),
    )
  })
}

// Read Task
taskRoutes.get(
  '/services/:id/tasks/:task_id',
  operation('/services/:id/tasks/:task_id', {
    id: 'readTask',
    summary: 'Read Task',
    tag: 'Tasks',
    data: true,
    query: TaskReadQuery,
    success: { status: 200, description: 'the task', schema: TaskSchema },
    errors: ['invalid_parameter', 'unknown_extension', 'service_not_found', 'task_not_found'],
  }),
  childParam('task'),
  queryOf(TaskReadQuery),
  async (c) => {
    const { serviceId, childId: taskId } = c.req.valid('param')
    const query = c.req.valid('query')
    return itemJson(
      c,
      await readTasks(
        requestScope(c),
        { serviceId, taskId, filter: 'all', types: [], extensions: query.extensions },
        1,
      ),
      'task_not_found',
    )
  },
)

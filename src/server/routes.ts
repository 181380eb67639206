import { Hono } from 'hono'
import * as v from 'valibot'
import pkg from '../../package.json' with { type: 'json' }
import type { AppEnv } from '../env'
import { readJsonObject } from '../http/body'
import { rememberAnswer } from '../http/idempotency'
import { locationFor } from '../http/location'
import { operation } from '../http/openapi'
import { parseOrThrow } from '../http/validate'
import { writeBatch } from '../http/write'
import { modeQuery, setMode } from './statements'

export const serverRoutes = new Hono<AppEnv>()

const StatusSchema = v.object({
  version: v.string(),
  mode: v.picklist(['production', 'maintenance']),
  system_time: v.string(),
  started: v.string(),
  last_request: v.nullable(v.string()),
  request_today: v.number(),
  client_errors_today: v.number(),
  server_errors_today: v.number(),
  max_memory: v.optional(v.number()),
  used_memory: v.optional(v.number()),
  allocated_memory: v.optional(v.number()),
  free_memory: v.optional(v.number()),
})

const ModeBody = v.strictObject({
  mode: v.pipe(
    v.string('must be a string'),
    v.toLowerCase(),
    v.picklist(['maintenance', 'production'], 'must be maintenance or production'),
  ),
})

/**
 * The tenant's server mode, stored in the database so that every instance agrees at once: reads
 * select it in their batch and writes assert it in theirs (docs/behaviour.md#server-mode).
 */
// Set Server Mode
serverRoutes.post(
  '/server/mode',
  operation('/server/mode', {
    idempotent: true,
    id: 'setServerMode',
    summary: 'Set Server Mode',
    tag: 'Server',
    body: { schema: ModeBody, description: 'The mode of this tenant.' },
    success: {
      status: 200,
      description: 'changed',
      schema: v.object({ 'server changed': v.string() }),
      headers: { Location: '/server/status' },
    },
    errors: ['validation_failed'],
  }),
  async (c) => {
    const { mode } = parseOrThrow(ModeBody, await readJsonObject(c, { emptyIsObject: false }))
    await writeBatch(c, { data: false }, () => ({
      mode: setMode(c.get('db'), c.get('tenant'), mode),
      answer: rememberAnswer(c, {
        status: 200,
        body: { 'server changed': mode },
        location: locationFor(c, '/server/status'),
      }),
    }))
    c.header('Location', locationFor(c, '/server/status'))
    return c.json({ 'server changed': mode })
  },
)

// Query Server Status: version, mode, times and this instance's counters (reset when it restarts).
serverRoutes.get(
  '/server/status',
  operation('/server/status', {
    id: 'queryServerStatus',
    summary: 'Query Server Status',
    tag: 'Server',
    success: {
      status: 200,
      description: 'the status of the tenant and of this instance',
      schema: StatusSchema,
    },
    errors: [],
  }),
  async (c) => {
    const [state] = await modeQuery(c.get('db'), c.get('tenant'))
    const stats = c.get('stats')
    return c.json({
      version: pkg.version,
      mode: state?.mode ?? 'production',
      system_time: new Date().toISOString(),
      started: stats.started,
      last_request: stats.lastRequest,
      request_today: stats.requests,
      client_errors_today: stats.clientErrors,
      server_errors_today: stats.serverErrors,
      ...c.get('memory')?.(),
    })
  },
)

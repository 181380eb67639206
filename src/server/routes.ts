import { Hono } from 'hono'
import * as v from 'valibot'
import pkg from '../../package.json' with { type: 'json' }
import type { AppEnv } from '../env'
import { readJsonObject } from '../http/body'
import { locationFor } from '../http/location'
import { parseOrThrow } from '../http/validate'
import { modeQuery, setMode } from './statements'

export const serverRoutes = new Hono<AppEnv>()

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
serverRoutes.post('/server/mode', async (c) => {
  const { mode } = parseOrThrow(ModeBody, await readJsonObject(c, { emptyIsObject: false }))
  await setMode(c.var.db, c.var.tenant, mode)
  c.header('Location', locationFor(c, '/server/status'))
  return c.json({ 'server changed': mode })
})

// Query Server Status: version, mode, times and this instance's counters (reset when it restarts).
serverRoutes.get('/server/status', async (c) => {
  const [state] = await modeQuery(c.var.db, c.var.tenant)
  const { stats } = c.var
  return c.json({
    version: pkg.version,
    mode: state?.mode ?? 'production',
    system_time: new Date().toISOString(),
    started: stats.started,
    last_request: stats.lastRequest,
    requests: stats.requests,
    client_errors: stats.clientErrors,
    server_errors: stats.serverErrors,
  })
})

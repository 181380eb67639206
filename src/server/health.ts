import { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '../env'
import { operation } from '../http/openapi'
import { ping } from './statements'

/**
 * Probes for load balancers and uptime monitors (docs/behaviour.md#server-mode): no credential, no
 * tenant, no data. `/health` says the process answers; `/ready` that it reaches its database.
 */
export const healthRoutes = new Hono<AppEnv>()

// Liveness
healthRoutes.get(
  '/health',
  operation('/health', {
    id: 'health',
    summary: 'Liveness',
    tag: 'Server',
    success: {
      status: 200,
      description: 'the process answers',
      schema: v.object({ status: v.literal('ok') }),
    },
    errors: [],
  }),
  (c) => c.json({ status: 'ok' as const }),
)

// Readiness: one cheap query; 503 `database_unavailable` when the database does not answer.
healthRoutes.get(
  '/ready',
  operation('/ready', {
    id: 'ready',
    summary: 'Readiness',
    tag: 'Server',
    success: {
      status: 200,
      description: 'the database answers',
      schema: v.object({ status: v.literal('ready') }),
    },
    errors: [],
  }),
  async (c) => {
    await ping(c.get('db'))
    return c.json({ status: 'ready' as const })
  },
)

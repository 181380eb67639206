/**
 * Database round trips per API operation, counted with a wrapped libSQL client (one per execute or
 * batch call). Metadata is warm (the instance has served a write for the tenant), which is the
 * steady state; a tenant's first write on a new instance costs one more (the metadata read).
 */
import type { Client } from '@libsql/client'
import { createApp } from '../src/app'
import { DEFAULT_CONFIG } from '../src/config'
import { applyMigrations, openDatabase } from '../src/db/node'

export interface RoundTrips {
  operation: string
  kind: 'read' | 'write'
  roundTrips: number
}

export async function countRoundTrips(url: string): Promise<RoundTrips[]> {
  let count = 0
  const counted = (client: Client) =>
    new Proxy(client, {
      get(target, property) {
        const value = Reflect.get(target, property)
        if (typeof value !== 'function') return value
        if (property === 'execute' || property === 'batch') {
          return (...args: unknown[]) => {
            count++
            return value.apply(target, args)
          }
        }
        return value.bind(target)
      },
    })
  const { client, db } = await openDatabase(url, { wrap: counted })
  await applyMigrations(db)
  const app = createApp({ database: () => ({ db }), config: DEFAULT_CONFIG })
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (response.status >= 400)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
    const text = await response.text()
    return text ? JSON.parse(text) : undefined
  }
  const results: RoundTrips[] = []
  const measure = async (
    operation: string,
    kind: 'read' | 'write',
    method: string,
    path: string,
    body?: unknown,
  ) => {
    const before = count
    const answer = await call(method, path, body)
    results.push({ operation, kind, roundTrips: count - before })
    return answer
  }

  const feedback = {
    name: 'Feedback',
    type: 'single-valued',
    attributes: [{ name: 'rating', type: 'integer' }],
  }
  const phone = {
    name: 'Phone',
    type: 'multi-valued',
    unique: ['PhoneNumber'],
    attributes: [{ name: 'PhoneNumber', type: 'string', mandatory: true }],
  }
  await measure('create service extension schema', 'write', 'POST', '/metadata/services/extensions', feedback)
  await call('POST', '/metadata/states/extensions', feedback)
  await call('POST', '/metadata/tasks/extensions', feedback)
  await measure('create profile extension schema', 'write', 'POST', '/metadata/profiles/extensions', phone)
  await measure('create identification key', 'write', 'POST', '/metadata/identification-keys', {
    name: 'byPhone',
    source: 'Phone',
    attributes: ['PhoneNumber'],
  })
  await call('POST', '/services/start', { service_type: 1, contact_key: 'warm-up' })

  const { service_id: sid } = await measure('start service', 'write', 'POST', '/services/start', {
    service_type: 1,
    contact_key: 'K',
    Feedback: { rating: 1 },
  })
  await measure('associate service', 'write', 'POST', `/customers/C1/services/${sid}`, {
    Feedback: { rating: 2 },
  })
  await measure('update service extension', 'write', 'PUT', `/services/${sid}/extensions/Feedback`, {
    rating: 3,
  })
  const { state_id: a } = await measure('start state', 'write', 'POST', `/services/${sid}/states/start`, {
    state_type: 1,
    Feedback: { rating: 1 },
  })
  const { state_id: b } = await measure(
    'state transition',
    'write',
    'POST',
    `/services/${sid}/states/transition`,
    {
      from: { state_id: a },
      to: { state_type: 2 },
    },
  )
  await measure(
    'update state extension',
    'write',
    'PUT',
    `/services/${sid}/states/${b}/extensions/Feedback`,
    {
      rating: 2,
    },
  )
  const { task_id: t } = await measure('start task', 'write', 'POST', `/services/${sid}/tasks/start`, {
    task_type: 1,
    state_id: b,
  })
  await measure('update task extension', 'write', 'PUT', `/services/${sid}/tasks/${t}/extensions/Feedback`, {
    rating: 2,
  })
  await measure('complete task', 'write', 'POST', `/services/${sid}/tasks/${t}/end`, {})
  await measure('complete state', 'write', 'POST', `/services/${sid}/states/${b}/end`, {})
  const all = 'active_states=true&completed_states=true&active_tasks=true&completed_tasks=true'
  await measure('get service (all flags)', 'read', 'GET', `/services/${sid}?${all}&extensions=Feedback`)
  await measure('query customer services', 'read', 'GET', `/customers/C1/services?${all}`)
  await measure('query anonymous services', 'read', 'GET', '/services/anonymous/warm-up/active')
  await measure(
    'query states',
    'read',
    'GET',
    `/services/${sid}/states?active_tasks=true&extensions=Feedback`,
  )
  await measure('get state', 'read', 'GET', `/services/${sid}/states/${b}?completed_tasks=true`)
  await measure(
    'query tasks',
    'read',
    'GET',
    `/services/${sid}/tasks/completed?task_types=1&extensions=Feedback`,
  )
  await measure('get task', 'read', 'GET', `/services/${sid}/tasks/${t}`)
  await measure('complete service', 'write', 'POST', `/services/${sid}/end`, { disposition: 1 })
  await measure('delete service', 'write', 'DELETE', `/services/${sid}`)

  await measure('create profile', 'write', 'POST', '/profiles', {
    customer_id: 'P1',
    FirstName: 'Ann',
    Phone: [{ PhoneNumber: '555' }],
  })
  await measure('get profile', 'read', 'GET', '/profiles/P1?extensions=Phone')
  await measure('update profile', 'write', 'PUT', '/profiles/P1', { FirstName: 'Anne' })
  await measure('insert extension records', 'write', 'POST', '/profiles/P1/extensions', {
    Phone: [{ PhoneNumber: '556' }],
  })
  await measure('update record by unique', 'write', 'PUT', '/profiles/P1/extensions/Phone/by/unique', {
    PhoneNumber: '556',
  })
  await measure('identify customer', 'read', 'GET', '/profiles?Phone.PhoneNumber=556&include_profile=yes')
  await measure('delete record by unique', 'write', 'PUT', '/profiles/P1/extensions/Phone/delete/by/unique', {
    PhoneNumber: '556',
  })
  await measure('delete profile', 'write', 'DELETE', '/profiles/P1')
  await measure('get extension schemas', 'read', 'GET', '/metadata/services/extensions')
  await measure('get identification keys', 'read', 'GET', '/metadata/identification-keys')
  await measure('get profile schema', 'read', 'GET', '/metadata/profiles')
  await measure('set server mode', 'write', 'POST', '/server/mode', { mode: 'production' })
  await measure('server status', 'read', 'GET', '/server/status')
  client.close()
  return results
}

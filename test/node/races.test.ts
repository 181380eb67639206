import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LibsqlServer, startLibsqlServer } from '../../scripts/libsql-server/server'
import { createApp } from '../../src/app'
import { applyMigrations, openDatabase } from '../../src/db/node'
import { TEST_CONFIG } from '../helpers/apps'

/**
 * Two instances, each with its own client, over one libSQL server: what a deployment with several
 * isolates does. Races that must have exactly one winner: the explicit completion after a cascade
 * (docs/behaviour.md#completion) and concurrent requests with one Idempotency-Key
 * (docs/behaviour.md#idempotency).
 */
let server: LibsqlServer
const closers: (() => void)[] = []
const instances: ((path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>)[] =
  []

beforeAll(async () => {
  server = await startLibsqlServer({ database: ':memory:' })
  for (let i = 0; i < 2; i++) {
    const { client, db } = await openDatabase(server.url)
    if (i === 0) await applyMigrations(db)
    closers.push(() => client.close())
    const app = createApp({ database: () => ({ db }), config: TEST_CONFIG })
    instances.push(async (path, body, headers = {}) =>
      app.request(path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ContactCenterId: 'race', 'Content-Type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
  }
})
afterAll(() => {
  for (const close of closers) close()
  server.close()
})

describe('two explicit completions after the cascade, on two instances', () => {
  it('one is accepted (204), the other refused (409), and the stored event is the winner’s', async () => {
    const [one, two] = instances
    for (let round = 0; round < 5; round++) {
      const started = await one('/services/start', { service_type: 1, contact_key: 'K' })
      const sid = ((await started.json()) as { service_id: number }).service_id
      const task = await one(`/services/${sid}/tasks/start`, { task_type: 1 })
      const tid = ((await task.json()) as { task_id: number }).task_id
      expect((await two(`/services/${sid}/end`, {})).status).toBe(204)

      const answers = await Promise.all([
        one(`/services/${sid}/tasks/${tid}/end`, { disposition: 'one' }),
        two(`/services/${sid}/tasks/${tid}/end`, { disposition: 'two' }),
      ])
      const statuses = answers.map((answer) => answer.status).sort()
      expect(statuses).toEqual([204, 409])
      const loser = answers.find((answer) => answer.status === 409) as Response
      expect(((await loser.json()) as { code: string }).code).toBe('already_completed')

      const winner = answers[0].status === 204 ? 'one' : 'two'
      const read = (await (await two(`/services/${sid}/tasks/${tid}`)).json()) as {
        completed: { disposition: string }
      }
      expect(read.completed.disposition).toBe(winner)
    }
  })
})

describe('concurrent requests with one Idempotency-Key, on two instances', () => {
  it('execute once; every other one answers the winner’s answer', async () => {
    const [one, two] = instances
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}-${Date.now()}`
      const body = { service_type: 1, contact_key: `IDEM-${key}` }
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? one : two)('/services/start', body, { 'Idempotency-Key': key }),
        ),
      )
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200))
      const ids = await Promise.all(
        answers.map(async (answer) => ((await answer.json()) as { service_id: number }).service_id),
      )
      expect(new Set(ids).size).toBe(1)
      expect(answers.filter((answer) => answer.headers.get('Idempotent-Replayed') === 'true')).toHaveLength(7)
      const listed = (await (await one(`/services/anonymous/IDEM-${key}`)).json()) as unknown[]
      expect(listed).toHaveLength(1)
    }
  })
})

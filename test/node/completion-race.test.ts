import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LibsqlServer, startLibsqlServer } from '../../scripts/libsql-server/server'
import { createApp } from '../../src/app'
import { DEFAULT_CONFIG } from '../../src/config'
import { applyMigrations, openDatabase } from '../../src/db/node'

/**
 * Two instances, each with its own client, over one libSQL server: what a deployment with several
 * isolates does. The explicit completion after a cascade is accepted once (docs/behaviour.md#completion),
 * so of two racing ones exactly one wins.
 */
let server: LibsqlServer
const closers: (() => void)[] = []
const instances: ((path: string, body?: unknown) => Promise<Response>)[] = []

beforeAll(async () => {
  server = await startLibsqlServer({ database: ':memory:' })
  for (let i = 0; i < 2; i++) {
    const { client, db } = await openDatabase(server.url)
    if (i === 0) await applyMigrations(db)
    closers.push(() => client.close())
    const app = createApp({ database: () => ({ db }), config: DEFAULT_CONFIG })
    instances.push(async (path, body) =>
      app.request(path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ContactCenterId: 'race', 'Content-Type': 'application/json' },
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

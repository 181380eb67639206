import { readFileSync } from 'node:fs'
import { createClient } from 'context-edge/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { journey } from '../../examples/client'
import { clientTypes, TYPES_FILE } from '../../scripts/client/generate'
import { FEEDBACK } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

describe('the typed client (context-edge/client)', () => {
  it('runs the README example: start, complete with the seed body, read back', async () => {
    const api = createClient({ baseUrl: 'http://localhost', tenant: 'client-example', fetch: h.fetch })
    const schema = await h.api.post('/metadata/services/extensions', FEEDBACK, { tenant: 'client-example' })
    expect(schema.status).toBe(201)
    const service = await journey(api)
    expect(service).toMatchObject({
      contact_key: '+33612345678',
      service_type: 7,
      completed: { disposition: 10, disposition_desc: 'SUCCESS' },
      Feedback: { FeedbackType: 'survey', rating: 7 },
    })
  })

  it('is typed from the document as it is now (npm run client:types after a change)', async () => {
    expect(readFileSync(TYPES_FILE, 'utf8')).toBe(await clientTypes())
  })
})

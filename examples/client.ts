/**
 * The README's example of the typed client: start a service, complete it with the seed example's
 * body, read it back. Type-checked by `npm test` and run by test/node/client.test.ts.
 */
import { createClient } from 'context-edge/client'

export async function journey(api: ReturnType<typeof createClient>) {
  const started = await api.POST('/services/start', {
    body: { service_type: 7, contact_key: '+33612345678' },
  })
  if (!started.data) throw new Error(`start failed: ${started.response.status}`)
  const id = started.data.service_id

  const completed = await api.POST('/services/{id}/end', {
    params: { path: { id } },
    body: { disposition: 10, disposition_desc: 'SUCCESS', Feedback: { FeedbackType: 'survey', rating: 7 } },
  })
  if (completed.response.status !== 204) throw new Error(`complete failed: ${completed.response.status}`)

  const read = await api.GET('/services/{id}', {
    params: { path: { id }, query: { extensions: 'Feedback' } },
  })
  return read.data // { service_id, contact_key, service_type: 7, started, completed, Feedback }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const api = createClient({ baseUrl: process.env.API_URL ?? 'http://localhost:8080', tenant: 'example' })
  console.log(JSON.stringify(await journey(api), null, 2))
}

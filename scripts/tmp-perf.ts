import { seedServices } from '../bench/seed'
import { createApp } from '../src/app'
import { DEFAULT_CONFIG } from '../src/config'
import { applyMigrations, openDatabase } from '../src/db/node'

const { db } = await openDatabase('file:/tmp/perf/p.db')
await applyMigrations(db)
const app = createApp({ db, config: DEFAULT_CONFIG })
for (const body of [
  {
    name: 'Satisfaction',
    type: 'multi-valued',
    unique: ['place'],
    attributes: [
      { name: 'rating', type: 'integer' },
      { name: 'pertinence', type: 'integer' },
      { name: 'usefull', type: 'boolean' },
      { name: 'place', type: 'string', length: 64, mandatory: true },
    ],
  },
  {
    name: 'Feedback',
    type: 'single-valued',
    attributes: [
      { name: 'FeedbackType', type: 'string', length: 32 },
      { name: 'rating', type: 'integer' },
      { name: 'notes', type: 'string', length: 256 },
    ],
  },
])
  await app.request('/metadata/services/extensions', { method: 'POST', body: JSON.stringify(body) })
const ids = await seedServices(db, 20000, { contactKey: 'x', withDetails: true })
const END = JSON.stringify({
  timestamp: '2009-05-12T12:05:12.145Z',
  interaction_id: '123ABCAADFJ1259ACF',
  media_type: 1,
  resource_id: 5005,
  resource_type: 2,
  disposition: 10,
  disposition_desc: 'SUCCESS',
  Feedback: { FeedbackType: 'survey', rating: 7, notes: 'warm welcome' },
  Satisfaction: [
    { rating: 2, pertinence: 8, usefull: true, place: 'Terranova mexico resort' },
    { rating: 8, pertinence: 4, usefull: false, place: 'Fancy resort Paris' },
  ],
})
let t = performance.now()
for (let i = 0; i < 5000; i++) {
  const r = await app.request(`/services/${ids[i]}/end`, { method: 'POST', body: END })
  if (r.status !== 204) throw new Error(String(r.status))
}
console.log('complete in-process', Math.round(5000 / ((performance.now() - t) / 1000)), 'req/s')
t = performance.now()
for (let i = 0; i < 5000; i++) {
  const r = await app.request(
    `/services/${ids[10000 + i]}?active_states=true&extensions=Feedback,Satisfaction`,
  )
  if (r.status !== 200) throw new Error(String(r.status))
  await r.text()
}
console.log('read in-process', Math.round(5000 / ((performance.now() - t) / 1000)), 'req/s')

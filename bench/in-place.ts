/**
 * What a read's statements cost the engine where the server runs them. The database ceiling replays
 * them back to back, with nothing else running: the CPU's caches hold only the engine's code and
 * pages. In a server, the app's work (HTTP, routing, validation, JSON) runs between every two reads
 * and evicts the engine's from those caches, and the other way round. This measures both in one
 * process: the replays alone, then each replay right after a read through the app (no HTTP).
 */
import type { InStatement } from '@libsql/client'
import { createApp } from '../src/app'
import { DEFAULT_CONFIG } from '../src/config'
import { openDatabase } from '../src/db/node'
import { openEngine, withServiceId } from './engine'

export interface InPlace {
  /** µs per replayed read, back to back. */
  aloneUs: number
  /** µs per replayed read, each right after a read through the app. */
  besideAppUs: number
  /** µs per read through the app (in process, no HTTP), engine included. */
  appReadUs: number
}

export async function readCostInPlace(
  databaseUrl: string,
  template: { batch: InStatement[]; serviceId: number },
  serviceIds: number[],
  pathOf: (id: number) => string,
  reads = 3000,
): Promise<InPlace> {
  const { client, db } = await openDatabase(databaseUrl)
  const app = createApp({ database: () => ({ db }), config: { ...DEFAULT_CONFIG, accessLog: false } })
  const engine = openEngine(databaseUrl.slice('file:'.length))
  const pick = () => serviceIds[Math.floor(Math.random() * serviceIds.length)]
  const timed = (run: () => unknown) => {
    const t0 = process.hrtime.bigint()
    run()
    return Number(process.hrtime.bigint() - t0) / 1000
  }
  const replay = () => {
    const batch = withServiceId(template.batch, template.serviceId, pick())
    return timed(() => engine.replay(batch, 'BEGIN'))
  }
  const appRead = async () => {
    const t0 = process.hrtime.bigint()
    const response = await app.request(pathOf(pick()))
    if (response.status !== 200) throw new Error(`read through the app: ${response.status}`)
    await response.text()
    return Number(process.hrtime.bigint() - t0) / 1000
  }
  // Warm-up: both paths compiled and their statements prepared.
  for (let i = 0; i < reads / 3; i++) {
    replay()
    await appRead()
  }
  let alone = 0
  for (let i = 0; i < reads; i++) alone += replay()
  let beside = 0
  let viaApp = 0
  for (let i = 0; i < reads; i++) {
    viaApp += await appRead()
    beside += replay()
  }
  engine.close()
  client.close()
  const perRead = (total: number) => Math.round((total / reads) * 10) / 10
  return { aloneUs: perRead(alone), besideAppUs: perRead(beside), appReadUs: perRead(viaApp) }
}

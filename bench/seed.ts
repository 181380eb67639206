/** Fills a benchmark database straight through Drizzle batches (not through HTTP): fast and exact. */
import type { Database } from '../src/db/database'
import { extensionRecords, services, states } from '../src/db/tables'

export const TENANT = 'default/'
const CHUNK = 500

/**
 * Inserts `count` started services and returns their ids. With `withDetails`, every service also
 * gets an active state and a Feedback record, so reads have something to join.
 */
export async function seedServices(
  db: Database,
  count: number,
  options: { contactKey: string; withDetails: boolean },
): Promise<number[]> {
  const ids: number[] = []
  for (let done = 0; done < count; done += CHUNK) {
    const size = Math.min(CHUNK, count - done)
    const rows = Array.from({ length: size }, (_, i) => ({
      tenant: TENANT,
      contactKey: `${options.contactKey}-${done + i}`,
      serviceType: 7,
      started: { timestamp: '2026-11-28T09:00:00.000Z', interaction_id: `I-${done + i}` },
    }))
    const inserted = await db.insert(services).values(rows).returning({ id: services.id })
    const batchIds = inserted.map((row) => row.id)
    ids.push(...batchIds)
    if (options.withDetails) {
      await db.batch([
        db.insert(states).values(
          batchIds.map((serviceId) => ({
            tenant: TENANT,
            serviceId,
            stateType: 1,
            started: { timestamp: '2026-11-28T09:00:01.000Z' },
          })),
        ),
        db.insert(extensionRecords).values(
          batchIds.map((ownerId) => ({
            tenant: TENANT,
            ownerKind: 'service' as const,
            ownerId,
            extension: 'feedback',
            recordKey: '',
            data: { FeedbackType: 'survey', rating: 7, notes: 'seeded' },
          })),
        ),
      ])
    }
  }
  return ids
}

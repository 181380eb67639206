import type { ApiKeyRow } from './statements'

/**
 * Keys this instance looked up, for `ttlMs` (at most 60 s: the revocation bound of
 * docs/behaviour.md#api-keys). A warm request needs no round trip for its key. Unknown ids are
 * remembered too (briefly), so that a flood of made-up keys does not become a flood of queries.
 * Bounded: past `maxEntries`, the oldest entries go first.
 */
export class KeyCache {
  private readonly entries = new Map<string, { row: ApiKeyRow | null; until: number }>()

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(id: string, now: number): ApiKeyRow | null | undefined {
    const entry = this.entries.get(id)
    if (!entry) return undefined
    if (entry.until <= now) {
      this.entries.delete(id)
      return undefined
    }
    return entry.row
  }

  set(id: string, row: ApiKeyRow | null, now: number): void {
    this.entries.delete(id)
    const ttl = row ? this.ttlMs : Math.min(this.ttlMs, 5_000)
    this.entries.set(id, { row, until: now + ttl })
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
  }
}

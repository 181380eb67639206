import type { Client } from '@libsql/client'

/**
 * Wraps a libSQL client to count round trips (one per execute/batch/… call) and, for race tests,
 * to hold a batch until the test lets it go.
 */
export function countingClient(client: Client) {
  const state = {
    roundTrips: 0,
    /** Called before each batch; a test may return a promise to hold that batch back. */
    beforeBatch: undefined as undefined | ((index: number, statements: unknown) => Promise<void> | undefined),
    batches: 0,
  }
  const counted = new Set(['execute', 'batch', 'executeMultiple', 'migrate', 'transaction', 'sync'])
  const wrapped = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      // The client keeps private fields: call its methods on the client itself, not on the proxy.
      if (typeof property !== 'string' || !counted.has(property)) return value.bind(target)
      return async (...args: unknown[]) => {
        state.roundTrips++
        if (property === 'batch') {
          const index = state.batches++
          await state.beforeBatch?.(index, args[0])
        }
        return value.apply(target, args)
      }
    },
  })
  return { client: wrapped as Client, state }
}

/** A client wrapper for the bench: hands every batch's statements to `onBatch`, then runs it. */
import type { Client, InStatement } from '@libsql/client'

export function recordingBatches(onBatch: (statements: InStatement[]) => void) {
  return (client: Client): Client =>
    new Proxy(client, {
      get(target, property) {
        const value = Reflect.get(target, property)
        if (typeof value !== 'function') return value
        if (property === 'batch') {
          return (statements: InStatement[], ...rest: unknown[]) => {
            onBatch(statements)
            return value.call(target, statements, ...rest)
          }
        }
        return value.bind(target)
      },
    })
}

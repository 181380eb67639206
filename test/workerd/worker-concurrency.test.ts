import { SELF } from 'cloudflare:test'
import { describe, it } from 'vitest'
import { abortedRequests, burst, caller, prepareBurst, sequential } from '../helpers/burst'

/**
 * One isolate serves many requests at once. Nothing that holds a promise or an I/O object may be
 * shared between them: workerd cancels a request that waits on another request's I/O, and whatever
 * that request held (a slot of a client's queue, a lock) would never be given back (see worker.ts).
 */
const call = caller((url, init) => SELF.fetch(url, init), 'http://worker', 'worker-concurrency')

describe('the worker under concurrent requests', () => {
  it('answers a burst of 64 mixed requests, then keeps answering', async () => {
    await prepareBurst(call)
    await burst(call, 1)
    await sequential(call, 20)
  })

  it('keeps answering after requests that the client aborted mid-flight', async () => {
    await abortedRequests(call, 8)
    await burst(call, 2)
    await sequential(call, 20)
  })
})

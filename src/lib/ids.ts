const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * A new customer_id (docs/behaviour.md#identifiers): 16 URL-safe characters, 8 of creation time in milliseconds
 * (base62, whose alphabet is in ASCII order, so ids sort by creation time) and 8 random.
 */
export function generateCustomerId(now = Date.now()): string {
  let time = ''
  for (let n = now; time.length < 8; n = Math.floor(n / 62)) time = BASE62[n % 62] + time
  const random = crypto.getRandomValues(new Uint8Array(8))
  return time + Array.from(random, (byte) => BASE62[byte % 62]).join('')
}

import { expect } from 'vitest'

/** Sends one request to the server under test (SELF in workerd, a real HTTP server on Node). */
export type Caller = (
  path: string,
  init?: { method?: string; body?: unknown; signal?: AbortSignal },
) => Promise<Response>

/**
 * Wraps a fetch function: the tenant header on every call, and a request with no answer within 10 s
 * fails the test instead of hanging it (a wedged server never answers).
 */
export function caller(
  fetcher: (url: string, init: RequestInit) => Promise<Response>,
  base: string,
  tenant: string,
): Caller {
  return (path, init = {}) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ${path} within 10 s`)), 10_000)
    })
    const answer = fetcher(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { ContactCenterId: tenant },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    })
    return Promise.race([answer, hung]).finally(() => clearTimeout(timer))
  }
}

/** Registers the identification key that the burst's Identify requests use. */
export async function prepareBurst(call: Caller) {
  const key = await call('/metadata/identification-keys', {
    method: 'POST',
    body: { name: 'byFirstName', attributes: ['FirstName'] },
  })
  expect(key.status).toBe(201)
}

async function startService(call: Caller, n: number): Promise<number> {
  const response = await call('/services/start', {
    method: 'POST',
    body: { service_type: 1, customer_id: `C${n % 4}` },
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { service_id: number }).service_id
}

/**
 * 64 requests at once — starts, completions (four at once per service: one 204, three 409), reads and
 * Identify queries — each answered with its expected status; then every completed service reads back
 * completed.
 */
export async function burst(call: Caller, round: number) {
  const existing = await Promise.all([0, 1, 2, 3].map((n) => startService(call, round * 10 + n)))
  const completions = new Map<number, number[]>(existing.map((id) => [id, []]))
  const requests: Promise<[number, number]>[] = []
  for (let i = 0; i < 64; i++) {
    const id = existing[Math.floor(i / 4) % existing.length]
    const expecting = (expected: number) => (r: Response) =>
      r.arrayBuffer().then(() => [r.status, expected] as [number, number])
    const sent =
      i % 4 === 0
        ? call('/services/start', {
            method: 'POST',
            body: { service_type: 2, contact_key: `K-${round}-${i}` },
          }).then(expecting(200))
        : i % 4 === 1
          ? call(`/services/${id}/end`, { method: 'POST', body: { disposition: i } }).then(async (r) => {
              await r.arrayBuffer()
              completions.get(id)?.push(r.status)
              return [r.status === 409 ? 204 : r.status, 204] as [number, number]
            })
          : i % 4 === 2
            ? call(`/services/${id}`).then(expecting(200))
            : call('/profiles?FirstName=Nobody').then(expecting(200))
    requests.push(sent)
  }
  const answered = await Promise.all(requests)
  expect(answered.map(([status]) => status)).toEqual(answered.map(([, expected]) => expected))
  for (const [id, statuses] of completions) {
    expect(statuses.sort()).toEqual([204, 409, 409, 409])
    const read = await call(`/services/${id}`)
    expect(read.status).toBe(200)
    expect((await read.json()) as object).toHaveProperty('completed')
  }
}

/** Requests one after another, every one answered 2xx. */
export async function sequential(call: Caller, count: number) {
  for (let i = 0; i < count; i++) {
    const response = i % 2 ? await call('/server/status') : await call('/services/anonymous/none')
    expect(response.status).toBe(200)
    await response.arrayBuffer()
  }
}

/** Starts requests and aborts them after 0…n ms, while they are in flight. */
export async function abortedRequests(call: Caller, count: number) {
  const sent = Array.from({ length: count }, (_, i) => {
    const controller = new AbortController()
    const request = call('/services/start', {
      method: 'POST',
      body: { service_type: 3, contact_key: `ABORT-${i}` },
      signal: controller.signal,
    }).then(
      (response) => response.arrayBuffer(),
      (error: unknown) => error,
    )
    setTimeout(() => controller.abort(), i)
    return request
  })
  await Promise.all(sent)
}

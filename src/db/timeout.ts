/**
 * The fetch a remote libSQL client uses, bounded: a database that does not answer within `ms` fails
 * the request with a TimeoutError, which the API answers as 503 `database_unavailable` (never a
 * request that hangs until the client gives up).
 */
export function fetchWithTimeout(ms: number): (request: Request) => Promise<Response> {
  return (request) => fetch(request, { signal: AbortSignal.timeout(ms) })
}

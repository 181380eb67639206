import { ERROR_CODES } from '../../src/http/errors'
import { checkAgainstContract } from './contract'

export interface ApiResponse {
  status: number
  headers: Headers
  /** Parsed JSON body, or undefined when the body is empty. */
  body: any
  text: string
}

export interface RequestOptions {
  headers?: Record<string, string>
  /** Sent as ContactCenterId. */
  tenant?: string
}

/**
 * A small HTTP client over any fetch function (the app in Node, SELF in workerd). Every error body
 * is checked against the declared error codes, so the suite fails if an undeclared code ever
 * appears (docs/behaviour.md#errors).
 */
export function apiClient(fetcher: (request: Request) => Response | Promise<Response>) {
  async function send(method: string, path: string, body?: unknown, options: RequestOptions = {}) {
    const headers: Record<string, string> = { ...options.headers }
    if (options.tenant) headers.ContactCenterId = options.tenant
    let payload: string | undefined
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body)
      headers['Content-Type'] ??= 'application/json'
    }
    const response = await fetcher(new Request(`http://localhost${path}`, { method, headers, body: payload }))
    const text = await response.text()
    const parsed = text ? JSON.parse(text) : undefined
    if (response.status >= 400) assertEnvelope(method, path, response.status, parsed)
    await checkAgainstContract(method, path, response.status, parsed)
    return { status: response.status, headers: response.headers, body: parsed, text } satisfies ApiResponse
  }
  return {
    get: (path: string, options?: RequestOptions) => send('GET', path, undefined, options),
    post: (path: string, body?: unknown, options?: RequestOptions) => send('POST', path, body, options),
    put: (path: string, body?: unknown, options?: RequestOptions) => send('PUT', path, body, options),
    delete: (path: string, options?: RequestOptions) => send('DELETE', path, undefined, options),
    send,
  }
}

export type ApiClient = ReturnType<typeof apiClient>

/** The same client with a fixed ContactCenterId, so a test can have a tenant of its own. */
export function forTenant(api: ApiClient, tenant: string): ApiClient {
  const send: ApiClient['send'] = (method, path, body, options = {}) =>
    api.send(method, path, body, { tenant, ...options })
  return {
    get: (path, options) => send('GET', path, undefined, options),
    post: (path, body, options) => send('POST', path, body, options),
    put: (path, body, options) => send('PUT', path, body, options),
    delete: (path, options) => send('DELETE', path, undefined, options),
    send,
  }
}

function assertEnvelope(method: string, path: string, status: number, body: any) {
  const problem = (what: string) => new Error(`${method} ${path} → ${status}: ${what}`)
  if (typeof body !== 'object' || body === null) throw problem('error without a JSON envelope')
  if (!Object.hasOwn(ERROR_CODES, body.code))
    throw problem(`undeclared error code ${JSON.stringify(body.code)}`)
  if (ERROR_CODES[body.code as keyof typeof ERROR_CODES].status !== status)
    throw problem('status differs from its code')
  if (body.status !== status || body.http_method !== method || body.uri !== path.split('?')[0]) {
    throw problem('envelope does not describe the request')
  }
  if (typeof body.request_id !== 'string' || typeof body.message !== 'string')
    throw problem('envelope incomplete')
}

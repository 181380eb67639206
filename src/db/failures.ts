/**
 * Failures of the database itself, told apart from faults of our own code: the database could not be
 * reached, refused the connection, timed out or was busy for longer than its timeout. The request was
 * fine and may succeed when retried, so the API answers 503 `database_unavailable`, not 500.
 */

// `LibsqlError.code` values of @libsql/client for a server that failed or could not be reached.
const CLIENT_CODES = new Set(['SERVER_ERROR', 'HRANA_WEBSOCKET_ERROR', 'HRANA_CLOSED_ERROR', 'SQLITE_BUSY'])
// Node's and undici's codes for a connection that failed.
const NETWORK_CODES =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EPIPE|EHOSTUNREACH|UND_ERR_\w+)$/
// What fetch says when the connection failed: Node ("fetch failed"), workerd ("Network connection lost").
const NETWORK_MESSAGES = /^(fetch failed|Network connection lost|.*connection (refused|reset))/i

/** The error and its causes, outermost first (bounded: a cause chain can be a cycle). */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = []
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 8; ) {
    chain.push(e)
    e = e instanceof Error || typeof e === 'object' ? (e as { cause?: unknown }).cause : undefined
  }
  return chain
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return causeChain(error).some((e) => {
    const code = codeOf(e)
    if (code && (CLIENT_CODES.has(code) || NETWORK_CODES.test(code))) return true
    if (e instanceof Error) {
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return true
      return NETWORK_MESSAGES.test(e.message)
    }
    return false
  })
}

/**
 * The cause chain as names and codes, for a log line: enough to tell a refused connection from a
 * timeout or a bad token, and never a value (messages of the database client can quote SQL
 * arguments, so only their first line without quoted text is kept).
 */
export function describeCauses(error: unknown): string {
  return causeChain(error)
    .map((e) => {
      if (!(e instanceof Error)) return typeof e
      const code = codeOf(e)
      const message = e.message
        .split('\n')[0]
        .replace(/(["'`]).*?\1/g, '…')
        .slice(0, 200)
      return `${e.name}${code ? ` [${code}]` : ''}: ${message}`
    })
    .join(' <- ')
}

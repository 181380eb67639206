/**
 * What an operator reads when an entry cannot start: one line that names the cause and the fix,
 * never a stack trace (docs/design.md#entries).
 */
import { ConfigError } from './config'
import { causeChain, isDatabaseUnavailable } from './db/failures'

export interface StartupContext {
  /** Where the database is, without credentials (see `describeDatabase`). */
  database?: string
  host?: string
  port?: number
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

export function explainStartupFailure(error: unknown, context: StartupContext = {}): string {
  if (error instanceof ConfigError) return `configuration: ${error.message}`
  const chain = causeChain(error)
  const codes = chain.map(codeOf).filter((code): code is string => code !== undefined)
  const database = context.database ?? 'the database'
  if (codes.includes('EADDRINUSE'))
    return `port ${context.port} on ${context.host} is in use: stop what holds it, or set PORT to a free port (0 picks one)`
  if (
    codes.includes('EACCES') &&
    context.port !== undefined &&
    !codes.some((code) => code.startsWith('SQLITE'))
  )
    return `not allowed to listen on ${context.host}:${context.port}: use a port above 1023 (PORT)`
  if (codes.includes('EADDRNOTAVAIL'))
    return `${context.host} is not an address of this machine: set HOST to 127.0.0.1, 0.0.0.0 or one of its addresses`
  const refused = (e: unknown) =>
    statusOf(e) === 401 ||
    statusOf(e) === 403 ||
    (e instanceof Error && /unauthori[sz]ed|authentication|HTTP status 40[13]/i.test(e.message))
  if (chain.some(refused))
    return `${database} refused its credentials (HTTP 401/403): set DATABASE_AUTH_TOKEN to a valid token for this database`
  if (
    codes.some(
      (code) => code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM',
    )
  )
    return `cannot open ${database} for writing: check the path of DATABASE_URL and that its folder is writable`
  if (codes.includes('URL_INVALID') || codes.includes('URL_SCHEME_NOT_SUPPORTED'))
    return `DATABASE_URL is not a database URL: use file:<path>, libsql://…, http(s)://… or ws(s)://…`
  if (isDatabaseUnavailable(error)) {
    const cause =
      codes.find((code) => /^E[A-Z]+$|^UND_ERR/.test(code)) ??
      chain.map((e) => (e as Error)?.name).find((name) => name === 'TimeoutError')
    return `${database} did not answer${cause ? ` (${cause})` : ''}: check DATABASE_URL and that the database server runs and is reachable`
  }
  const first = chain[0]
  return `could not start: ${first instanceof Error ? `${first.name}: ${first.message.split('\n')[0]}` : String(first)}`
}

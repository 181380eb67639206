/**
 * The part of the Turso Platform API the pipeline uses: branch databases for previews. Every failure
 * is loud (a 401 or a 500 must not turn into a green run and a leaked database); the base URL can be
 * pointed at a fake server by the tests (TURSO_API_URL).
 */
import { branchSlug } from './slug'

export interface TursoSettings {
  apiUrl: string
  token: string
  org: string
}

export function tursoSettings(env: Record<string, string | undefined>): TursoSettings {
  const token = env.TURSO_API_TOKEN
  const org = env.TURSO_ORG
  if (!token || !org) throw new Error('TURSO_API_TOKEN and TURSO_ORG must be set.')
  return { apiUrl: env.TURSO_API_URL ?? 'https://api.turso.tech', token, org }
}

/** The Turso database of a branch. */
export function branchDatabaseName(branch: string): string {
  return `ce-${branchSlug(branch)}`
}

async function call(settings: TursoSettings, method: string, path: string, body?: unknown) {
  const response = await fetch(
    `${settings.apiUrl}/v1/organizations/${encodeURIComponent(settings.org)}${path}`,
    {
      method,
      headers: {
        Authorization: `Bearer ${settings.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  )
  const text = await response.text()
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

function failure(what: string, status: number): Error {
  return new Error(`${what}: the Turso API answered ${status}`)
}

function hostnameOf(json: Record<string, unknown>): string {
  const database = (json.database ?? json) as { Hostname?: unknown; hostname?: unknown }
  const hostname = database.Hostname ?? database.hostname
  if (typeof hostname !== 'string' || !hostname) throw new Error('the Turso API answered no hostname')
  return hostname
}

/**
 * The branch's database, created (branched from `parent` in `group`) when it does not exist yet.
 * Answers its `libsql://` URL and whether it was created now.
 */
export async function ensureBranchDatabase(
  settings: TursoSettings,
  branch: string,
  group: string,
  parent: string,
): Promise<{ url: string; created: boolean }> {
  const name = branchDatabaseName(branch)
  const found = await call(settings, 'GET', `/databases/${name}`)
  if (found.status === 200) return { url: `libsql://${hostnameOf(found.json)}`, created: false }
  if (found.status !== 404) throw failure(`looking up database ${name}`, found.status)
  const made = await call(settings, 'POST', '/databases', {
    name,
    group,
    seed: { type: 'database', name: parent },
  })
  if (made.status !== 200 && made.status !== 201) throw failure(`creating database ${name}`, made.status)
  return { url: `libsql://${hostnameOf(made.json)}`, created: true }
}

/** Deletes the branch's database; one that is already gone is fine, any other failure is not. */
export async function deleteBranchDatabase(
  settings: TursoSettings,
  branch: string,
): Promise<'deleted' | 'absent'> {
  const name = branchDatabaseName(branch)
  const deleted = await call(settings, 'DELETE', `/databases/${name}`)
  if (deleted.status === 200) return 'deleted'
  if (deleted.status === 404) return 'absent'
  throw failure(`deleting database ${name}`, deleted.status)
}

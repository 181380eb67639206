import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import * as v from 'valibot'
import type { Database } from '../db/database'
import type { TenantMetadata } from '../db/metadata'
import { extensionRecords, keyEntries, profiles, type StoredAttribute } from '../db/tables'
import { ApiError } from '../http/errors'
import { commaList } from '../http/query'
import { parseOrThrow } from '../http/validate'
import { normalizeDateTime } from '../lib/time'
import type { KeyRow } from './core-attributes'
import { canonical } from './statements'

/** One identification value of the query: `<attr>=v` (core) or `<ext>.<attr>=v` (extension). */
export interface IdentifyFilter {
  /** NULL for a core attribute, else the lowercased extension name (as key sources are stored). */
  source: string | null
  /** Core: the lowercased attribute name; extension: the attribute name as declared. */
  attribute: string
  value: string
}

/** The options of Identify Customer; every other parameter is an attribute filter. */
export const IdentifyQuery = v.object({
  id_key: v.optional(v.string()),
  include_profile: v.optional(
    v.pipe(
      v.string(),
      v.toLowerCase(),
      v.picklist(['yes', 'no', 'true', 'false'], 'must be yes or no'),
      v.transform((value) => value === 'yes' || value === 'true'),
    ),
    'no',
  ),
  extensions: commaList,
  include_extensions: v.optional(
    v.pipe(v.string(), v.toLowerCase(), v.picklist(['always', 'unique'], 'must be always or unique')),
    'always',
  ),
})

const RESERVED = new Set(['id_key', 'include_profile', 'extensions', 'include_extensions'])

/** Values are compared in their stored form: date-times as UTC with milliseconds, booleans lowercased. */
function storedForm(attribute: StoredAttribute, value: string): string {
  if (attribute.type === 'datetime') return normalizeDateTime(value) ?? value
  if (attribute.type === 'boolean') return value.toLowerCase()
  return value
}

/**
 * The options and identification filters of an Identify query. `params` are the query's pairs in
 * order (from `URLSearchParams`, so a name such as `__proto__` is kept like any other). Filters that
 * name the same attribute (case-insensitively) with the same value are one filter; more than the
 * configured number → 400 `too_many_filters`, before any SQL is built (docs/behaviour.md#limits).
 */
export function parseIdentifyQuery(params: [string, string][], metadata: TenantMetadata) {
  const options = parseOrThrow(IdentifyQuery, Object.fromEntries(params), 'invalid_parameter')
  const filters = new Map<string, IdentifyFilter>()
  const add = (filter: IdentifyFilter) =>
    filters.set(JSON.stringify([filter.source, filter.attribute, filter.value]), filter)
  for (const [name, value] of params) {
    if (RESERVED.has(name)) continue
    const dot = name.indexOf('.')
    if (dot === -1) {
      const core = metadata.profile.attribute(name)
      if (core) add({ source: null, attribute: core.key, value: storedForm(core.attribute, value) })
      continue
    }
    // Unknown parameters are ignored (docs/behaviour.md#errors).
    const extension = metadata.extension('profile', name.slice(0, dot))
    const attributeName = name.slice(dot + 1).toLowerCase()
    const attribute = extension?.definition.attributes.find((a) => a.name.toLowerCase() === attributeName)
    if (attribute?.encrypt) {
      // Stored as ciphertext, it cannot be compared (docs/behaviour.md#encrypted-attributes).
      throw new ApiError('invalid_parameter', 'an encrypted attribute cannot be an identification filter')
    }
    if (extension && attribute) {
      add({
        source: extension.definition.name.toLowerCase(),
        attribute: attribute.name,
        value: storedForm(attribute, value),
      })
    }
  }
  const limit = metadata.limits.identifyFilters
  if (filters.size > limit) {
    throw new ApiError('too_many_filters', `an Identify query takes at most ${limit} distinct filters`)
  }
  return { ...options, filters: [...filters.values()] }
}

function sameAttribute(key: KeyRow, attribute: string, filter: IdentifyFilter): boolean {
  if (filter.source !== key.source) return false
  return key.source === null ? filter.attribute === attribute.toLowerCase() : filter.attribute === attribute
}

/** How many of the key's attributes, from the left, the filters give (docs/behaviour.md#identify). */
function coveredPrefix(key: KeyRow, filters: IdentifyFilter[]): IdentifyFilter[] {
  const prefix: IdentifyFilter[] = []
  for (const attribute of key.attributes) {
    const filter = filters.find((f) => sameAttribute(key, attribute, f))
    if (!filter) break
    prefix.push(filter)
  }
  return prefix
}

/**
 * The key to look up with, and the filters it covers. Named by `id_key`, or chosen by the documented
 * scoring: the first key (lowest id) whose attributes are all given; else the key with the longest
 * covered prefix, ties to the lowest id. No key scoring above 0 → 400 (docs/behaviour.md#identify).
 */
export function chooseKey(keys: KeyRow[], filters: IdentifyFilter[], idKey?: string) {
  const candidates = idKey === undefined ? keys : keys.filter((key) => key.nameKey === idKey.toLowerCase())
  if (idKey !== undefined && !candidates.length) {
    throw new ApiError('no_identification_key', 'no identification key has the name given in id_key')
  }
  let best: { key: KeyRow; prefix: IdentifyFilter[] } | undefined
  for (const key of candidates) {
    const prefix = coveredPrefix(key, filters)
    if (prefix.length === key.attributes.length) return { key, prefix }
    if (prefix.length > (best?.prefix.length ?? 0)) best = { key, prefix }
  }
  if (!best) throw new ApiError('no_identification_key', 'the given attributes cover no identification key')
  return best
}

/** A filter outside the key prefix narrows the matches (docs/behaviour.md#identify). */
function narrowing(tenant: string, filter: IdentifyFilter): SQL {
  if (filter.source === null) {
    return sql`EXISTS (SELECT 1 FROM json_each(${profiles.attributes}) a JOIN json_each(a.value) x WHERE a.key = ${filter.attribute} AND ${canonical('x')} = ${filter.value})`
  }
  return sql`EXISTS (SELECT 1 FROM ${extensionRecords} r JOIN json_each(r.data) x ON x.key = ${filter.attribute} WHERE r.tenant = ${tenant} AND r.owner_kind = 'profile' AND r.owner_id = ${profiles.id} AND r.extension = ${filter.source} AND ${canonical('x')} = ${filter.value})`
}

/** Which profiles match: an index lookup on the key's covered prefix, then the other filters. */
export function identifiedWhere(
  db: Database,
  tenant: string,
  choice: { key: KeyRow; prefix: IdentifyFilter[] },
  filters: IdentifyFilter[],
): SQL {
  const columns = [keyEntries.v1, keyEntries.v2, keyEntries.v3, keyEntries.v4, keyEntries.v5]
  const entries = db
    .select({ id: keyEntries.profileId })
    .from(keyEntries)
    .where(
      and(
        eq(keyEntries.tenant, tenant),
        eq(keyEntries.keyId, choice.key.id),
        ...choice.prefix.map((filter, i) => eq(columns[i], filter.value)),
      ),
    )
  const others = filters.filter((filter) => !choice.prefix.includes(filter))
  return and(
    eq(profiles.tenant, tenant),
    inArray(profiles.id, entries),
    ...others.map((filter) => narrowing(tenant, filter)),
  ) as SQL
}

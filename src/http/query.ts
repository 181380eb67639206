import * as v from 'valibot'
import type { TenantMetadata } from '../db/metadata'
import type { OwnerKind } from '../db/tables'
import { timestamp } from '../events/fields'
import type { ExtensionValidator } from '../extension-schemas/validator'
import { ApiError } from './errors'
import { parseOrThrow } from './validate'

/** `true`/`false`, case-insensitive; absent is false; anything else is 400 (docs/behaviour.md#lists). */
const flag = v.optional(
  v.pipe(
    v.string(),
    v.toLowerCase(),
    v.picklist(['true', 'false'], 'must be true or false'),
    v.transform((value) => value === 'true'),
  ),
  'false',
)

/** Most distinct items a comma list may hold: each becomes a bound SQL variable (docs/behaviour.md#limits). */
export const MAX_LIST_ITEMS = 100

/** A well-formed decimal id (64-bit ids have at most 20 digits; longer ones are refused). */
const ID = /^[1-9]\d{0,39}$/

/** A comma list (URL-encoded commas arrive decoded); empty and repeated items are ignored. */
export const commaList = v.optional(
  v.pipe(
    v.string(),
    v.transform((value) => [
      ...new Set(
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
    ]),
    v.maxLength(MAX_LIST_ITEMS, `must list at most ${MAX_LIST_ITEMS} distinct items`),
  ),
  '',
)

/** An optional timestamp (docs/behaviour.md#event-fields), normalised to UTC with milliseconds. */
const timestampParam = v.optional(timestamp)

export const ServiceReadQuery = v.object({
  active_states: flag,
  completed_states: flag,
  active_tasks: flag,
  completed_tasks: flag,
  extensions: commaList,
  /** Query Services only: bounds of `started.timestamp`, both inclusive (docs/behaviour.md#lists). */
  started_from: timestampParam,
  started_to: timestampParam,
})
export type ServiceReadOptions = v.InferOutput<typeof ServiceReadQuery>

export const StateReadQuery = v.object({
  active_tasks: flag,
  completed_tasks: flag,
  extensions: commaList,
  state_types: commaList,
})

export const TaskReadQuery = v.object({
  extensions: commaList,
  task_types: commaList,
  state_id: v.optional(v.pipe(v.string(), v.regex(ID, 'must be a positive integer'), v.transform(toId))),
})

export function parseQuery<S extends v.GenericSchema>(
  schema: S,
  query: Record<string, string>,
): v.InferOutput<S> {
  return parseOrThrow(schema, query, 'invalid_parameter')
}

/** No row has this id (ids start at 1): what an id beyond 2^53−1 resolves to. */
export const ABSENT_ID = 0

/**
 * A path or query id: a positive decimal integer, else 400 (docs/behaviour.md#identifiers). One beyond
 * 2^53−1 (a migrated 64-bit id) cannot exist here: it resolves to an id no row has, so the request
 * answers 404 like any other id that does not exist.
 */
export function toId(text: string): number {
  const id = Number(text)
  return Number.isSafeInteger(id) ? id : ABSENT_ID
}

export function parseId(value: string | undefined, name: string): number {
  if (value === undefined || !ID.test(value)) {
    throw new ApiError('invalid_parameter', `${name} must be a positive integer`, [
      { path: name, message: 'must be a positive integer' },
    ])
  }
  return toId(value)
}

/** The validators of the extensions named in `extensions=`; an unregistered one is 400 (docs/behaviour.md#lists). */
export function requestedExtensions(
  metadata: TenantMetadata,
  kind: OwnerKind,
  names: string[],
): ExtensionValidator[] {
  const validators: ExtensionValidator[] = []
  for (const name of names) {
    const validator = metadata.extension(kind, name)
    if (!validator) {
      throw new ApiError('unknown_extension', `no ${kind} extension of that name is registered`, [
        { path: 'extensions', message: `names an unregistered ${kind} extension` },
      ])
    }
    if (!validators.includes(validator)) validators.push(validator)
  }
  return validators
}

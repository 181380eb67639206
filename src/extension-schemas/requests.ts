import * as v from 'valibot'
import { ATTRIBUTE_TYPES, type OwnerKind, type StoredAttribute } from '../db/tables'
import { EVENT_KEYS as EVENT_FIELD_KEYS } from '../events/events'
import { ApiError, type FieldIssue } from '../http/errors'
import { looseBoolean, parseOrThrow, toFieldIssues } from '../http/validate'
import { maxChars } from '../lib/text'
import { attributeValueSchema } from './attribute-values'
import type { ExtensionDefinition } from './validator'

export const SCHEMA_NAME = /^[A-Za-z][A-Za-z0-9_]{0,25}$/

/** Field and representation keys of each owner kind: no extension may shadow them (docs/behaviour.md#extension-schemas). */
const EVENT_KEYS = [...EVENT_FIELD_KEYS, 'started', 'completed', 'est_duration']
export const RESERVED_NAMES: Record<OwnerKind, readonly string[]> = {
  service: [
    ...EVENT_KEYS,
    'service_id',
    'service_type',
    'customer_id',
    'contact_key',
    'active_states',
    'completed_states',
    'active_tasks',
    'completed_tasks',
  ],
  state: [
    ...EVENT_KEYS,
    'service_id',
    'state_id',
    'state_type',
    'previous_state_id',
    'active_tasks',
    'completed_tasks',
    'from',
    'to',
  ],
  task: [...EVENT_KEYS, 'service_id', 'task_id', 'task_type', 'state_id'],
  profile: ['customer_id'],
}

/** `"3"` is accepted because real clients send it (docs/behaviour.md#extension-schemas). */
const looseLength = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,9}$/))], 'must be a positive integer'),
  v.transform(Number),
  v.integer('must be a positive integer'),
  v.minValue(1, 'must be a positive integer'),
)

const AttributeName = v.pipe(
  v.string('must be a string'),
  v.minLength(1, 'must not be empty'),
  maxChars(64),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
  v.regex(/^[^.,\u0000-\u001f\u007f]+$/, 'must not contain ".", "," or control characters'),
)

const AttributeBody = v.strictObject({
  name: AttributeName,
  type: v.pipe(
    v.string('must be a string'),
    v.toLowerCase(),
    v.picklist(ATTRIBUTE_TYPES, `must be one of ${ATTRIBUTE_TYPES.join(', ')}`),
  ),
  length: v.optional(looseLength),
  mandatory: v.optional(looseBoolean),
  default: v.optional(v.union([v.string(), v.number(), v.boolean()], 'must be a string, number or boolean')),
})

export const ExtensionSchemaBody = v.strictObject({
  name: v.pipe(
    v.string('must be a string'),
    v.regex(SCHEMA_NAME, 'must start with a letter, then letters, digits or _, at most 26 characters'),
  ),
  type: v.pipe(
    v.string('must be a string'),
    v.toLowerCase(),
    v.picklist(['single-valued', 'multi-valued'], 'must be single-valued or multi-valued'),
  ),
  attributes: v.optional(v.array(AttributeBody, 'must be an array')),
  unique: v.optional(v.array(v.string('must be a string'), 'must be an array')),
})

/** Checks a list of attribute definitions and returns them in stored form (defaults canonicalised). */
export function parseAttributes(input: unknown, path = 'attributes'): StoredAttribute[] {
  const parsed = parseOrThrow(v.array(AttributeBody, 'must be an array'), input, 'validation_failed', path)
  const issues: FieldIssue[] = []
  const seen = new Set<string>()
  const attributes = parsed.map((attr, index): StoredAttribute => {
    const lower = attr.name.toLowerCase()
    if (seen.has(lower))
      issues.push({ path: `${path}[${index}].name`, message: 'is not unique (case-insensitive)' })
    seen.add(lower)
    const stored: StoredAttribute = { name: attr.name, type: attr.type }
    if (attr.length !== undefined && attr.type === 'string') stored.length = attr.length
    if (attr.mandatory !== undefined) stored.mandatory = attr.mandatory
    if (attr.default !== undefined) {
      const result = v.safeParse(attributeValueSchema(stored), attr.default)
      if (result.success) stored.default = result.output as StoredAttribute['default']
      else issues.push(...toFieldIssues(result.issues, `${path}[${index}].default`))
    }
    return stored
  })
  if (issues.length) throw new ApiError('validation_failed', undefined, issues)
  return attributes
}

/** Validates a Create Extension Schema body for one owner kind (docs/behaviour.md#extension-schemas). */
export function parseExtensionSchema(
  ownerKind: OwnerKind,
  body: unknown,
  extraReservedNames: readonly string[] = [],
): ExtensionDefinition {
  const parsed = parseOrThrow(ExtensionSchemaBody, body)
  const lowerName = parsed.name.toLowerCase()
  if ([...RESERVED_NAMES[ownerKind], ...extraReservedNames].some((n) => n.toLowerCase() === lowerName)) {
    throw new ApiError('reserved_name', 'the name is a field name of this resource', [
      { path: 'name', message: 'is reserved' },
    ])
  }
  if (parsed.attributes === undefined && ownerKind !== 'profile') {
    throw new ApiError('validation_failed', undefined, [{ path: 'attributes', message: 'is required' }])
  }
  const attributes = parseAttributes(parsed.attributes ?? [])
  const multiValued = parsed.type === 'multi-valued'
  let unique: string[] | null = null
  if (parsed.unique !== undefined && parsed.unique.length > 0) {
    if (!multiValued) {
      throw new ApiError('validation_failed', undefined, [
        { path: 'unique', message: 'is only allowed on a multi-valued extension' },
      ])
    }
    const issues: FieldIssue[] = []
    const names = new Set<string>()
    unique = parsed.unique.map((name, index) => {
      const attribute = attributes.find((a) => a.name.toLowerCase() === name.toLowerCase())
      if (!attribute)
        issues.push({ path: `unique[${index}]`, message: 'is not an attribute of this extension' })
      else if (names.has(attribute.name))
        issues.push({ path: `unique[${index}]`, message: 'is listed twice' })
      const declared = attribute?.name ?? name
      names.add(declared)
      return declared
    })
    if (issues.length) throw new ApiError('validation_failed', undefined, issues)
    // The record key is built in schema order (docs/behaviour.md#extension-schemas).
    unique = attributes.map((a) => a.name).filter((n) => names.has(n))
  }
  return { name: parsed.name, multiValued, attributes, unique }
}

/** The schema as the API emits it. */
export function extensionSchemaJson(definition: ExtensionDefinition) {
  return {
    name: definition.name,
    type: definition.multiValued ? 'multi-valued' : 'single-valued',
    attributes: definition.attributes,
    ...(definition.unique ? { unique: definition.unique } : {}),
  }
}
export type { OwnerKind } from '../db/tables'

/** A schema as `GET` emits it. */
export const ExtensionSchemaSchema = v.object({
  name: v.string(),
  type: v.picklist(['single-valued', 'multi-valued']),
  attributes: v.array(v.looseObject({ name: v.string(), type: v.string() })),
  unique: v.optional(v.array(v.string())),
})

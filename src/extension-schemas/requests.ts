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

/**
 * `"3"` is accepted because real clients send it; `0` means no limit, as the vendor's own schema
 * export prints it (docs/behaviour.md#extension-schemas).
 */
const looseLength = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,9}$/))], 'must be a non-negative integer'),
  v.transform(Number),
  v.integer('must be a non-negative integer'),
  v.minValue(0, 'must be a non-negative integer'),
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
  /** `true` is the same as listing the attribute in the schema's `unique`. */
  unique: v.optional(looseBoolean),
  /** Values encrypted at rest (docs/behaviour.md#encrypted-attributes). */
  encrypt: v.optional(looseBoolean),
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
    v.check((type) => type !== 'classifier', 'classifier (an 8.0 type) is not supported: use single-valued'),
    v.picklist(['single-valued', 'multi-valued'], 'must be single-valued or multi-valued'),
  ),
  attributes: v.optional(v.array(AttributeBody, 'must be an array')),
  unique: v.optional(v.array(v.string('must be a string'), 'must be an array')),
  /** Profile extension schemas only: recorded and printed as the vendor's export carries it. */
  required: v.optional(looseBoolean),
})

/** An attribute definition as a request gives it: the stored form and its per-attribute `unique` flag. */
interface ParsedAttribute {
  stored: StoredAttribute
  unique: boolean
}

function parseAttributeList(input: unknown, path: string): ParsedAttribute[] {
  const parsed = parseOrThrow(v.array(AttributeBody, 'must be an array'), input, 'validation_failed', path)
  const issues: FieldIssue[] = []
  const seen = new Set<string>()
  const attributes = parsed.map((attr, index): ParsedAttribute => {
    const lower = attr.name.toLowerCase()
    if (seen.has(lower))
      issues.push({ path: `${path}[${index}].name`, message: 'is not unique (case-insensitive)' })
    seen.add(lower)
    const stored: StoredAttribute = { name: attr.name, type: attr.type }
    // `length: 0` is no limit; a length bounds strings only (docs/behaviour.md#extension-schemas).
    if (attr.length && attr.type === 'string') stored.length = attr.length
    if (attr.mandatory !== undefined) stored.mandatory = attr.mandatory
    if (attr.encrypt) stored.encrypt = true
    if (attr.default !== undefined) {
      const result = v.safeParse(attributeValueSchema(stored), attr.default)
      if (result.success) stored.default = result.output as StoredAttribute['default']
      else issues.push(...toFieldIssues(result.issues, `${path}[${index}].default`))
    }
    return { stored, unique: attr.unique === true }
  })
  if (issues.length) throw new ApiError('validation_failed', undefined, issues)
  return attributes
}

/**
 * Checks the core attributes of a profile schema and returns them in stored form (defaults
 * canonicalised). `unique` and `encrypt` belong to extension attributes: `false` is accepted so that
 * a printed attribute loads back, `true` is refused.
 */
export function parseAttributes(input: unknown, path = 'attributes'): StoredAttribute[] {
  const attributes = parseAttributeList(input, path)
  const issues: FieldIssue[] = []
  attributes.forEach(({ stored, unique }, index) => {
    if (unique)
      issues.push({ path: `${path}[${index}].unique`, message: 'is not supported on core attributes' })
    if (stored.encrypt)
      issues.push({ path: `${path}[${index}].encrypt`, message: 'is not supported on core attributes' })
  })
  if (issues.length) throw new ApiError('validation_failed', undefined, issues)
  return attributes.map(({ stored }) => stored)
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
  if (parsed.required !== undefined && ownerKind !== 'profile') {
    throw new ApiError('validation_failed', undefined, [
      { path: 'required', message: 'is only allowed on a profile extension schema' },
    ])
  }
  const parsedAttributes = parseAttributeList(parsed.attributes ?? [], 'attributes')
  const attributes = parsedAttributes.map(({ stored }) => stored)
  const multiValued = parsed.type === 'multi-valued'
  // The unique attributes: listed in the schema's `unique`, flagged `unique: true`, or both.
  const issues: FieldIssue[] = []
  const names = new Set<string>()
  parsed.unique?.forEach((name, index) => {
    const attribute = attributes.find((a) => a.name.toLowerCase() === name.toLowerCase())
    if (!attribute)
      issues.push({ path: `unique[${index}]`, message: 'is not an attribute of this extension' })
    else if (names.has(attribute.name)) issues.push({ path: `unique[${index}]`, message: 'is listed twice' })
    else names.add(attribute.name)
  })
  parsedAttributes.forEach(({ stored, unique }, index) => {
    if (unique) names.add(stored.name)
    if (
      stored.encrypt &&
      (unique || parsed.unique?.some((n) => n.toLowerCase() === stored.name.toLowerCase()))
    )
      issues.push({ path: `attributes[${index}].encrypt`, message: 'cannot be combined with unique' })
  })
  if (issues.length) throw new ApiError('validation_failed', undefined, issues)
  if (names.size && !multiValued) {
    throw new ApiError('validation_failed', undefined, [
      { path: 'unique', message: 'is only allowed on a multi-valued extension' },
    ])
  }
  // The record key is built in schema order (docs/behaviour.md#extension-schemas).
  const unique = names.size ? attributes.map((a) => a.name).filter((n) => names.has(n)) : null
  return {
    name: parsed.name,
    multiValued,
    attributes,
    unique,
    ...(ownerKind === 'profile' ? { required: parsed.required ?? false } : {}),
  }
}

/**
 * The schema as the API emits it: the vendor's full shape, every attribute with all its properties,
 * so that a body read here creates the same schema elsewhere (docs/behaviour.md#extension-schemas).
 */
export function extensionSchemaJson(definition: ExtensionDefinition) {
  const unique = definition.unique ?? []
  return {
    name: definition.name,
    type: definition.multiValued ? 'multi-valued' : 'single-valued',
    attributes: definition.attributes.map((attribute) => ({
      name: attribute.name,
      type: attribute.type,
      length: attribute.length ?? 0,
      mandatory: attribute.mandatory ?? false,
      unique: unique.includes(attribute.name),
      encrypt: attribute.encrypt ?? false,
      ...(attribute.default !== undefined ? { default: attribute.default } : {}),
    })),
    unique,
    ...(definition.required != null ? { required: definition.required } : {}),
  }
}
export type { OwnerKind } from '../db/tables'

/** An attribute as `GET` emits it. */
const AttributeSchema = v.object({
  name: v.string(),
  type: v.picklist(ATTRIBUTE_TYPES),
  length: v.number(),
  mandatory: v.boolean(),
  unique: v.boolean(),
  encrypt: v.boolean(),
  default: v.optional(v.union([v.string(), v.number(), v.boolean()])),
})

/** A schema as `GET` emits it. */
export const ExtensionSchemaSchema = v.object({
  name: v.string(),
  type: v.picklist(['single-valued', 'multi-valued']),
  attributes: v.array(AttributeSchema),
  unique: v.array(v.string()),
  required: v.optional(v.boolean()),
})

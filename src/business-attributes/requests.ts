import * as v from 'valibot'
import type { BusinessAttributeValue } from '../db/tables'
import { unsignedInteger } from '../events/fields'
import { ApiError, type FieldIssue } from '../http/errors'
import { looseBoolean } from '../http/validate'
import { maxChars, noControlCharacters } from '../lib/text'

/** Most values one business attribute holds: a picker, not a table (docs/behaviour.md#business-attributes). */
export const MAX_VALUES = 1000

/** A business attribute name as Configuration Server allows it: letters, digits, space, `_ . -`. */
export const BUSINESS_ATTRIBUTE_NAME = /^[A-Za-z0-9_.\- ]{1,64}$/

const RESOURCES = ['Service', 'State', 'Task'] as const
const FIELDS = ['type', 'disposition', 'application_type', 'resource_type', 'media_type'] as const

/**
 * The canonical name of a Context Services field a business attribute describes: `Service.type`,
 * `Task.disposition`, … Resource and field match case-insensitively, and `Service.service_type`
 * (the spelling of the vendor's configuration page) is `Service.type`. Undefined when it names none.
 */
export function canonicalCvAttribute(text: string): string | undefined {
  const [resource, field, ...rest] = text.split('.')
  if (rest.length || field === undefined) return undefined
  const canonicalResource = RESOURCES.find((r) => r.toLowerCase() === resource.toLowerCase())
  if (!canonicalResource) return undefined
  const lowerField = field.toLowerCase()
  const canonicalField = lowerField === `${canonicalResource.toLowerCase()}_type` ? 'type' : lowerField
  return (FIELDS as readonly string[]).includes(canonicalField)
    ? `${canonicalResource}.${canonicalField}`
    : undefined
}

const text = (limit: number) => v.pipe(v.string('must be a string'), maxChars(limit), noControlCharacters)

const ValueBody = v.strictObject({
  name: v.pipe(text(255), v.nonEmpty('must not be empty')),
  dbid: unsignedInteger,
  display_name: v.optional(text(255)),
  description: v.optional(text(1024)),
})

export const BusinessAttributeBody = v.strictObject({
  /** Optional: the path names the attribute; when given it must be the same name. */
  name: v.optional(v.string('must be a string')),
  dbid: v.optional(unsignedInteger),
  display_name: v.optional(text(255)),
  description: v.optional(text(1024)),
  map_name: v.optional(looseBoolean),
  cv_attributes: v.optional(v.array(v.string('must be a string'), 'must be an array'), []),
  values: v.pipe(
    v.array(ValueBody, 'must be an array'),
    v.maxLength(MAX_VALUES, `must have at most ${MAX_VALUES} values`),
  ),
})

export interface BusinessAttributeDefinition {
  name: string
  dbid: number | null
  displayName: string
  description: string
  mapName: boolean | null
  cvAttributes: string[]
  values: BusinessAttributeValue[]
}

/** Checks a PUT body for the attribute named in the path: names and dbids of values are unique. */
export function parseBusinessAttribute(
  name: string,
  body: v.InferOutput<typeof BusinessAttributeBody>,
): BusinessAttributeDefinition {
  const issues: FieldIssue[] = []
  if (body.name !== undefined && body.name.toLowerCase() !== name.toLowerCase())
    issues.push({ path: 'name', message: 'must be the name in the path' })
  const cvAttributes: string[] = []
  body.cv_attributes.forEach((given, index) => {
    const canonical = canonicalCvAttribute(given)
    if (!canonical)
      issues.push({
        path: `cv_attributes[${index}]`,
        message:
          'must be Service, State or Task, a dot, then type, disposition, application_type, resource_type or media_type',
      })
    else if (cvAttributes.includes(canonical))
      issues.push({ path: `cv_attributes[${index}]`, message: 'is listed twice' })
    else cvAttributes.push(canonical)
  })
  const names = new Set<string>()
  const dbids = new Set<number>()
  body.values.forEach((value, index) => {
    if (names.has(value.name.toLowerCase()))
      issues.push({ path: `values[${index}].name`, message: 'is listed twice' })
    if (dbids.has(value.dbid)) issues.push({ path: `values[${index}].dbid`, message: 'is listed twice' })
    names.add(value.name.toLowerCase())
    dbids.add(value.dbid)
  })
  if (issues.length) throw new ApiError('validation_failed', undefined, issues)
  return {
    name,
    dbid: body.dbid ?? null,
    displayName: body.display_name ?? name,
    description: body.description ?? '',
    mapName: body.map_name ?? null,
    cvAttributes,
    values: body.values.map((value) => ({
      name: value.name,
      dbid: value.dbid,
      display_name: value.display_name ?? value.name,
      description: value.description ?? '',
    })),
  }
}

/** The `{name}` path parameter: 400 `invalid_parameter` unless it is a business attribute name. */
export function businessAttributeName(name: string): string {
  if (!BUSINESS_ATTRIBUTE_NAME.test(name))
    throw new ApiError(
      'invalid_parameter',
      'a business attribute name is 1 to 64 characters of A-Z a-z 0-9 space _ . -',
    )
  return name
}

import * as v from 'valibot'
import type { TenantMetadata } from '../db/metadata'
import type { ProfileValues } from '../db/tables'
import type { ExtensionWrite } from '../events/event-body'
import { customerId as customerIdSchema } from '../events/fields'
import type { ExtensionValidator } from '../extension-schemas/validator'
import type { JsonObject } from '../http/body'
import { ApiError, type FieldIssue } from '../http/errors'
import { parseOrThrow, toFieldIssues } from '../http/validate'

export interface ProfileBody {
  customerId?: string
  values: ProfileValues
  extensions: ExtensionWrite[]
}

/**
 * Splits a profile body (Create / Update Profile, Insert Extension Records) into `customer_id`, core
 * attributes and profile extensions; anything else is `unknown_field`. Core attributes take a
 * scalar or an array (first value primary, docs/behaviour.md#profiles); `null` or `[]` means absent.
 */
export function parseProfileBody(
  body: JsonObject,
  metadata: TenantMetadata,
  options: { coreAttributes: boolean },
): ProfileBody {
  const profile = metadata.profile
  const given = new Map<string, unknown>()
  const extensionInput = new Map<ExtensionValidator, unknown>()
  const unknown: FieldIssue[] = []
  let customerId: string | undefined
  for (const [key, value] of Object.entries(body)) {
    if (key === 'customer_id') {
      customerId = parseOrThrow(customerIdSchema, value, 'validation_failed', 'customer_id')
      continue
    }
    const core = options.coreAttributes ? profile.attribute(key) : undefined
    const extension = metadata.extension('profile', key)
    if (core && !given.has(core.key)) given.set(core.key, value)
    else if (extension && !extensionInput.has(extension)) extensionInput.set(extension, value)
    else if (core || extension)
      unknown.push({ path: key, message: 'is given twice (names are case-insensitive)' })
    else
      unknown.push({
        path: key,
        message: 'is neither a profile attribute nor a registered profile extension',
      })
  }
  if (unknown.length) throw new ApiError('unknown_field', undefined, unknown)

  const issues: FieldIssue[] = []
  const values = new Map<string, (string | number | boolean)[]>()
  const { valuesPerAttribute } = metadata.limits
  if (options.coreAttributes) {
    for (const { attribute, key, schema } of profile.attributes) {
      const raw = given.get(key)
      const list = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw]
      if (list.length === 0) {
        if (attribute.default !== undefined) values.set(key, [attribute.default])
        else if (attribute.mandatory) issues.push({ path: attribute.name, message: 'is mandatory' })
        continue
      }
      if (list.length > valuesPerAttribute) {
        throw new ApiError('too_many_values', `a core attribute holds at most ${valuesPerAttribute} values`, [
          { path: attribute.name, message: `has more than ${valuesPerAttribute} values` },
        ])
      }
      const parsed: (string | number | boolean)[] = []
      list.forEach((item, index) => {
        const path = Array.isArray(raw) ? `${attribute.name}[${index}]` : attribute.name
        const result = v.safeParse(schema, item)
        if (result.success) parsed.push(result.output as string | number | boolean)
        else issues.push(...toFieldIssues(result.issues, path))
      })
      values.set(key, parsed)
    }
  }
  const extensions: ExtensionWrite[] = []
  let extensionIssues = false
  for (const [validator, value] of extensionInput) {
    const result = validator.parseValue(value, validator.definition.name, metadata.limits.recordsPerExtension)
    if (result.issues.length) extensionIssues = true
    issues.push(...result.issues)
    extensions.push({ validator, records: result.records })
  }
  if (issues.length)
    throw new ApiError(extensionIssues ? 'invalid_extension_value' : 'validation_failed', undefined, issues)
  // Keyed by the tenant's attribute names: built from entries, `__proto__` is an own key like any
  // other (an assignment `values[key] = …` would set the prototype instead).
  return { customerId, values: Object.fromEntries(values) as ProfileValues, extensions }
}

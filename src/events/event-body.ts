import * as v from 'valibot'
import type { TenantMetadata } from '../db/metadata'
import type { OwnerKind } from '../db/tables'
import type { ExtensionValidator, ParsedRecord } from '../extension-schemas/validator'
import type { JsonObject } from '../http/body'
import { ApiError, type FieldIssue } from '../http/errors'
import { toFieldIssues } from '../http/validate'

/** A whole extension value to write: it replaces the owner's previous value (docs/behaviour.md#extension-writes). */
export interface ExtensionWrite {
  validator: ExtensionValidator
  records: ParsedRecord[]
}

/** The validated extension value of one extension (PUT …/extensions/{name}). */
export function parseExtensionWrite(
  metadata: TenantMetadata,
  kind: OwnerKind,
  name: string,
  value: unknown,
): ExtensionWrite {
  const validator = metadata.extension(kind, name)
  if (!validator) throw new ApiError('unknown_extension', `no ${kind} extension of that name is registered`)
  const { records, issues } = validator.parseValue(
    value,
    validator.definition.name,
    metadata.limits.recordsPerExtension,
  )
  if (issues.length) throw new ApiError('invalid_extension_value', undefined, issues)
  return { validator, records }
}

/**
 * Splits an event body into its event fields (checked by `schema`, whose entries name them) and the
 * registered extensions of `kind`; anything else is `unknown_field` (docs/behaviour.md#event-fields). All field and
 * extension issues are reported together.
 */
export function parseEventBody<S extends v.GenericSchema>(
  body: JsonObject,
  fieldNames: readonly string[],
  schema: S,
  metadata: TenantMetadata,
  kind: OwnerKind,
): { fields: v.InferOutput<S>; extensions: ExtensionWrite[] } {
  const fieldInput: JsonObject = {}
  const extensionInput = new Map<ExtensionValidator, unknown>()
  const unknown: FieldIssue[] = []
  for (const [key, value] of Object.entries(body)) {
    if (fieldNames.includes(key)) {
      fieldInput[key] = value
      continue
    }
    const validator = metadata.extension(kind, key)
    if (!validator)
      unknown.push({ path: key, message: `is neither a field nor a registered ${kind} extension` })
    else if (extensionInput.has(validator))
      unknown.push({ path: key, message: 'names an extension given twice' })
    else extensionInput.set(validator, value)
  }
  if (unknown.length) throw new ApiError('unknown_field', undefined, unknown)

  const issues: FieldIssue[] = []
  const parsed = v.safeParse(schema, fieldInput)
  if (!parsed.success) issues.push(...toFieldIssues(parsed.issues))
  const extensions: ExtensionWrite[] = []
  let extensionIssues = false
  for (const [validator, value] of extensionInput) {
    const result = validator.parseValue(value, validator.definition.name, metadata.limits.recordsPerExtension)
    if (result.issues.length) {
      issues.push(...result.issues)
      extensionIssues = true
    }
    extensions.push({ validator, records: result.records })
  }
  if (!parsed.success) throw new ApiError('validation_failed', undefined, issues)
  if (extensionIssues) throw new ApiError('invalid_extension_value', undefined, issues)
  return { fields: parsed.output, extensions }
}

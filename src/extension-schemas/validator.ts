import * as v from 'valibot'
import type { StoredAttribute } from '../db/tables'
import { isJsonObject } from '../http/body'
import { ApiError, type FieldIssue } from '../http/errors'
import { toFieldIssues } from '../http/validate'
import { attributeValueSchema } from './attribute-values'

/** What the validator needs of a stored extension schema. */
export interface ExtensionDefinition {
  name: string
  multiValued: boolean
  attributes: StoredAttribute[]
  unique: string[] | null
  /** Profile extension schemas: the vendor's schema-level `required`, recorded and printed. */
  required?: boolean | null
}

export interface ParsedRecord {
  data: Record<string, unknown>
  /** '' single-valued, JSON of the unique values, or null (docs/behaviour.md#extension-schemas; see `extensionRecords`). */
  recordKey: string | null
}

type RecordResult = { ok: true; data: Record<string, unknown> } | { ok: false; issues: FieldIssue[] }

/** Compiled once per schema and reused: one valibot schema per attribute. */
export class ExtensionValidator {
  readonly definition: ExtensionDefinition
  private readonly byLowerName: Map<string, { attribute: StoredAttribute; schema: v.GenericSchema }>

  constructor(definition: ExtensionDefinition) {
    this.definition = definition
    this.byLowerName = new Map(
      definition.attributes.map((attribute) => [
        attribute.name.toLowerCase(),
        { attribute, schema: attributeValueSchema(attribute) },
      ]),
    )
  }

  /** Checks one record. `partialOk` skips mandatory/default handling (delete by unique). */
  parseRecord(input: unknown, path: string, options: { applyDefaults?: boolean } = {}): RecordResult {
    const applyDefaults = options.applyDefaults ?? true
    if (!isJsonObject(input)) return { ok: false, issues: [{ path, message: 'must be an object' }] }
    const issues: FieldIssue[] = []
    const given = new Map<string, unknown>()
    for (const [key, value] of Object.entries(input)) {
      const lower = key.toLowerCase()
      if (!this.byLowerName.has(lower)) {
        issues.push({ path: `${path}.${key}`, message: 'is not an attribute of this extension' })
      } else if (given.has(lower)) {
        issues.push({ path: `${path}.${key}`, message: 'is given twice (names are case-insensitive)' })
      } else if (value !== null) {
        given.set(lower, value)
      }
    }
    const data = new Map<string, unknown>()
    for (const [lower, { attribute, schema }] of this.byLowerName) {
      const attributePath = `${path}.${attribute.name}`
      if (!given.has(lower)) {
        if (!applyDefaults) continue
        if (attribute.default !== undefined) data.set(attribute.name, attribute.default)
        else if (attribute.mandatory) issues.push({ path: attributePath, message: 'is mandatory' })
        continue
      }
      const result = v.safeParse(schema, given.get(lower))
      if (result.success) data.set(attribute.name, result.output)
      else issues.push(...toFieldIssues(result.issues, attributePath))
    }
    // Attribute names are the tenant's: built from entries, `__proto__` is an own key like any other
    // (an assignment `data[name] = …` would set the prototype instead).
    return issues.length ? { ok: false, issues } : { ok: true, data: Object.fromEntries(data) }
  }

  recordKey(data: Record<string, unknown>): string | null {
    const { multiValued, unique } = this.definition
    if (!multiValued) return ''
    if (!unique?.length) return null
    return JSON.stringify(unique.map((name) => data[name] ?? null))
  }

  /**
   * A whole extension value: an object (single-valued) or an array of at most `maxRecords` objects
   * (multi-valued; more → 400 `too_many_records`, checked before any record is parsed).
   */
  parseValue(
    value: unknown,
    path: string,
    maxRecords: number,
  ): { records: ParsedRecord[]; issues: FieldIssue[] } {
    const { multiValued } = this.definition
    if (!multiValued) {
      const result = this.parseRecord(value, path)
      if (!result.ok) return { records: [], issues: result.issues }
      return { records: [{ data: result.data, recordKey: '' }], issues: [] }
    }
    if (!Array.isArray(value)) {
      return { records: [], issues: [{ path, message: 'must be an array of records (multi-valued)' }] }
    }
    if (value.length > maxRecords) {
      throw new ApiError('too_many_records', `an extension holds at most ${maxRecords} records per owner`, [
        { path, message: `has more than ${maxRecords} records` },
      ])
    }
    const records: ParsedRecord[] = []
    const issues: FieldIssue[] = []
    const seen = new Set<string>()
    value.forEach((item, index) => {
      const result = this.parseRecord(item, `${path}[${index}]`)
      if (!result.ok) {
        issues.push(...result.issues)
        return
      }
      const recordKey = this.recordKey(result.data)
      if (recordKey !== null) {
        if (seen.has(recordKey)) {
          issues.push({
            path: `${path}[${index}]`,
            message: 'repeats the unique attributes of another record',
          })
          return
        }
        seen.add(recordKey)
      }
      records.push({ data: result.data, recordKey })
    })
    return { records, issues }
  }
}

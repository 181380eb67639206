import * as v from 'valibot'
import type { StoredAttribute } from '../db/tables'
import { maxChars, plainDecimal } from '../lib/text'
import { isIsoDate, normalizeDateTime } from '../lib/time'

/** The exact text of a JSON number (what a string must be to stand for a `double`). */
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * A valibot schema that checks one attribute value. A JSON string is also accepted for a typed
 * attribute when it is the exact text of a value of that type (ORS and VXML variables are strings:
 * docs/behaviour.md#extension-schemas), and stored as the typed value.
 */
export function attributeValueSchema(attribute: StoredAttribute): v.GenericSchema<unknown, unknown> {
  switch (attribute.type) {
    case 'boolean':
      return v.union(
        [
          v.boolean(),
          v.pipe(
            v.string(),
            v.toLowerCase(),
            v.picklist(['true', 'false']),
            v.transform((text) => text === 'true'),
          ),
        ],
        'must be a boolean (or the text true or false)',
      )
    case 'string':
      return attribute.length === undefined
        ? v.string('must be a string')
        : v.pipe(v.string('must be a string'), maxChars(attribute.length))
    case 'integer':
      return v.pipe(
        v.union(
          [v.number(), v.pipe(v.string(), v.regex(/^-?[0-9]{1,10}$/), v.transform(Number))],
          'must be a 32-bit integer',
        ),
        v.integer('must be a 32-bit integer'),
        v.minValue(-2147483648, 'must be a 32-bit integer'),
        v.maxValue(2147483647, 'must be a 32-bit integer'),
      )
    case 'long':
      return v.union(
        [
          v.pipe(v.number(), v.safeInteger()),
          v.pipe(
            v.string(),
            v.regex(/^-?\d{1,19}$/),
            v.check((text) => {
              const n = BigInt(text)
              return n >= INT64_MIN && n <= INT64_MAX
            }),
            v.transform((text) => {
              const n = BigInt(text)
              return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
                ? Number(n)
                : n.toString()
            }),
          ),
        ],
        'must be a 64-bit integer (a JSON number up to 2^53-1, or a decimal string)',
      )
    case 'double':
      return v.pipe(
        v.union(
          [v.number(), v.pipe(v.string(), v.regex(JSON_NUMBER), v.transform(Number))],
          'must be a number',
        ),
        v.finite('must be a number'),
      )
    case 'date':
      return v.pipe(v.string('must be a date YYYY-MM-DD'), v.check(isIsoDate, 'must be a date YYYY-MM-DD'))
    case 'datetime':
      return v.pipe(
        v.string('must be an ISO 8601 date-time'),
        v.rawTransform(({ dataset, addIssue, NEVER }) => {
          const normalized = normalizeDateTime(dataset.value)
          if (normalized !== undefined) return normalized
          addIssue({ message: 'must be an ISO 8601 date-time with Z or an offset' })
          return NEVER
        }),
      )
    case 'currency':
      return v.union(
        [
          v.pipe(v.number(), v.finite(), v.transform(plainDecimal)),
          v.pipe(v.string(), v.regex(/^-?\d+(\.\d+)?$/)),
        ],
        'must be a decimal number or decimal string',
      )
  }
}

import * as v from 'valibot'
import { maxChars, noControlCharacters } from '../lib/text'
import { normalizeDateTime } from '../lib/time'

/** "long or string" business attribute (docs/behaviour.md#event-fields): kept as the JSON type the client sent. */
export const longOrString = v.union(
  [v.pipe(v.number(), v.safeInteger()), v.pipe(v.string(), v.nonEmpty(), maxChars(255))],
  'must be an integer or a non-empty string of at most 255 characters',
)

/** Non-negative integer id or count; a numeric string such as "42" is accepted as 42. */
export const unsignedInteger = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,16}$/))], 'must be a non-negative integer'),
  v.transform(Number),
  v.safeInteger('must be a non-negative integer'),
  v.minValue(0, 'must be a non-negative integer'),
)

/** String event field; a JSON integer is accepted and kept as its decimal string (E9). */
export function eventString(maxLength: number) {
  return v.pipe(
    v.union([v.string(), v.pipe(v.number(), v.safeInteger(), v.transform(String))], 'must be a string'),
    maxChars(maxLength),
  )
}

export const customerId = v.pipe(
  eventString(16),
  v.regex(/^[A-Za-z0-9_.@+-]{1,16}$/, 'must be 1 to 16 characters of A-Z a-z 0-9 _ . @ + -'),
)

export const contactKey = v.pipe(eventString(128), v.nonEmpty('must not be empty'), noControlCharacters)

/** ISO 8601 with `Z` or an offset, normalised to UTC with milliseconds (docs/behaviour.md#event-fields). */
export const timestamp = v.pipe(
  v.string('must be an ISO 8601 date-time string'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const normalized = normalizeDateTime(dataset.value)
    if (normalized === undefined) {
      addIssue({ message: 'must be an ISO 8601 date-time with Z or an offset' })
      return NEVER
    }
    return normalized
  }),
)

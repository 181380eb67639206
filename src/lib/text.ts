import * as v from 'valibot'

/**
 * Text rules of docs/behaviour.md#event-fields: lengths count Unicode characters (code points), not UTF-16 units;
 * a lone surrogate is refused anywhere (stored as UTF-8 it would become U+FFFD, so two different keys
 * would merge into one).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text)
}

/** Characters as a person counts them: an astral character (an emoji) is one, not two. */
export function codePointLength(text: string): number {
  let length = text.length
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--
        i++
      }
    }
  }
  return length
}

/** At most `max` characters (code points). */
export function maxChars(max: number, message = `must be at most ${max} characters`) {
  return v.check((text: string) => codePointLength(text) <= max, message)
}

/** No NUL or other control character: for keys and ids that are compared and printed as text. */
export const noControlCharacters = v.check(
  (text: string) => !CONTROL_CHARACTER.test(text),
  'must not contain control characters',
)

/**
 * A number as a plain decimal string, never in exponent form (`1e+21` → `1000000000000000000000`,
 * `1e-7` → `0.0000001`): what `currency` values are stored and emitted as.
 */
export function plainDecimal(value: number): string {
  const text = String(value)
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (!match) return text
  const [, sign, lead, fraction = '', exponentText] = match
  const digits = lead + fraction
  const point = 1 + Number(exponentText)
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

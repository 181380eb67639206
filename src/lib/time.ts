const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/

/** Milliseconds in 400 Gregorian years: the calendar repeats exactly after them. */
const FOUR_CENTURIES_MS = 146_097 * 86_400_000

/**
 * `Date.UTC` that keeps years 0–99 (it maps them to 1900–1999): such a year is computed 400 years
 * later, where the calendar is the same, and moved back (docs/behaviour.md#event-fields).
 */
function utcMillis(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  if (year >= 100) return Date.UTC(year, month, day, hour, minute, second, ms)
  return Date.UTC(year + 400, month, day, hour, minute, second, ms) - FOUR_CENTURIES_MS
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMillis(year, month, 0)).getUTCDate()
}

/** Years 0001–9999 only: what the stored form `YYYY-…` can hold. */
function validDate(year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/**
 * Parses an ISO 8601 date-time with `Z` or an offset and returns it as UTC with milliseconds
 * (`YYYY-MM-DDTHH:mm:ss.SSSZ`, docs/behaviour.md#event-fields), or undefined when it is not one. Unlike `Date.parse`,
 * impossible dates (February 30th, hour 25) are rejected instead of rolled over.
 */
export function normalizeDateTime(text: string): string | undefined {
  const m = ISO_DATETIME.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const millis = Number(frac.padEnd(3, '0').slice(0, 3))
  const utc = new Date(utcMillis(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000)
  // An offset can move the instant out of 0001–9999, where the stored form cannot hold it.
  const utcYear = utc.getUTCFullYear()
  if (utcYear < 1 || utcYear > 9999) return undefined
  return utc.toISOString()
}

/** A calendar date `YYYY-MM-DD` that exists. */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text)
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]))
}

export function nowIso(): string {
  return new Date().toISOString()
}

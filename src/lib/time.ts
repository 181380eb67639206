const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function validDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/**
 * Parses an ISO 8601 date-time with `Z` or an offset and returns it as UTC with milliseconds
 * (`YYYY-MM-DDTHH:mm:ss.SSSZ`, decisions 5.4), or undefined when it is not one. Unlike `Date.parse`,
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
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000
  return new Date(utc).toISOString()
}

/** A calendar date `YYYY-MM-DD` that exists. */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text)
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]))
}

export function nowIso(): string {
  return new Date().toISOString()
}

/**
 * The name of a branch's preview alias and database: `branchSlug(branch)`.
 *
 * Always valid: lowercase letters, digits and '-', starting with a letter, at most 32 characters, so
 * that `<slug>-context-edge-preview` stays one DNS label (≤ 63) and `ce-<slug>` a Turso database name.
 * Injective: a branch name that is already such a slug is kept as it is; any other one (upper case,
 * punctuation, non-ASCII, too long, starting with a digit) is folded and gets `-` and ten hex digits of
 * its SHA-256, so two branches never share a database or an alias. A kept name never ends in such a
 * suffix (one that does is hashed too), so a kept name and a hashed one cannot meet either.
 */
import { createHash } from 'node:crypto'

const MAX = 32
const HASH = 10
const VALID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const HASHED = new RegExp(`-[0-9a-f]{${HASH}}$`)

export function branchSlug(branch: string): string {
  if (branch.length <= MAX && VALID.test(branch) && !HASHED.test(branch)) return branch
  const folded = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  const base = /^[a-z]/.test(folded) ? folded : `b-${folded}`.replace(/-+$/, '')
  const hash = createHash('sha256').update(branch).digest('hex').slice(0, HASH)
  return `${base.slice(0, MAX - HASH - 1).replace(/-+$/, '')}-${hash}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const branch = process.argv[2]
  if (branch === undefined) {
    console.error('usage: slug.ts <branch name>')
    process.exit(2)
  }
  console.log(branchSlug(branch))
}

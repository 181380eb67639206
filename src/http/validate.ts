import * as v from 'valibot'
import { ApiError, type ErrorCode, type FieldIssue } from './errors'

/** A boolean body field that also takes `"true"` / `"false"`, as real clients send them. */
export const looseBoolean = v.union(
  [
    v.boolean(),
    v.pipe(
      v.picklist(['true', 'false']),
      v.transform((s) => s === 'true'),
    ),
  ],
  'must be true or false',
)

/** Turns valibot issues into the envelope's `issues`; messages never echo the input value. */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ''): FieldIssue[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue)
    const full = [prefix, path].filter(Boolean).join('.')
    return { path: full || '(body)', message: describe(issue) }
  })
}

function describe(issue: v.BaseIssue<unknown>): string {
  // An object schema reports a missing key as expecting the key's name, and a strict one reports an
  // unknown key as expecting `never`: say what that means (docs/behaviour.md#errors).
  const objectIssue =
    issue.type === 'object' || issue.type === 'strict_object' || issue.type === 'loose_object'
  if (objectIssue && issue.expected === 'never') return 'is not a known field'
  if (objectIssue && issue.received === 'undefined') return 'is required'

  // valibot's default messages quote the received value ("Invalid type: Expected string but received
  // "0612..."); our messages are written in the schemas, so fall back to a value-free text.
  if (issue.message.includes('Received') || issue.message.includes('received')) {
    if (issue.kind === 'schema') return `must be ${issue.expected ?? 'of another type'}`
    return 'is invalid'
  }
  return issue.message
}

/** Parses `input` with `schema`, or throws a 400 ApiError listing every issue. */
export function parseOrThrow<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  code: ErrorCode = 'validation_failed',
  prefix = '',
): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (!result.success) throw new ApiError(code, undefined, toFieldIssues(result.issues, prefix))
  return result.output
}

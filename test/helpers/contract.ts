import { Validator } from '@cfworker/json-schema'
import { createApp } from '../../src/app'
import type { Database } from '../../src/db/database'
import { TEST_CONFIG } from './apps'

/**
 * The API's own OpenAPI document, and a check of any answer against it: the operation is found by
 * method and path template, the status must be documented for it, and a JSON body must match the
 * documented schema. The test client runs every answer the suite receives through it, so a
 * representation that the document does not describe fails the suite.
 */
type Document = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >
}

let document: Promise<Document> | undefined

/** The document as `GET /openapi.json` serves it (no database is touched). */
export function openApiDocument(): Promise<Document> {
  document ??= Promise.resolve(
    createApp({ database: () => ({ db: {} as Database }), config: TEST_CONFIG }).request('/openapi.json'),
  ).then((response) => response.json() as Promise<Document>)
  return document
}

const PREFIX = '/genesys/1/cs'
/** The BASE_PATH the suite configures where it tests one (test/api/base-path.test.ts). */
export const TEST_BASE_PATH = '/cv'

function templateMatches(template: string, path: string): boolean {
  const pattern = template.replace(/\{[^}]+\}/g, '[^/]+')
  return new RegExp(`^${pattern}/?$`).test(path)
}

/** The documented operation for a request, or undefined for a path the API does not route. */
export async function documentedOperation(method: string, path: string) {
  const doc = await openApiDocument()
  const prefix = [PREFIX, TEST_BASE_PATH].find((p) => path.startsWith(`${p}/`))
  const bare = prefix ? path.slice(prefix.length) || '/' : path
  // A literal template (`/services/start`) wins over one with parameters (`/services/{id}`).
  const templates = Object.keys(doc.paths)
    .filter((template) => templateMatches(template, bare) && doc.paths[template][method.toLowerCase()])
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))
  const template = templates[0]
  return template ? { template, operation: doc.paths[template][method.toLowerCase()] } : undefined
}

const validators = new Map<object, Validator>()

/** Throws when the answer is not one the document describes for this request. */
export async function checkAgainstContract(method: string, path: string, status: number, body: unknown) {
  if (status === 404 || status === 405) return // unknown path or method: no operation to check
  const found = await documentedOperation(method, path.split('?')[0])
  if (!found) return
  const response = found.operation.responses[String(status)]
  if (!response)
    throw new Error(`${method} ${found.template}: status ${status} is not in the OpenAPI document`)
  const schema = response.content?.['application/json']?.schema
  if (!schema) {
    if (body !== undefined)
      throw new Error(`${method} ${found.template} ${status}: a body the document does not describe`)
    return
  }
  let validator = validators.get(schema)
  if (!validator) {
    validator = new Validator(schema as never, '2020-12', false)
    validators.set(schema, validator)
  }
  const result = validator.validate(body)
  if (!result.valid) {
    const first = result.errors.slice(0, 3).map((e) => `${e.instanceLocation}: ${e.error}`)
    throw new Error(
      `${method} ${found.template} ${status}: answer outside the OpenAPI document (${first.join('; ')})`,
    )
  }
}

/**
 * The API contract, described where each route is registered (`operation(...)`) and assembled by
 * hono-openapi into an OpenAPI 3.1 document (`GET /openapi.json`). Bodies and answers are the code's
 * own valibot schemas, converted to JSON Schema; the tests validate every answer the suite receives
 * against the document, so the two cannot drift apart.
 */
import type { MiddlewareHandler } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import { ERROR_CODES, type ErrorCode } from './errors'

type Schema = v.GenericSchema

export interface OperationSpec {
  /** The vendor's name of the operation, as `operationId` (`completeService`). */
  id: string
  /** The vendor's title (`Complete Service`). */
  summary: string
  tag:
    | 'Services'
    | 'States'
    | 'Tasks'
    | 'Profiles'
    | 'Extension schemas'
    | 'Identification keys'
    | 'Business attributes'
    | 'Server'
    | 'API keys'
  description?: string
  /** The request body, when the operation takes one. */
  body?: { schema: Schema; description?: string }
  /** Query parameters (every property of an object schema is one optional parameter). */
  query?: v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>
  success: { status: 200 | 201 | 204; description: string; schema?: Schema; headers?: Record<string, string> }
  /** A create-or-replace (PUT): 201 with `Location` and the same body when it created the resource. */
  created?: string
  /** The error codes this operation can answer with besides those every operation can. */
  errors: ErrorCode[]
  /** A data operation: also 503 `maintenance_mode`. */
  data?: boolean
  /** A POST: takes an `Idempotency-Key` (docs/behaviour.md#idempotency). */
  idempotent?: boolean
}

/** Every operation can answer these. */
const COMMON_ERRORS: ErrorCode[] = [
  'invalid_tenant',
  'unauthorized',
  'forbidden_tenant',
  'insufficient_scope',
  'internal_error',
  'database_unavailable',
]

const JSON_MEDIA = 'application/json'

/** The error envelope (docs/behaviour.md#errors), with `code` narrowed to the operation's codes. */
export function envelopeSchema(codes: readonly ErrorCode[]) {
  return v.object({
    http_method: v.string(),
    uri: v.string(),
    status: v.number(),
    code: v.picklist(codes as [ErrorCode, ...ErrorCode[]]),
    message: v.string(),
    request_id: v.string(),
    issues: v.optional(v.array(v.object({ path: v.string(), message: v.string() }))),
  })
}

const convert = { options: { errorMode: 'ignore' as const } }
// A request body is described as clients send it (before the schema's own transformations).
const convertInput = { options: { errorMode: 'ignore' as const, typeMode: 'input' as const } }

function errorResponses(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const status = ERROR_CODES[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].message}`).join('; '),
        content: { [JSON_MEDIA]: { schema: resolver(envelopeSchema(list), convert) } },
      },
    ]),
  )
}

/** The path parameters of a route pattern (`/services/:id/states/:state_id`). */
function pathParameters(path: string) {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({
    name,
    in: 'path' as const,
    required: true,
    schema:
      name === 'id' || (name.endsWith('_id') && name !== 'customer_id')
        ? { type: 'integer' as const, minimum: 1 }
        : { type: 'string' as const },
  }))
}

/** The route middleware that describes one operation; `path` is the route pattern it is registered at. */
export function operation(path: string, spec: OperationSpec): MiddlewareHandler {
  const codes = [
    ...new Set<ErrorCode>([
      ...COMMON_ERRORS,
      ...(spec.body ? (['invalid_json', 'payload_too_large'] as ErrorCode[]) : []),
      ...(spec.data ? (['maintenance_mode'] as ErrorCode[]) : []),
      ...(spec.idempotent ? (['invalid_parameter', 'idempotency_key_reused'] as ErrorCode[]) : []),
      // An operation that answers extensions decrypts encrypted attributes (docs/behaviour.md#encrypted-attributes).
      ...(spec.query && 'extensions' in spec.query.entries ? (['decryption_failed'] as ErrorCode[]) : []),
      ...spec.errors,
    ]),
  ]
  const query = spec.query
    ? Object.keys(spec.query.entries).map((name) => ({
        name,
        in: 'query' as const,
        required: false,
        schema: { type: 'string' as const },
      }))
    : []
  const success = spec.success
  return describeRoute({
    operationId: spec.id,
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.description ? { description: spec.description } : {}),
    parameters: [
      ...pathParameters(path),
      ...query,
      { $ref: '#/components/parameters/ContactCenterId' },
      { $ref: '#/components/parameters/GroupId' },
      { $ref: '#/components/parameters/RequestId' },
      ...(spec.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
    ],
    ...(spec.body
      ? {
          requestBody: {
            required: false,
            description: spec.body.description,
            content: { [JSON_MEDIA]: { schema: resolver(spec.body.schema, convertInput) } },
          },
        }
      : {}),
    responses: {
      ...(spec.created
        ? {
            '201': {
              description: spec.created,
              headers: { Location: { description: 'the new resource', schema: { type: 'string' as const } } },
              ...(success.schema
                ? { content: { [JSON_MEDIA]: { schema: resolver(success.schema, convert) } } }
                : {}),
            },
          }
        : {}),
      [String(success.status)]: {
        description: success.description,
        ...(success.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(success.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: 'string' as const } },
                ]),
              ),
            }
          : {}),
        ...(success.schema
          ? { content: { [JSON_MEDIA]: { schema: resolver(success.schema, convert) } } }
          : {}),
      },
      ...errorResponses(codes),
    },
  })
}

/** The parts of the document that no route describes. */
export function documentation(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'context-edge — Genesys Context Services API (8.1)',
      version,
      description:
        'Every operation also answers under the 8.5 prefix `/genesys/1/cs` (same behaviour), and under `BASE_PATH` when one is configured. Rules: docs/behaviour.md.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } },
      parameters: {
        ContactCenterId: {
          name: 'ContactCenterId',
          in: 'header' as const,
          required: false,
          description: 'The tenant: 1–64 of A-Za-z0-9_.- (default `default`).',
          schema: { type: 'string' as const, pattern: '^[A-Za-z0-9_.-]{1,64}$' },
        },
        GroupId: {
          name: 'GroupId',
          in: 'header' as const,
          required: false,
          description: 'The tenant group: 1–64 of A-Za-z0-9_.- (default empty).',
          schema: { type: 'string' as const, pattern: '^[A-Za-z0-9_.-]{1,64}$' },
        },
        RequestId: {
          name: 'X-Request-Id',
          in: 'header' as const,
          required: false,
          description: 'Echoed when sane, else replaced by a new id; every answer carries it.',
          schema: { type: 'string' as const },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header' as const,
          required: false,
          description:
            'Makes a retry safe: a request with the same key and body within 24 h gets the first answer (`Idempotent-Replayed: true`) and writes nothing; the key with another body or path is 422.',
          schema: { type: 'string' as const, minLength: 1, maxLength: 255 },
        },
      },
    },
    // Auth is on when the server has API_TOKENS (root tokens or API keys), off otherwise.
    security: [{ bearer: [] }, {} as Record<string, string[]>],
  }
}

/** `Query Active Anonymous Services` → `queryActiveAnonymousServices`. */
export function operationId(summary: string): string {
  const words = summary.split(/\s+/)
  return words.map((word, i) => (i === 0 ? word.toLowerCase() : word)).join('')
}

/** What an event body holds, in every operation that takes one. */
export const EVENT_BODY =
  'Event fields, plus the registered extensions of this owner kind by name (an object, or an array of records for a multi-valued one): each replaces the value of that extension.'

/** The body of an extension PUT. */
export const EXTENSION_VALUE =
  'The new value of the extension: an object, or an array of records (multi-valued).'

/** What a validated write can be refused with. */
export const WRITE_ERRORS: ErrorCode[] = [
  'invalid_parameter',
  'validation_failed',
  'unknown_field',
  'invalid_extension_value',
  'encryption_unavailable',
  'too_many_records',
  'metadata_changed',
]

/** What a profile body holds. */
export const PROFILE_BODY =
  'customer_id, the core attributes of the tenant (a value or an array of values), and registered profile extensions by name.'

import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The closed set of error codes this API answers with (docs/behaviour.md#errors).
 * Every error envelope carries one of these; the README lists them.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, message: 'the request body is not valid JSON of the expected shape' },
  invalid_parameter: { status: 400, message: 'a path or query parameter is invalid' },
  invalid_tenant: { status: 400, message: 'the ContactCenterId or GroupId header is malformed' },
  validation_failed: { status: 400, message: 'the request body does not match what this operation accepts' },
  unknown_field: {
    status: 400,
    message: 'the body has a field that is neither an event field nor a registered extension',
  },
  unknown_extension: { status: 400, message: 'no extension schema of that name is registered' },
  invalid_extension_value: { status: 400, message: 'an extension value does not match its schema' },
  reserved_name: { status: 400, message: 'the name is reserved by a field of this resource' },
  invalid_state_reference: { status: 400, message: 'the state does not belong to this service' },
  no_unique_key: { status: 400, message: 'the extension has no unique attributes' },
  no_identification_key: { status: 400, message: 'no identification key matches the given attributes' },
  too_many_values: { status: 400, message: 'a core attribute has more values than allowed' },
  too_many_records: { status: 400, message: 'an extension would hold more records per owner than allowed' },
  too_many_key_entries: {
    status: 400,
    message: 'the profile would have more identification-key entries for one key than allowed',
  },
  encryption_unavailable: {
    status: 400,
    message: 'encrypted attributes need an encryption key, and this server has none configured',
  },
  too_many_filters: { status: 400, message: 'the query has more identification filters than allowed' },
  unauthorized: { status: 401, message: 'missing or invalid credentials' },
  forbidden_tenant: { status: 403, message: 'this credential is bound to another tenant' },
  insufficient_scope: { status: 403, message: 'this credential’s scope does not allow this operation' },
  not_found: { status: 404, message: 'no such resource' },
  service_not_found: { status: 404, message: 'the service does not exist' },
  state_not_found: { status: 404, message: 'the state does not exist' },
  task_not_found: { status: 404, message: 'the task does not exist' },
  extension_not_found: { status: 404, message: 'the extension schema does not exist' },
  profile_not_found: { status: 404, message: 'the profile does not exist' },
  record_not_found: { status: 404, message: 'no extension record has these unique values' },
  identification_key_not_found: { status: 404, message: 'the identification key does not exist' },
  api_key_not_found: { status: 404, message: 'the API key does not exist in this tenant' },
  business_attribute_not_found: {
    status: 404,
    message: 'no business attribute of that name or field exists',
  },
  method_not_allowed: { status: 405, message: 'this method is not allowed on this resource' },
  already_completed: { status: 409, message: 'it is already completed' },
  service_completed: { status: 409, message: 'the service is already completed' },
  state_completed: { status: 409, message: 'the state is already completed' },
  name_taken: { status: 409, message: 'the name is already taken' },
  customer_exists: { status: 409, message: 'a profile with this customer_id already exists' },
  unique_key_violation: { status: 409, message: 'another customer already has these unique key values' },
  key_values_not_unique: { status: 409, message: 'existing profiles share values of this unique key' },
  schema_in_use: { status: 409, message: 'an identification key uses this extension schema' },
  attribute_in_use: { status: 409, message: 'an identification key uses this attribute' },
  cv_attribute_taken: { status: 409, message: 'another business attribute already describes that field' },
  metadata_changed: { status: 409, message: 'extension schemas changed while the request ran; retry it' },
  payload_too_large: { status: 413, message: 'the request body is too large' },
  idempotency_key_reused: {
    status: 422,
    message: 'this Idempotency-Key was used for another request (another body or path) within 24 hours',
  },
  internal_error: { status: 500, message: 'internal error' },
  maintenance_mode: { status: 503, message: 'the server is in maintenance mode for this tenant' },
  database_unavailable: { status: 503, message: 'the database did not answer; retry the request later' },
  decryption_failed: {
    status: 503,
    message: 'a stored value could not be decrypted with the configured keys (EXTENSION_ENCRYPTION_KEY)',
  },
} as const satisfies Record<string, { status: ContentfulStatusCode; message: string }>

export type ErrorCode = keyof typeof ERROR_CODES

export interface FieldIssue {
  path: string
  message: string
}

/** An expected failure: answered with the error envelope, never logged as a fault. */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly issues?: FieldIssue[]

  constructor(code: ErrorCode, message?: string, issues?: FieldIssue[]) {
    super(message ?? ERROR_CODES[code].message)
    this.name = 'ApiError'
    this.code = code
    this.issues = issues
  }

  get status(): ContentfulStatusCode {
    return ERROR_CODES[this.code].status
  }
}

export interface ErrorEnvelope {
  http_method: string
  uri: string
  status: number
  code: ErrorCode
  message: string
  request_id: string
  issues?: FieldIssue[]
}

/** The one error body of docs/behaviour.md#errors. `uri` is the path only: query strings carry personal data. */
export function errorEnvelope(
  request: { method: string; path: string; requestId: string },
  error: ApiError,
): ErrorEnvelope {
  const envelope: ErrorEnvelope = {
    http_method: request.method,
    uri: request.path,
    status: error.status,
    code: error.code,
    message: error.message,
    request_id: request.requestId,
  }
  if (error.issues?.length) envelope.issues = error.issues
  return envelope
}

/**
 * An `HTTPException` thrown by Hono or one of its middleware, as our error: by its status, so that a
 * 4xx of the framework never turns into a 500 (and never shows the framework's own text).
 */
export function fromHttpException(exception: { status: number }): ApiError {
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: 'invalid_parameter',
    401: 'unauthorized',
    404: 'not_found',
    405: 'method_not_allowed',
    413: 'payload_too_large',
    503: 'database_unavailable',
  }
  return new ApiError(
    byStatus[exception.status] ?? (exception.status < 500 ? 'invalid_parameter' : 'internal_error'),
  )
}

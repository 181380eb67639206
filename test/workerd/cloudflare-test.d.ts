// The part of `cloudflare:test` these tests use (the full types need the Workers runtime types,
// which clash with the DOM and Node types of the rest of the project).
declare module 'cloudflare:test' {
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> }
  export function createExecutionContext(): import('hono').ExecutionContext
}

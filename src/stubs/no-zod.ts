/**
 * Stands in for `zod/v4/core` in the worker bundle (wrangler.toml `[alias]`). hono-openapi's schema
 * converter imports zod's converter lazily, for zod schemas; this app describes everything with
 * valibot, so that branch never runs, but a bundler follows the import and would ship 220 KiB of zod
 * (installed here by a development tool) to every isolate.
 */
export const toJSONSchema = undefined

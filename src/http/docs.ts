import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { ApiError, errorEnvelope } from './errors'

/**
 * `GET /docs`: an interactive reference of the API (Swagger UI) that works offline: its script and
 * stylesheet are served by the app itself, from the `swagger-ui-dist` package — by the entry's
 * `docsAsset` reader on Node and Deno, from Workers static assets on the worker. No CDN.
 */

/** The files of `swagger-ui-dist` the page needs, and their types. */
export const DOCS_ASSETS = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
} as const
export type DocsAsset = keyof typeof DOCS_ASSETS

/** Reads one of the page's files (null when the entry cannot serve it). */
export type DocsAssetReader = (file: DocsAsset, request: Request) => Promise<Response | null>

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>context-edge — API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, tryItOutEnabled: true })
</script>
</body>
</html>
`

/** The reference page and its two files. */
export function docsRoutes(readAsset: DocsAssetReader | undefined) {
  const docs = new Hono<AppEnv>()
  docs.get('/docs', (c) => c.html(PAGE))
  for (const [file, type] of Object.entries(DOCS_ASSETS) as [DocsAsset, string][]) {
    docs.get(`/docs/${file}`, async (c) => {
      const found = await readAsset?.(file, c.req.raw)
      if (!found?.ok) {
        const error = new ApiError('not_found')
        return c.json(
          errorEnvelope(
            { method: c.req.method, path: new URL(c.req.url).pathname, requestId: c.get('requestId') },
            error,
          ),
          404,
        )
      }
      return new Response(found.body, {
        headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=3600' },
      })
    })
  }
  return docs
}

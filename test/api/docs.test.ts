import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../helpers/harness'

/** The contract and its reference page, behind auth unless DOCS_PUBLIC (docs/behaviour.md#surface). */
let closed: Harness
let open: Harness
beforeAll(async () => {
  closed = await createHarness({ apiTokens: ['a-token-of-sixteen-chars'] })
  open = await createHarness({ apiTokens: ['a-token-of-sixteen-chars'], docsPublic: true })
})
afterAll(() => {
  closed.close()
  open.close()
})

describe('GET /openapi.json and /docs', () => {
  it('are behind auth by default', async () => {
    for (const path of ['/openapi.json', '/docs']) {
      const response = await closed.fetch(new Request(`http://localhost${path}`))
      expect(response.status).toBe(401)
    }
    const withToken = await closed.fetch(
      new Request('http://localhost/openapi.json', {
        headers: { Authorization: 'Bearer a-token-of-sixteen-chars' },
      }),
    )
    expect(withToken.status).toBe(200)
  })

  it('are open with DOCS_PUBLIC, while the API still needs its token', async () => {
    const doc = await open.fetch(new Request('http://localhost/openapi.json'))
    expect(doc.status).toBe(200)
    expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0')
    const page = await open.fetch(new Request('http://localhost/docs'))
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('/docs/swagger-ui-bundle.js')
    expect(html).not.toMatch(/https?:\/\//) // nothing from a CDN
    expect((await open.fetch(new Request('http://localhost/services/1'))).status).toBe(401)
  })
})

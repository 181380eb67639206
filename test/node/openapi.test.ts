import { validate } from '@readme/openapi-parser'
import { describe, expect, it } from 'vitest'
import { createApp, PATH_PREFIXES } from '../../src/app'
import type { Database } from '../../src/db/database'
import { TEST_CONFIG } from '../helpers/apps'
import { checkAgainstContract, openApiDocument } from '../helpers/contract'

/** The contract is tested, not trusted: it covers every route, is valid OpenAPI 3.1, and bites. */
const app = createApp({ database: () => ({ db: {} as Database }), config: TEST_CONFIG })

describe('GET /openapi.json', () => {
  it('documents every registered route, and routes every documented operation', async () => {
    const registered = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL' && !route.path.startsWith(PATH_PREFIXES[1]))
        // The contract and its page are not API operations.
        .filter((route) => route.path !== '/openapi.json' && !route.path.startsWith('/docs'))
        .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`),
    )
    const doc = await openApiDocument()
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    )
    expect([...documented].sort()).toEqual([...registered].sort())
    // The alias prefix answers the same operations (docs/behaviour.md#surface).
    const aliased = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL' && route.path.startsWith(`${PATH_PREFIXES[1]}/`))
        .map(
          (route) =>
            `${route.method} ${route.path.slice(PATH_PREFIXES[1].length).replace(/:([A-Za-z_]+)/g, '{$1}')}`,
        ),
    )
    // Probes answer at the root only: a load balancer knows one path.
    const probes = new Set(['GET /health', 'GET /ready'])
    expect([...aliased].sort()).toEqual([...registered].filter((route) => !probes.has(route)).sort())
  })

  it('names every operation as the vendor does, once', async () => {
    const doc = (await openApiDocument()) as unknown as {
      paths: Record<string, Record<string, { operationId: string; summary: string }>>
    }
    const operations = Object.values(doc.paths).flatMap((byMethod) => Object.values(byMethod))
    const ids = operations.map((operation) => operation.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toContain('completeService')
    expect(operations.find((operation) => operation.operationId === 'completeService')?.summary).toBe(
      'Complete Service',
    )
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await (await app.request('/openapi.json')).json()
    expect(doc.openapi).toBe('3.1.0')
    const result = await validate(structuredClone(doc))
    expect(result.valid, 'errors' in result ? JSON.stringify(result.errors).slice(0, 2000) : '').toBe(true)
  })

  it('refuses an answer it does not describe', async () => {
    await expect(checkAgainstContract('GET', '/services/1', 200, { service_id: 'one' })).rejects.toThrow(
      /outside/,
    )
    await expect(checkAgainstContract('POST', '/services/start', 201, { service_id: 1 })).rejects.toThrow(
      /not in the OpenAPI document/,
    )
    await expect(
      checkAgainstContract('POST', '/services/start', 200, { service_id: 1 }),
    ).resolves.toBeUndefined()
  })
})

import type { Hono } from 'hono'

/**
 * Finds the methods registered for a path, from the app's own route table, so that a 405's `Allow`
 * header can never drift from the routes (docs/behaviour.md#surface).
 */
export function allowedMethodsFinder(app: Hono<never>): (path: string) => string[] {
  let matchers: { method: string; pattern: RegExp }[] | undefined
  return (path) => {
    matchers ??= app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => ({ method: route.method, pattern: patternOf(route.path) }))
    const methods = new Set(matchers.filter((m) => m.pattern.test(path)).map((m) => m.method))
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods].sort()
  }
}

function patternOf(routePath: string): RegExp {
  const source = routePath
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*'
      if (segment.startsWith(':')) return '[^/]+'
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return new RegExp(`^${source}/?$`)
}

import { createApp } from '../../src/app'
import { type AppConfig, DEFAULT_CONFIG } from '../../src/config'
import type { Database } from '../../src/db/database'
import { type ApiClient, apiClient } from './api'

/**
 * The app of a test file over its database, as both harnesses (Node, workerd) build it. Another
 * instance gets its own Drizzle handle (`newHandle`), hence its own metadata cache: what a second
 * worker isolate or server process sees.
 */
/** The default configuration, without the access log: tests print nothing per request. */
export const TEST_CONFIG: AppConfig = { ...DEFAULT_CONFIG, accessLog: false }

export function appsOver(db: Database, newHandle: () => Database, config: Partial<AppConfig>) {
  // The access log stays quiet in tests unless a test asks for it.
  const full = { ...TEST_CONFIG, ...config }
  const app = createApp({ database: () => ({ db }), config: full })
  return {
    api: apiClient((request) => app.fetch(request)),
    /** The app's own fetch, for requests the api helper cannot express (streams, raw headers). */
    fetch: (request: Request) => Promise.resolve(app.fetch(request)),
    /** Another instance of the app, with `config` changed (a rotated key, another limit). */
    otherInstance(config: Partial<AppConfig> = {}): ApiClient {
      const other = newHandle()
      const otherApp = createApp({ database: () => ({ db: other }), config: { ...full, ...config } })
      return apiClient((request) => otherApp.fetch(request))
    },
  }
}

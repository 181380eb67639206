import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  test: {
    projects: [
      {
        // API tests on Node over an embedded libSQL file, plus Node-only tests (dev server, Deno).
        test: {
          name: 'node',
          include: ['test/api/**/*.test.ts', 'test/node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The same API test files on Node over @libsql/client's own file client: the local client
        // (src/db/local-client.ts) must give the same answers and errors (docs/design.md#local-client).
        test: {
          name: 'node-libsql-client',
          include: ['test/api/**/*.test.ts'],
          environment: 'node',
          env: { TEST_FILE_DRIVER: 'libsql-client' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The same API test files inside workerd, over HTTP to the development libSQL server.
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './src/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { DATABASE_URL: inject('libsqlUrl'), ACCESS_LOG: 'false' } },
          })),
        ],
        resolve: {
          alias: [
            { find: /^\.\.\/helpers\/harness$/, replacement: here('./test/helpers/harness.workerd.ts') },
          ],
        },
        test: {
          name: 'workerd',
          include: ['test/api/**/*.test.ts', 'test/workerd/**/*.test.ts'],
          globalSetup: ['test/workerd/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
})

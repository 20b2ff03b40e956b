import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Every test file runs once per engine: always on embedded PGlite, and on the
// PostgreSQL server named by TEST_DATABASE_URL when there is one.
const engines = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module): Node loads the CJS one for our
    // dependencies, so the tests must too, or two graphql realms meet.
    alias: [
      { find: /^graphql$/, replacement: require.resolve('graphql') },
      // The repository's own consumers of groupgraph/client (examples/) test the
      // sources, not the last build in dist/sdk.
      { find: /^groupgraph\/client$/, replacement: fileURLToPath(new URL('src/sdk/index.ts', import.meta.url)) },
    ],
  },
  test: {
    projects: engines.map((engine) => ({
      extends: true,
      test: { name: engine, env: { TEST_ENGINE: engine } },
    })),
    // `npm test` runs a second pass over the statements the first one recorded
    // (scripts/test.mjs); its files end in .after-suite.test.ts.
    include: [
      process.env.GROUPGRAPH_TEST_PASS === 'after-suite' ? 'test/**/*.after-suite.test.ts' : 'test/**/*.test.ts',
    ],
    exclude:
      process.env.GROUPGRAPH_TEST_PASS === 'after-suite' ? [] : ['test/**/*.after-suite.test.ts', '**/node_modules/**'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single worker on a
    // 2-core CI machine. Most of a test's time here is spent waiting on PostgreSQL,
    // child server processes or a browser, so one worker more than the cores keeps
    // them busy (VITEST_MAX_WORKERS, or --maxWorkers, overrides it).
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || availableParallelism() + 1,
  },
});

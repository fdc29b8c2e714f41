import { defineConfig } from 'vitest/config';

/**
 * One vitest project per workspace package. `KUBELOOP_DEEP=1` (see `pnpm test:deep`) raises
 * the run counts of the property suites; the default keeps CI well inside its budget.
 */
export default defineConfig({
  test: {
    projects: [
      // `integration` holds the controllers' suites that need a SimCluster (it sits above testing).
      ...['core', 'controllers', 'runtime-fake', 'testing', 'integration', 'cli'].map((name) => ({
        extends: true as const,
        test: { name, root: `packages/${name}`, include: ['src/**/*.test.ts'] },
      })),
      // The examples are written only against the public API and tested like user code.
      { extends: true as const, test: { name: 'examples', root: 'examples', include: ['**/*.test.ts'] } },
    ],
    // A fixed fast-check seed unless KUBELOOP_DEEP=1 or KUBELOOP_SEED is set (see the file).
    setupFiles: [new URL('./vitest.setup.ts', import.meta.url).pathname],
    passWithNoTests: false,
    reporters: ['default', './vitest.summary.ts'],
    // The deep run's suites draw ten times the cases and more; a minute is too short for some
    // on two busy cores (a test's own timeout still wins).
    testTimeout: process.env['KUBELOOP_DEEP'] === '1' ? 600_000 : 60_000,
    // Test files share a worker's modules instead of loading the whole workspace again for each
    // file: importing it through vite cost about a second per file (148 s of a 224 s run), and a
    // property suite no longer starts with cold code — V8 has already optimised the simulation
    // for the files before it. The full run went from 224 s to 55 s. What makes this safe: no
    // test mocks a module or stubs a global, and the packages keep no module state other than
    // caches whose contents do not change results (compiled schemas, bounded quantity memos, a
    // formatted second).
    isolate: false,
    // A property run allocates about 12 MB; larger semi-spaces (V8's default is 16 MB) let more
    // of it die young instead of being promoted. Measured about 5% on the toolkit benchmark
    // (`pnpm bench` runs with the same flag).
    execArgv: ['--max-semi-space-size=32'],
  },
});

import { defineConfig } from 'vitest/config';

/**
 * One vitest project per workspace package. `KUBELOOP_DEEP=1` (see `pnpm test:deep`) raises
 * the run counts of the property suites; the default keeps CI well inside its budget.
 */
export default defineConfig({
  test: {
    projects: [
      ...['core', 'controllers', 'runtime-fake', 'testing', 'cli'].map((name) => ({
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
    testTimeout: 60_000,
  },
});

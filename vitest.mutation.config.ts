import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The vitest configuration `pnpm test:mutation` (StrykerJS, see stryker.config.mjs and
 * docs/mutation-testing.md) runs: the controllers' property suites only, nothing else.
 *
 * Stryker copies the repository into a sandbox and mutates the copy there, but it links the
 * sandbox's node_modules back to the real ones, and pnpm's workspace links would then resolve
 * `@kubeloop/<pkg>` to the unmutated sources outside the sandbox. The aliases point every
 * workspace import at the sources next to this file instead, which inside the sandbox are the
 * mutated ones.
 *
 * `KUBELOOP_MUTATION_SUITES` (set by the wrapper, a comma-separated list of directories under
 * packages/integration/src) narrows the suites; unset, every property suite runs.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const suites = (process.env['KUBELOOP_MUTATION_SUITES'] ?? '').split(',').filter((s) => s !== '');
const glob = suites.length === 0 ? '*' : suites.length === 1 ? suites[0] : `{${suites.join(',')}}`;

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@kubeloop\/([a-z-]+)\/testing$/, replacement: `${root}packages/$1/src/testing/index.ts` },
      { find: /^@kubeloop\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
    ],
  },
  test: {
    name: 'mutation',
    root,
    include: [`packages/integration/src/${glob}/*.property.test.ts`],
    setupFiles: [`${root}vitest.setup.ts`],
    passWithNoTests: false,
    testTimeout: 60_000,
    // As in vitest.config.ts: the files share a worker's modules.
    isolate: false,
    // No `execArgv` here: Stryker's runner uses worker threads, which refuse V8 heap flags.
  },
});

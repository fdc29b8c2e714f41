// @ts-check
/**
 * StrykerJS configuration of `pnpm test:mutation` (see docs/mutation-testing.md): it mutates the
 * reference controllers' decision and reconcile code and runs the controllers' property suites
 * (only those, through vitest.mutation.config.ts) against every mutant. A mutant the suites do
 * not kill is a change of behaviour no property notices.
 *
 * scripts/test-mutation.mjs picks the controllers: it sets `KUBELOOP_MUTATION_TARGETS` (a
 * comma-separated list of the keys of {@link files}) and `KUBELOOP_MUTATION_SUITES` (the
 * property suites to run). Unset, every listed controller is mutated.
 */

/**
 * Per controller, the files that decide and reconcile. Not mutated: invariants (the oracles),
 * plugin and index (wiring), admission hooks and the kind adapters.
 */
export const files = {
  endpoints: ['controller', 'decide', 'slices', 'triggertime'],
  daemonset: ['controller', 'decide', 'status', 'history'],
  deployment: ['controller', 'decide', 'status'],
  replicaset: ['controller', 'decide', 'status'],
  garbagecollector: ['controller', 'decide', 'graph-builder', 'graph', 'operations'],
  nodelifecycle: ['controller', 'decide'],
};

const targets = (process.env['KUBELOOP_MUTATION_TARGETS'] ?? '').split(',').filter((t) => t !== '');
const chosen = targets.length === 0 ? Object.keys(files) : targets;
const reportName = process.env['KUBELOOP_MUTATION_REPORT'] ?? (targets.length === 0 ? 'all' : targets.join('+'));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  // `KUBELOOP_MUTATE` overrides the list, e.g. one file with a line range
  // (`packages/controllers/src/deployment/decide.ts:100-180`) for a quick look.
  mutate: process.env['KUBELOOP_MUTATE']
    ? process.env['KUBELOOP_MUTATE'].split(',')
    : chosen.flatMap((c) => (files[/** @type {keyof typeof files} */ (c)] ?? []).map((f) => `packages/controllers/src/${c}/${f}.ts`)),
  // Each mutant runs only the tests that reached it in the dry run.
  coverageAnalysis: 'perTest',
  // A mutant reached only while modules load (a top-level constant) would need every suite
  // re-imported; the test files share modules (isolate: false), so these are left out and
  // counted as ignored.
  ignoreStatic: true,
  // Two shared cores.
  concurrency: Number(process.env['KUBELOOP_MUTATION_CONCURRENCY'] ?? 2),
  // A mutant that makes a run spin (a controller writing forever) is a timeout, not a hang.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `reports/mutation/${reportName}.html` },
  jsonReporter: { fileName: `reports/mutation/${reportName}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  // Another name lets two runs share the worktree.
  tempDirName: process.env['KUBELOOP_MUTATION_TMP'] ?? '.stryker-tmp',
  cleanTempDir: true,
  // The sandbox needs no docs, reports or other worktrees' leftovers.
  ignorePatterns: ['docs', 'reports', 'bench', 'examples', '.vitest-cache', 'coverage', '.stryker-tmp*'],
  thresholds: { high: 90, low: 80, break: null },
};

export default config;

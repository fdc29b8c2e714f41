// @ts-check
/**
 * `pnpm test:mutation [controller ...]`: runs StrykerJS (stryker.config.mjs) on the named
 * controllers (keys of `files` there: endpoints, daemonset, deployment, replicaset,
 * garbagecollector, nodelifecycle), each against its own property suite and those listed in
 * ALSO_EXERCISED_BY; with no name, all of them against all property suites. A controller
 * without a property suite of its own is run against all of them. Reports land in
 * reports/mutation/ (gitignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { files } from '../stryker.config.mjs';

const names = process.argv.slice(2).filter((a) => a !== '--');
const unknown = names.filter((n) => !(n in files));
if (unknown.length > 0) {
  console.error(`unknown controller(s): ${unknown.join(', ')}; known: ${Object.keys(files).join(', ')}`);
  process.exit(2);
}
/**
 * The property suites that also drive a controller besides its own: the Deployment suite runs
 * ReplicaSets owned by Deployments, the only place the ReplicaSet's ranking against its
 * siblings' pods (upstream `getIndirectlyRelatedPods`) is reached.
 */
const ALSO_EXERCISED_BY = { replicaset: ['deployment'] };
const suites = names.every(hasPropertySuite) ? [...new Set(names.flatMap((n) => [n, ...(ALSO_EXERCISED_BY[/** @type {keyof typeof ALSO_EXERCISED_BY} */ (n)] ?? [])]))] : [];
const env = {
  ...process.env,
  KUBELOOP_MUTATION_TARGETS: names.join(','),
  KUBELOOP_MUTATION_SUITES: suites.join(','),
};
const result = spawnSync('stryker', ['run', 'stryker.config.mjs'], { stdio: 'inherit', env, shell: process.platform === 'win32' });
process.exit(result.status ?? 1);

/** @param {string} name */
function hasPropertySuite(name) {
  const dir = `packages/integration/src/${name}`;
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.property.test.ts'));
}

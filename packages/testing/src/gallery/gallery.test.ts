/**
 * The gallery: deliberately buggy set controllers that checkCluster must catch within the
 * default budget with a small shrunk counterexample, and their correct version, which passes.
 */
import { describe, expect, it } from 'vitest';
import { CheckFailure, checkCluster, faultSchedules, noObjectStuckTerminating, ownerReferencesResolve } from '../index.js';
import type { CheckClusterOptions, Invariant } from '../index.js';
import { setController } from './sets.js';
import type { SetBugs } from './sets.js';
import { describeSetAction, foreignObjectsSurvive, membersMatchReplicas, membersNeverOvershoot, performSetAction, setActions, setupSet } from './scenario.js';
import type { SetAction } from './scenario.js';

const safety: Invariant[] = [membersNeverOvershoot, foreignObjectsSurvive];
const liveness: Invariant[] = [membersMatchReplicas, noObjectStuckTerminating, ownerReferencesResolve];

function options(name: string, bugs: SetBugs, rest: Pick<CheckClusterOptions<SetAction>, 'actions' | 'faults'>): CheckClusterOptions<SetAction> {
  return {
    name,
    cluster: { nodes: 0, controllerManager: { plugins: [setController(bugs)] } },
    setup: setupSet,
    perform: performSetAction,
    describe: describeSetAction,
    safety,
    liveness,
    stepMs: 1_000,
    settleMaxMs: 60_000,
    stableMs: 20_000,
    seed: 42,
    ...rest,
  };
}

/** Runs a buggy controller and returns the failure (with the size of its counterexample). */
async function caught(opts: CheckClusterOptions<SetAction>): Promise<CheckFailure> {
  const error = await checkCluster(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckFailure);
  const failure = error as CheckFailure;
  const size = failure.counterexample.actions.length + failure.counterexample.faults.length;
  // The failure is expected: its report (checkCluster's "failed" message and replay line) is
  // shown only if the counterexample is not small enough, i.e. when this test fails.
  expect(size, `${opts.name}: counterexample of ${failure.counterexample.actions.length} action(s) and ${failure.counterexample.faults.length} fault(s)\n${failure.message}`).toBeLessThanOrEqual(4);
  return failure;
}

const cases: { name: string; bugs: SetBugs; invariant: string; rest: Pick<CheckClusterOptions<SetAction>, 'actions' | 'faults'> }[] = [
  {
    name: 'a controller that trusts a stale cache over-creates members',
    bugs: { trustsStaleCache: true },
    invariant: 'membersNeverOvershoot',
    rest: { actions: setActions(['scale', 'touch', 'advance']), faults: faultSchedules({ kinds: ['staleReads', 'coalesce', 'latency', 'writeError'], resources: ['*', 'configmaps'], maxWrite: 10, maxDelayMs: 900 }) },
  },
  {
    name: 'an edge-triggered controller misses the deletion of a member',
    bugs: { edgeTriggered: true },
    invariant: 'membersMatchReplicas',
    rest: { actions: setActions(['scale', 'deleteMember', 'touch', 'advance']) },
  },
  {
    name: 'a controller that deletes without checking ownership deletes a foreign object',
    bugs: { ignoresOwnership: true },
    invariant: 'foreignObjectsSurvive',
    rest: { actions: setActions(['scale', 'addForeign', 'advance']) },
  },
  {
    name: 'a controller that skips a cleanup marked in progress leaves its finalizer after a crash between two writes',
    bugs: { skipsCleanupInProgress: true },
    invariant: 'noObjectStuckTerminating',
    rest: { actions: setActions(['scale', 'deleteSet', 'advance']), faults: faultSchedules({ kinds: ['crash', 'latency'], maxWrite: 6 }) },
  },
];

describe('the gallery of buggy controllers', () => {
  for (const c of cases) {
    it(`catches ${c.name}, with a small shrunk counterexample`, async () => {
      const failure = await caught(options(c.name, c.bugs, c.rest));
      expect(failure.outcome.failure?.invariant).toBe(c.invariant);
    });
    it(`passes the correct controller under the same actions and faults (${c.invariant})`, async () => {
      await checkCluster(options(`correct: ${c.name}`, {}, c.rest));
    });
  }
});

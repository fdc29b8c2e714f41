/**
 * checkCluster itself: the failure report, replaying a failure byte for byte, and the
 * differential mode.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigMaps } from '@kubeloop/core';
import { CheckFailure, REPLAY_ENV, checkCluster, faultSchedules, invariant, runCase, traceDigest } from '../index.js';
import type { CheckClusterOptions } from '../index.js';
import { setController } from '../gallery/sets.js';
import type { SetBugs } from '../gallery/sets.js';
import { describeSetAction, membersMatchReplicas, performSetAction, setActions, setObject, setupSet } from '../gallery/scenario.js';
import type { SetAction } from '../gallery/scenario.js';

function options(name: string, bugs: SetBugs, extra: Partial<CheckClusterOptions<SetAction>> = {}): CheckClusterOptions<SetAction> {
  return {
    name,
    cluster: { nodes: 0, controllerManager: { plugins: [setController(bugs)] } },
    setup: setupSet,
    actions: setActions(['scale', 'deleteMember', 'advance']),
    perform: performSetAction,
    describe: describeSetAction,
    liveness: [membersMatchReplicas],
    settleMaxMs: 60_000,
    stableMs: 20_000,
    seed: 7,
    runs: 20,
    ...extra,
  };
}

const failureOf = (p: Promise<void>) =>
  p.then(
    () => {
      throw new Error('expected a CheckFailure');
    },
    (e: unknown) => {
      if (!(e instanceof CheckFailure)) throw e;
      return e;
    },
  );

describe('checkCluster', () => {
  it('reports the seed, the shrunk actions and faults, the invariant with its objects, the trace tail and a replay command', async () => {
    const failure = await failureOf(checkCluster(options('report', { edgeTriggered: true })));
    const m = failure.message;
    expect(m).toMatch(/fast-check seed 7, cluster seed \d+/);
    expect(m).toContain('violated: membersMatchReplicas after settling');
    expect(m).toMatch(/ {2}- set set-a has \d members, wants \d \[ConfigMap default\/set-a[\],]/);
    expect(m).toContain('offending objects:');
    expect(m).toMatch(/actions \(\d\):\n {2}0\. delete member #0 of set-a\n/);
    expect(m).toContain('faults (0):');
    expect(m).toMatch(/trace tail \(digest [0-9a-f]{16}\):\n {2}t=0 /);
    // The replay command runs this very test: its file, and its title as vitest's -t pattern.
    const replay = /\nreplay: (\S+)='([^']*)' npx vitest run (\S+) -t '([^']*)'$/.exec(m);
    expect(replay?.slice(1, 3)).toEqual([REPLAY_ENV, `report@7:${failure.path}`]);
    expect(resolve(replay![3]!)).toBe(fileURLToPath(import.meta.url));
    expect(new RegExp(replay![4]!).test(expect.getState().currentTestName ?? '')).toBe(true);
    expect(replay![4]).toContain('replay command');
  });

  it('replays a failure from its seed and path to the same trace, byte for byte', async () => {
    const faults = faultSchedules({ kinds: ['crash', 'latency', 'coalesce', 'writeError'], resources: ['*'], maxWrite: 8 });
    const first = await failureOf(checkCluster(options('replay', { edgeTriggered: true }, { faults, actions: setActions(['scale', 'touch', 'advance']) })));
    expect(first.counterexample.faults.length).toBeGreaterThan(0);
    const again = await failureOf(checkCluster(options('replay', { edgeTriggered: true }, { faults, actions: setActions(['scale', 'touch', 'advance']), replay: `replay@${first.seed}:${first.path}` })));
    expect(again.counterexample).toEqual(first.counterexample);
    expect(again.outcome.traceJson).toBe(first.outcome.traceJson);
    expect(again.outcome.faultLog).toEqual(first.outcome.faultLog);
  });

  it('digests and tails the trace entry by entry, to the same digest as the whole text (a failure report never builds the text, which a long run can make longer than a string can hold)', async () => {
    const faults = faultSchedules({ kinds: ['crash', 'latency', 'coalesce', 'writeError'], resources: ['*'], maxWrite: 8 });
    const failure = await failureOf(checkCluster(options('digest', { edgeTriggered: true }, { faults, actions: setActions(['scale', 'touch', 'advance']) })));
    expect(failure.outcome.traceDigest).toBe(traceDigest(failure.outcome.traceJson));
    const last = JSON.parse(failure.outcome.traceJson.split('\n').at(-1)!) as { t: number; type: string; object: { kind: string } };
    expect(failure.outcome.traceTail(1)).toMatch(new RegExp(`^  t=${last.t} ${last.type} ${last.object.kind} `));
    expect(failure.message).toContain(`trace tail (digest ${failure.outcome.traceDigest}):`);
  });

  it('ignores a replay meant for another test', async () => {
    await checkCluster(options('other', {}, { replay: 'someone-else@1:0', runs: 2 }));
  });

  it('differential: reports a final state that differs with faults from without (an edge-triggered controller that forgets across a crash)', async () => {
    const faults = fc.constant([{ kind: 'crash' as const, write: 1, committed: true }]);
    const failure = await failureOf(checkCluster(options('differential', { edgeTriggered: true }, { faults, liveness: [], actions: setActions(['scale']), differential: { kinds: ['ConfigMap'] } })));
    expect(failure.outcome.failure?.invariant).toBe('differential');
    expect(failure.message).toMatch(/with faults only: \{"apiVersion":"v1","kind":"ConfigMap","metadata":\{"generateName":"set-a-","labels":\{"gallery.kubeloop.dev\/set":"set-a"\},"name":"set-a-\*"/);
  });

  it('differential: the correct controller ends in the same normalised state with and without faults', async () => {
    const faults = faultSchedules({ kinds: ['crash', 'writeError', 'staleReads', 'coalesce'], resources: ['*'], maxWrite: 8 });
    await checkCluster(options('differential correct', {}, { faults, differential: { kinds: ['ConfigMap'] }, runs: 10 }));
  });
});

describe('run context', () => {
  it('gives every run a fresh state, shared by its setup, its steps and the invariants built for it', async () => {
    const states: { steps: number }[] = [];
    await checkCluster<SetAction, { steps: number }>({
      ...options('state', {}),
      liveness: [membersMatchReplicas],
      runs: 5,
      runState: () => ({ steps: 0 }),
      setup: async (cluster, context) => {
        expect(context.step).toBe(-1);
        states.push(context.state);
        await setupSet(cluster);
      },
      perform: async (cluster, action, context) => {
        expect(context.step).toBe(context.state.steps);
        context.state.steps++;
        await performSetAction(cluster, action);
      },
      // A state shared between runs would count past one run's 8 actions at most.
      safety: (state) => [invariant('ownSteps', 'A run counts only its own steps.', () => (state.steps <= 8 ? [] : [{ message: `${state.steps} steps counted`, objects: [] }]))],
    });
    expect(states).toHaveLength(5);
    expect(new Set(states).size).toBe(5);
    for (const state of states) expect(state.steps).toBeGreaterThan(0);
  });

  it("restarts a controller manager that crashed during a step while the context's advance or settle lets time pass; the cluster's own advance leaves it down until the step ends", async () => {
    const during = async (how: 'cluster.advance' | 'context.advance' | 'context.settle') => {
      const seen = { restarts: -1, members: -1 };
      const outcome = await runCase<SetAction>(
        {
          ...options('restart', {}),
          perform: async (cluster, action, context) => {
            await performSetAction(cluster, action);
            if (how === 'cluster.advance') await cluster.advance(5_000);
            else if (how === 'context.advance') await context.advance(5_000);
            else await context.settle();
            seen.restarts = cluster.controllerManagerRestarts;
            seen.members = (await cluster.list(ConfigMaps, { namespace: 'default' })).items.filter((c) => c.metadata.generateName === `${setObject(0).metadata.name}-`).length;
          },
        },
        1,
        [{ kind: 'scale', replicas: 4 }],
        // The set controller's first write after setup creates a member, then the manager dies.
        [{ kind: 'crash', write: 1, committed: true }],
      );
      expect(outcome.failure).toBeUndefined();
      return seen;
    };
    expect(await during('cluster.advance')).toEqual({ restarts: 0, members: 3 });
    expect(await during('context.advance')).toEqual({ restarts: 1, members: 4 });
    expect(await during('context.settle')).toEqual({ restarts: 1, members: 4 });
  });
});

/**
 * Taint-based eviction under generated actions and faults: kubelets that stop and resume their
 * heartbeats, pods bound to nodes with all kinds of tolerations (none, `Exists`, `Equal`, for
 * `NoExecute` or every effect, with or without `tolerationSeconds`, 0 included), `NoExecute`
 * taints added and removed by hand; with and without controller-manager crashes, cut watches
 * and lagging caches. No pod is ever evicted before its taint's `timeAdded` plus its
 * `tolerationSeconds`, nor at all while it tolerates every taint forever
 * (`noEvictionBeforeToleration`, registered by the node lifecycle plugin); after settling, no
 * active pod is left on a node past its tolerations (`taintedPodsEvicted`).
 *
 * The node lifecycle plugin runs in the controller manager here (SimCluster's own copy is
 * off), so the faults reach it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Nodes, Pods, controllerFor, done, formatTime, isApiError } from '@kubeloop/core';
import type { Manager, Node, Plugin, Taint, Toleration } from '@kubeloop/core';
import { nodeLifecyclePlugin } from '@kubeloop/controllers';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, noEvictionBeforeTolerationInvariant, runCase, taintedPodsEvictedInvariant } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';

const RUNS = DEEP ? 200 : 12;
const MAX_STEPS = 12;
const NODES = 3;
const TAINT_KEYS = ['example.com/maintenance', 'example.com/gpu'] as const;

/** What the test does to the cluster. */
type Step =
  | { readonly kind: 'createPod'; readonly node: number; readonly tolerations: readonly Toleration[] }
  | { readonly kind: 'stopHeartbeats'; readonly node: number }
  | { readonly kind: 'resumeHeartbeats'; readonly node: number }
  | { readonly kind: 'addTaint'; readonly node: number; readonly key: string; readonly timeAdded: boolean }
  | { readonly kind: 'removeTaint'; readonly node: number; readonly key: string }
  | { readonly kind: 'wait'; readonly ms: number };

/** A toleration as users write them; `tolerationSeconds` only with `NoExecute`, as validation wants. */
const toleration: fc.Arbitrary<Toleration> = fc
  .record({
    key: fc.constantFrom('node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready', ...TAINT_KEYS, ''),
    equal: fc.boolean(),
    noExecute: fc.boolean(),
    seconds: fc.option(fc.constantFrom(0, 5, 30, 60, 90, 300), { nil: undefined }),
  })
  .map(({ key, equal, noExecute, seconds }): Toleration => ({
    ...(key === '' ? {} : { key }),
    // An empty key needs Exists; Equal compares the value (the hand-made taints carry "true").
    operator: key !== '' && equal ? 'Equal' : 'Exists',
    ...(key !== '' && equal ? { value: 'true' } : {}),
    ...(noExecute ? { effect: 'NoExecute' as const } : {}),
    ...(noExecute && seconds !== undefined ? { tolerationSeconds: seconds } : {}),
  }));

const node = fc.nat(NODES - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('createPod' as const), node, tolerations: fc.array(toleration, { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('stopHeartbeats' as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resumeHeartbeats' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addTaint' as const), node, key: fc.constantFrom(...TAINT_KEYS), timeAdded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeTaint' as const), node, key: fc.constantFrom(...TAINT_KEYS) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 5_000, max: 400_000 })) }) },
);
const steps = fc.array(step, { minLength: 1, maxLength: MAX_STEPS });

const nodeName = (i: number) => `node-${i + 1}`;

/** Read-modify-write of a node's taints, retried on a conflict with the node lifecycle controller. */
async function editTaints(cluster: SimCluster, name: string, edit: (taints: readonly Taint[]) => Taint[]): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await cluster.server.get(Nodes, { name });
    try {
      await cluster.server.update(Nodes, { ...current, spec: { ...current.spec, taints: edit(current.spec.taints ?? []) } });
      return;
    } catch (error) {
      if (!isApiError(error, 'Conflict')) throw error;
    }
  }
}

let podCount = 0;

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  switch (s.kind) {
    case 'createPod':
      await cluster.server.create(Pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p-${podCount++}`, namespace: 'default' },
        spec: { nodeName: nodeName(s.node), containers: [{ name: 'app', image: 'nginx:1.25' }], tolerations: [...s.tolerations] },
      } as never);
      return;
    case 'stopHeartbeats':
      cluster.stopNode(nodeName(s.node));
      return;
    case 'resumeHeartbeats':
      await cluster.restoreNode(nodeName(s.node));
      return;
    case 'addTaint':
      // kubectl taint stamps timeAdded on a NoExecute taint; a hand-written manifest may not.
      await editTaints(cluster, nodeName(s.node), (taints) => [
        ...taints.filter((t) => t.key !== s.key),
        { key: s.key, value: 'true', effect: 'NoExecute', ...(s.timeAdded ? { timeAdded: formatTime(cluster.clock.now()) } : {}) },
      ]);
      return;
    case 'removeTaint':
      await editTaints(cluster, nodeName(s.node), (taints) => taints.filter((t) => t.key !== s.key));
      return;
    case 'wait':
      await context.advance(s.ms);
      return;
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'createPod':
      return `create a pod on ${nodeName(s.node)} tolerating ${JSON.stringify(s.tolerations)}`;
    case 'stopHeartbeats':
      return `stop the kubelet of ${nodeName(s.node)}`;
    case 'resumeHeartbeats':
      return `restart the kubelet of ${nodeName(s.node)}`;
    case 'addTaint':
      return `taint ${nodeName(s.node)} ${s.key}=true:NoExecute${s.timeAdded ? ' (timeAdded now)' : ' (no timeAdded)'}`;
    case 'removeTaint':
      return `remove taint ${s.key} from ${nodeName(s.node)}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, plugins: readonly Plugin[] = [nodeLifecyclePlugin()]): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODES, nodeLifecycle: false, controllerManager: { plugins: [...plugins] } },
    setup: async (cluster) => {
      podCount = 0;
      await cluster.advance(5_000);
    },
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    safety: [noEvictionBeforeTolerationInvariant()],
    liveness: [taintedPodsEvictedInvariant],
    stepMs: 1,
    // Outlasts the node monitor grace period (50 s) and a monitor period, so that a kubelet
    // stopped by the last step has its node tainted before the liveness check.
    settleQuietMs: 70_000,
    settleMaxMs: 1_200_000,
    stableMs: 60_000,
    runs: RUNS,
  };
}

const crashes = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 20 })], faultSchedules({ kinds: ['crash', 'latency'], maxFaults: 3, maxWrite: 60, steps: MAX_STEPS, maxDelayMs: 50 }));
const watches = faultSchedulesWith(
  [fc.record({ kind: fc.constant('staleReads' as const), resource: fc.constantFrom('nodes', 'pods'), lag: fc.integer({ min: 1, max: 5 }), holdMs: fc.integer({ min: 100, max: 3_000 }) })],
  faultSchedules({ kinds: ['expireWatches', 'crash'], maxFaults: 2, maxWrite: 60, steps: MAX_STEPS }),
);

/**
 * A taint eviction controller broken on purpose: it counts a toleration with
 * `tolerationSeconds` as none, so it evicts at once what should wait. It runs next to the real
 * one, marks the pods as the real one does, and deletes them.
 */
function ignoresTolerationSeconds(): Plugin {
  const matches = (t: Toleration, taint: Taint) =>
    (t.effect === undefined || t.effect === taint.effect) && (t.key === undefined || t.key === '' || t.key === taint.key) && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? ''));
  const reconciler = (manager: Manager) => ({
    async reconcile(request: { namespace?: string | undefined; name: string }) {
      const pod = manager.cache(Pods).get(request);
      if (pod === undefined || pod.metadata.deletionTimestamp !== undefined || !pod.spec.nodeName) return done;
      const node = manager.cache(Nodes).get({ name: pod.spec.nodeName });
      const forever = (pod.spec.tolerations ?? []).filter((t) => t.tolerationSeconds === undefined);
      if (!(node?.spec.taints ?? []).some((taint) => taint.effect === 'NoExecute' && !forever.some((t) => matches(t, taint)))) return done;
      const conditions = [...(pod.status.conditions ?? []), { type: 'DisruptionTarget', status: 'True' as const, reason: 'DeletionByTaintManager', lastTransitionTime: formatTime(manager.clock.now()) }];
      try {
        await manager.client.updateStatus(Pods, { ...pod, status: { ...pod.status, conditions } });
        await manager.client.delete(Pods, { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' });
      } catch (error) {
        if (!isApiError(error, 'NotFound') && !isApiError(error, 'Conflict')) throw error;
      }
      return done;
    },
  });
  return {
    name: 'example.com/broken-taint-eviction',
    register(api) {
      api.addController((manager) =>
        controllerFor(manager, Pods)
          .named('broken-taint-eviction')
          .watches(Nodes, (n: Node) =>
            manager
              .cache(Pods)
              .list()
              .filter((p) => p.spec.nodeName === n.metadata.name)
              .map((p) => ({ namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' })),
          )
          .complete(reconciler(manager)),
      );
    },
  };
}

describe('taint-based eviction under random heartbeats, tolerations and taints', () => {
  it('no pod is evicted before its taint was added plus its tolerationSeconds, nor while it tolerates forever; after settling none is left past its tolerations', async () => {
    await checkCluster(options('nodelifecycle: heartbeats, tolerations and taints', fc.constant([])));
  }, 120_000);

  it('the same holds when the controller manager crashes and restarts, its writes delayed', async () => {
    await checkCluster(options('nodelifecycle: crashes', crashes));
  }, 120_000);

  it('the same holds when the node or pod cache lags the store and watches are cut with 410 Gone', async () => {
    await checkCluster(options('nodelifecycle: stale caches', watches));
  }, 120_000);

  it('a taint eviction controller broken on purpose to ignore tolerationSeconds fails noEvictionBeforeToleration', async () => {
    // A pod tolerating unreachable for 300 s on a node whose kubelet stops: the real controller
    // waits 300 s after the taint, the broken one evicts as soon as the node is tainted.
    const actions: Step[] = [
      { kind: 'createPod', node: 0, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] },
      { kind: 'wait', ms: 5_000 },
      { kind: 'stopHeartbeats', node: 0 },
      { kind: 'wait', ms: 120_000 },
    ];
    const broken = await runCase(options('nodelifecycle: broken', fc.constant([]), [nodeLifecyclePlugin(), ignoresTolerationSeconds()]), 1, actions, []);
    expect(broken.failure?.invariant).toBe('noEvictionBeforeToleration');
    expect(broken.failure?.violations[0]?.message).toMatch(/^pod default\/p-0 on node node-1 was evicted at t=\d+ ms before /);
    expect((await runCase(options('nodelifecycle: real', fc.constant([])), 1, actions, [])).failure).toBeUndefined();
  }, 60_000);
});

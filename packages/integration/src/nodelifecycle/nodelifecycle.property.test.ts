/**
 * Node health and taint-based eviction under generated actions and faults: kubelets that stop
 * and resume their heartbeats, that report `Ready=False` before going silent, that flap around
 * the 50 s grace period; pods bound to nodes with all kinds of tolerations (none, `Exists`,
 * `Equal`, for `NoExecute` or every effect, with or without `tolerationSeconds`, 0 and the grace
 * period included), `NoExecute` taints added and removed by hand; two zones of the same name in
 * two regions (one node in `region-a`, two in `region-b`, so that a zone can be fully disrupted
 * while the other is not, or both), which Nodes created by hand may join (never Ready, so that
 * region-b's zone can be partially disrupted: more than 2 nodes not Ready, some Ready); with and
 * without controller-manager crashes, cut watches and lagging caches.
 *
 * Safety, after every step: no pod is ever evicted before its taint's `timeAdded` plus its
 * `tolerationSeconds`, nor at all while it tolerates every taint forever
 * (`noEvictionBeforeToleration`); no node condition is set `Unknown` within the grace period
 * (`noNodeUnknownWithinGrace`); a lifecycle taint keeps its `timeAdded`
 * (`lifecycleTaintTimeAddedKept`) — all three registered by the node lifecycle plugin; in the
 * fault-free runs, a zone is tainted no faster than the eviction rates allow: the normal one,
 * none in a small partially disrupted zone, the secondary one in a large one
 * (`noExecuteTaintRate`, `partialDisruptionTainting`). Liveness,
 * after settling: no active pod is left on a node past its tolerations (`taintedPodsEvicted`); a
 * silent node's conditions are `Unknown` (`silentNodesUnknown`); each node carries the
 * not-ready / unreachable taints its Ready condition calls for, none when Ready, no
 * `NoExecute` one when every zone is down (`lifecycleTaintsFollowReady`); no pod on a node that
 * is not Ready is Ready (`podsOnUnreadyNodesNotReady`).
 *
 * The node lifecycle plugin runs in the controller manager here (SimCluster's own copy is
 * off), so the faults reach it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Nodes, Pods, controllerFor, done, formatTime, isApiError } from '@kubeloop/core';
import type { Client, Manager, Node, Plugin, PluginApi, Taint, Toleration } from '@kubeloop/core';
import { nodeLifecyclePlugin } from '@kubeloop/controllers';
import type { NodeLifecyclePluginOptions } from '@kubeloop/controllers';
import {
  DEEP,
  checkCluster,
  faultArbitrary,
  faultSchedules,
  faultSchedulesWith,
  lifecycleTaintTimeAddedKeptInvariant,
  lifecycleTaintWritesKeepOtherTaintsInvariant,
  lifecycleTaintsFollowReadyInvariant,
  noEvictionBeforeTolerationInvariant,
  noExecuteTaintRateInvariant,
  noNodeUnknownWithinGraceInvariant,
  partialDisruptionTaintingInvariant,
  podsOnUnreadyNodesNotReadyInvariant,
  readyChangesActedOnInvariant,
  runCase,
  silentNodesUnknownInvariant,
  taintedPodsEvictedInvariant,
  taintEvictionsMarkedInvariant,
} from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, PartialDisruptionOptions, RunContext, SimCluster } from '@kubeloop/testing';

const RUNS = DEEP ? 200 : 20;
const MAX_STEPS = 12;
const NODES = 3;
const TAINT_KEYS = ['example.com/maintenance', 'example.com/gpu'] as const;

/** What the test does to the cluster. */
type Step =
  | { readonly kind: 'createPod'; readonly node: number; readonly tolerations: readonly Toleration[] }
  | { readonly kind: 'stopHeartbeats'; readonly node: number }
  | { readonly kind: 'resumeHeartbeats'; readonly node: number }
  /** The kubelet posts `Ready=False` (its runtime is down, say), then goes silent. */
  | { readonly kind: 'reportNotReady'; readonly node: number }
  /**
   * `count` Node objects created by hand, with no kubelet behind them: they never post a Ready
   * condition. In no zone, in region-b's `zone-1` (with node-2 and node-3), or in region-b's `zone-2`.
   */
  | { readonly kind: 'registerNode'; readonly zone: 'none' | 'zone-1' | 'zone-2'; readonly count: number }
  /** The kubelet stops for `ms` (around the grace period) and comes back. */
  | { readonly kind: 'flap'; readonly node: number; readonly ms: number }
  | { readonly kind: 'addTaint'; readonly node: number; readonly key: string; readonly timeAdded: boolean }
  | { readonly kind: 'removeTaint'; readonly node: number; readonly key: string }
  | { readonly kind: 'wait'; readonly ms: number };

/** A toleration as users write them; `tolerationSeconds` only with `NoExecute`, as validation wants. */
const toleration: fc.Arbitrary<Toleration> = fc
  .record({
    key: fc.constantFrom('node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready', ...TAINT_KEYS, ''),
    equal: fc.boolean(),
    noExecute: fc.boolean(),
    // 50: the node monitor grace period, the time a kubelet is silent before its node is tainted.
    seconds: fc.option(fc.constantFrom(0, 5, 30, 50, 60, 90, 300), { nil: undefined }),
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
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reportNotReady' as const), node }) },
  // Two at once in region-b's zone: with one of its kubelets silent, 3 of its 4 nodes are not Ready.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('registerNode' as const), zone: fc.constantFrom('none', 'zone-1', 'zone-1', 'zone-2'), count: fc.constantFrom(1, 2) }) },
  // Back just before the grace period runs out, at its end, or after the node was tainted.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flap' as const), node, ms: fc.constantFrom(45_000, 50_000, 55_000, 65_000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addTaint' as const), node, key: fc.constantFrom(...TAINT_KEYS), timeAdded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeTaint' as const), node, key: fc.constantFrom(...TAINT_KEYS) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 5_000, max: 400_000 })) }) },
);
const steps = fc.array(step, { minLength: 1, maxLength: MAX_STEPS });

const nodeName = (i: number) => `node-${i + 1}`;
/**
 * The topology labels of a node in region `region`'s zone `zone` (`zone-1` by default). The two
 * regions name their zones alike: a zone is keyed by region and zone ("Rate limits on
 * eviction"), so they are two.
 */
const zoneLabels = (region: 'region-a' | 'region-b', zone: 'zone-1' | 'zone-2' = 'zone-1') => ({ 'topology.kubernetes.io/region': region, 'topology.kubernetes.io/zone': zone });
/** node-1 alone in region-a's zone, node-2 and node-3 in region-b's. */
const NODE_SPECS = Array.from({ length: NODES }, (_, i) => ({ name: nodeName(i), labels: zoneLabels(i === 0 ? 'region-a' : 'region-b') }));

/** The kubelet posts `Ready=False` with a fresh heartbeat (read-modify-write, retried on a conflict), then stops. */
async function reportNotReady(cluster: SimCluster, name: string): Promise<void> {
  cluster.stopNode(name);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await cluster.server.get(Nodes, { name });
    const now = formatTime(cluster.clock.now());
    // As a kubelet posts them: Ready=False, and no memory, disk or PID pressure (False), whatever
    // the node controller had set while it was silent.
    const conditions = (current.status.conditions ?? []).map((c) => {
      const [status, reason, message] = c.type === 'Ready' ? (['False', 'KubeletNotReady', 'container runtime is down'] as const) : (['False', `KubeletHasNo${c.type}`, `kubelet has no ${c.type}`] as const);
      return { ...c, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: c.status === status ? c.lastTransitionTime : now };
    });
    try {
      await cluster.server.updateStatus(Nodes, { ...current, status: { ...current.status, conditions } });
      return;
    } catch (error) {
      if (!isApiError(error, 'Conflict')) throw error;
    }
  }
}

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
let registered = 0;

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
    case 'reportNotReady':
      await reportNotReady(cluster, nodeName(s.node));
      return;
    case 'registerNode':
      // Without labels: a zone of their own, never Ready, so never all zones Ready either. In
      // region-b's zone-1: more nodes not Ready there. In its zone-2: a zone of their own again,
      // in the same region as zone-1 (a zone is keyed by region and zone).
      for (let i = 0; i < s.count; i++) {
        await cluster.server.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: `manual-${registered++}`, ...(s.zone === 'none' ? {} : { labels: zoneLabels('region-b', s.zone) }) }, spec: {}, status: {} } as never);
      }
      return;
    case 'flap':
      cluster.stopNode(nodeName(s.node));
      await context.advance(s.ms);
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
    case 'reportNotReady':
      return `the kubelet of ${nodeName(s.node)} reports Ready=False and stops`;
    case 'registerNode':
      return `create ${s.count} Node(s) by hand, with no kubelet${s.zone === 'none' ? '' : `, in region-b's ${s.zone}`}`;
    case 'flap':
      return `stop the kubelet of ${nodeName(s.node)} for ${s.ms} ms`;
    case 'addTaint':
      return `taint ${nodeName(s.node)} ${s.key}=true:NoExecute${s.timeAdded ? ' (timeAdded now)' : ' (no timeAdded)'}`;
    case 'removeTaint':
      return `remove taint ${s.key} from ${nodeName(s.node)}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

/**
 * The suite's options. `timed`, for runs without faults: the controller never restarts nor
 * waits on a slow write, so its per-zone rate limiter holds across the run
 * (`noExecuteTaintRate`, `partialDisruptionTainting`, judged with the flags in `zones`; a
 * restarted controller starts with a full bucket, as upstream's) and it acts on a Ready change
 * within 15 s (`readyChangesActedOn`).
 */
function options(name: string, faults: fc.Arbitrary<FaultSchedule>, plugins: readonly Plugin[] = [nodeLifecyclePlugin()], timed = false, zones: PartialDisruptionOptions = {}): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: NODE_SPECS, nodeLifecycle: false, controllerManager: { plugins: [...plugins] } },
    setup: async (cluster) => {
      podCount = 0;
      registered = 0;
      await cluster.advance(5_000);
    },
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    safety: [
      noEvictionBeforeTolerationInvariant(),
      // Nothing but the taint eviction controller deletes pods here.
      taintEvictionsMarkedInvariant,
      noNodeUnknownWithinGraceInvariant(),
      lifecycleTaintTimeAddedKeptInvariant,
      // Only the node lifecycle controller writes lifecycle taints here, and the steps' taint
      // edits touch one hand-made taint at a time.
      lifecycleTaintWritesKeepOtherTaintsInvariant,
      ...(timed ? [noExecuteTaintRateInvariant(), partialDisruptionTaintingInvariant(zones), readyChangesActedOnInvariant()] : []),
    ],
    liveness: [taintedPodsEvictedInvariant, silentNodesUnknownInvariant(), lifecycleTaintsFollowReadyInvariant(), podsOnUnreadyNodesNotReadyInvariant],
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

/** What a broken node lifecycle controller does to one of its writes: the object to write instead, or `'lost'`. */
type BreakWrite = (verb: 'update' | 'updateStatus', resource: string, object: Node | Record<string, unknown>, now: number) => unknown;

/** A member of `target`, a method bound to it (so that a proxy can hand out methods that use private fields). */
function bound<T extends object>(target: T, name: string | symbol): unknown {
  const value: unknown = Reflect.get(target, name);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/**
 * The real node lifecycle plugin whose node lifecycle controller (not the taint eviction one) is
 * broken on purpose: each of its `update` / `updateStatus` writes goes through `breakWrite`,
 * which may change the object or lose the write (the controller sees it as a conflict, to be
 * retried on the next pass, which loses it again).
 */
function brokenNodeLifecycle(breakWrite: BreakWrite, options: NodeLifecyclePluginOptions = {}): Plugin {
  const real = nodeLifecyclePlugin(options);
  const brokenManager = (manager: Manager): Manager => {
    const client = new Proxy(manager.client, {
      get: (target: Client, name) =>
        name === 'update' || name === 'updateStatus'
          ? async (resource: { resource: string }, object: never, writeOptions?: never) => {
              const edited = breakWrite(name, resource.resource, object, manager.clock.now());
              if (edited === 'lost') return undefined;
              return target[name](resource as never, edited as never, writeOptions);
            }
          : bound(target, name),
    });
    return new Proxy(manager, { get: (target, name) => (name === 'client' ? client : bound(target, name)) });
  };
  return {
    name: real.name,
    register(api) {
      real.register(new Proxy(api, { get: (target: PluginApi, name) => (name === 'addRunnable' ? (build: (m: Manager) => never) => target.addRunnable((m) => build(brokenManager(m))) : bound(target, name)) }));
    },
  };
}

/**
 * The real node lifecycle plugin whose taint eviction controller (not the node lifecycle one)
 * loses every write of `verb` on purpose.
 */
function brokenTaintEviction(verb: 'updateStatus' | 'delete'): Plugin {
  const real = nodeLifecyclePlugin();
  const wrap = (manager: Manager): Manager => {
    const client = new Proxy(manager.client, { get: (target: Client, name) => (name === verb ? async () => undefined : bound(target, name)) });
    return new Proxy(manager, { get: (target, name) => (name === 'client' ? client : bound(target, name)) });
  };
  return {
    name: real.name,
    register(api) {
      real.register(new Proxy(api, { get: (target: PluginApi, name) => (name === 'addController' ? (build: (m: Manager) => never) => target.addController((m) => build(wrap(m))) : bound(target, name)) }));
    },
  };
}

/** Whether a fixed case fails `invariant` with the broken plugin and passes with the real one. */
async function failsOnlyBroken(broken: Plugin, actions: readonly Step[], invariant: string): Promise<string | undefined> {
  const outcome = await runCase(options(`nodelifecycle: broken for ${invariant}`, fc.constant([]), [broken]), 1, actions, []);
  expect(outcome.failure?.invariant).toBe(invariant);
  expect((await runCase(options(`nodelifecycle: real for ${invariant}`, fc.constant([])), 1, actions, [])).failure).toBeUndefined();
  return outcome.failure?.violations[0]?.message;
}

/** A pod tolerating unreachable forever (so it stays on its silent node to be judged). */
const STAYS: Toleration[] = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }];

describe('taint-based eviction under random heartbeats, tolerations and taints', () => {
  it('no pod is evicted before its taint was added plus its tolerationSeconds, nor while it tolerates forever; after settling none is left past its tolerations', async () => {
    await checkCluster(options('nodelifecycle: heartbeats, tolerations and taints', fc.constant([]), undefined, true));
  }, 120_000);

  it('a zone larger than --large-cluster-size-threshold (4 here) is tainted at the secondary rate while partially disrupted', async () => {
    // region-b's zone has 2 kubelet nodes, and more once Nodes are created in it by hand: with
    // 2 of them, one silent kubelet makes it partially disrupted (3 of 4 not Ready), a zone at
    // the threshold (no NoExecute taint); with 3 or more, a larger one (the secondary rate).
    const zones = { largeClusterSizeThreshold: 4 };
    await checkCluster(options('nodelifecycle: large zones', fc.constant([]), [nodeLifecyclePlugin(zones)], true, zones));
  }, 120_000);

  // Zone states the drawn runs seldom end in, each on the real controller under every invariant
  // of the fault-free runs: the taints a zone's state calls for are there after settling.
  it.each<[string, Step[]]>([
    // 2 of region-b's 3 nodes not Ready (67%, but not more than 2): a normal zone, node-2 tainted NoExecute.
    ['two of three nodes not Ready is not a partial disruption', [{ kind: 'registerNode', zone: 'zone-1', count: 1 }, { kind: 'wait', ms: 5_000 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'wait', ms: 120_000 }]],
    // region-a fully disrupted, region-b normal, a third zone never Ready: not every zone is down, so node-1 and node-2 get NoExecute.
    ['a fully disrupted zone next to a healthy one is tainted at the normal rate', [{ kind: 'registerNode', zone: 'none', count: 1 }, { kind: 'stopHeartbeats', node: 0 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'wait', ms: 120_000 }]],
    // region-b fully disrupted (its 2 kubelets and 2 hand-made nodes), region-a Ready: fully, not partially, disrupted, so tainted.
    ['a zone whose every node is down is fully disrupted, not partially', [{ kind: 'registerNode', zone: 'zone-1', count: 2 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'stopHeartbeats', node: 2 }, { kind: 'wait', ms: 150_000 }]],
    // region-b's zone-2 (2 hand-made nodes, fully disrupted) is not its zone-1, where node-2 alone is down (normal): both tainted.
    ['two zones of one region are two zones', [{ kind: 'registerNode', zone: 'zone-2', count: 2 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'wait', ms: 150_000 }]],
  ])('%s', async (_name, actions) => {
    expect((await runCase(options('nodelifecycle: zone states', fc.constant([]), undefined, true), 1, actions, [])).failure).toBeUndefined();
  }, 60_000);

  it('the same holds when the controller manager crashes and restarts, its writes delayed', async () => {
    await checkCluster(options('nodelifecycle: crashes', crashes));
  }, 120_000);

  it('the same holds when the node or pod cache lags the store and watches are cut with 410 Gone', async () => {
    await checkCluster(options('nodelifecycle: stale caches', watches));
  }, 120_000);

  it('a pod tolerating a taint for 30 s is evicted once that runs out, else taintedPodsEvicted fails (a fixed case the random runs seldom leave standing at the end)', async () => {
    // Random runs rarely end with such a pod still bound: a controller that never evicted a
    // pod tolerating its taint for a while passed them all (a mutation run showed it).
    const finite: Step[] = [
      { kind: 'createPod', node: 2, tolerations: [{ key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] },
      { kind: 'wait', ms: 5_000 },
      { kind: 'addTaint', node: 2, key: 'example.com/maintenance', timeAdded: true },
      { kind: 'wait', ms: 10_000 },
    ];
    expect(await failsOnlyBroken(brokenTaintEviction('delete'), finite, 'taintedPodsEvicted')).toBe('pod default/p-0 is still bound to node node-3 past its NoExecute tolerations');
  }, 60_000);

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

describe('node health invariants, each failed by a node lifecycle controller broken on purpose', () => {
  const silent: Step[] = [{ kind: 'createPod', node: 1, tolerations: STAYS }, { kind: 'wait', ms: 5_000 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'wait', ms: 90_000 }];

  it('silentNodesUnknown: a controller whose node status writes are lost leaves a silent node Ready', async () => {
    const lost: BreakWrite = (verb, resource, object) => (verb === 'updateStatus' && resource === 'nodes' ? 'lost' : object);
    expect(await failsOnlyBroken(brokenNodeLifecycle(lost), silent, 'silentNodesUnknown')).toMatch(/^node node-2 was last heard from \(or created\) at .*, but its Ready, MemoryPressure, DiskPressure, PIDPressure condition\(s\) are not Unknown$/);
  }, 60_000);

  it('noNodeUnknownWithinGrace: a controller with a 20 s grace period marks a node Unknown within the documented 50 s', async () => {
    expect(await failsOnlyBroken(nodeLifecyclePlugin({ nodeMonitorGracePeriodMs: 20_000 }), silent, 'noNodeUnknownWithinGrace')).toMatch(/^node node-2 condition \w+ was set Unknown at .*: within the 50000 ms grace period$/);
  }, 60_000);

  it('noNodeUnknownWithinGrace: a controller with a 20 s startup grace marks a node that never posted status within the documented 60 s', async () => {
    const manual: Step[] = [{ kind: 'registerNode', zone: 'none', count: 1 }, { kind: 'wait', ms: 90_000 }];
    expect(await failsOnlyBroken(nodeLifecyclePlugin({ nodeStartupGracePeriodMs: 20_000 }), manual, 'noNodeUnknownWithinGrace')).toMatch(/^node manual-0 condition \w+ was set Unknown at .*: within the 60000 ms grace period$/);
  }, 60_000);

  it('silentNodesUnknown: a controller whose node status writes are lost leaves a node that never posted status without conditions', async () => {
    const lost: BreakWrite = (verb, resource, object) => (verb === 'updateStatus' && resource === 'nodes' ? 'lost' : object);
    expect(await failsOnlyBroken(brokenNodeLifecycle(lost), [{ kind: 'registerNode', zone: 'none', count: 1 }, { kind: 'wait', ms: 90_000 }], 'silentNodesUnknown')).toMatch(/^node manual-0 was last heard from \(or created\) at .*, but its Ready, MemoryPressure, DiskPressure, PIDPressure condition\(s\) are not Unknown$/);
  }, 60_000);

  it('lifecycleTaintsFollowReady: a controller whose node taint updates are lost leaves an unreachable node untainted', async () => {
    const lost: BreakWrite = (verb, resource, object) => (verb === 'update' && resource === 'nodes' ? 'lost' : object);
    expect(await failsOnlyBroken(brokenNodeLifecycle(lost), silent, 'lifecycleTaintsFollowReady')).toBe('node node-2 (Ready Unknown) lacks node.kubernetes.io/unreachable:NoSchedule, lacks node.kubernetes.io/unreachable:NoExecute');
  }, 60_000);

  it('lifecycleTaintsFollowReady: a controller that keeps NoExecute taints when every zone is down fails it too (upstream master disruption mode)', async () => {
    // Every kubelet stops: the first node silent gets its NoExecute taint before the others
    // follow; once all zones are fully disrupted upstream takes them all off again.
    const allDown: Step[] = [{ kind: 'stopHeartbeats', node: 0 }, { kind: 'wait', ms: 30_000 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'stopHeartbeats', node: 2 }, { kind: 'wait', ms: 120_000 }];
    // Broken: a write that drops a node's lifecycle NoExecute taint while the node still has a
    // lifecycle taint puts the last one written back.
    const written = new Map<string, Taint>();
    const keeps: BreakWrite = (verb, resource, object) => {
      if (verb !== 'update' || resource !== 'nodes') return object;
      const node = object as Node;
      const taints = node.spec.taints ?? [];
      const lifecycle = taints.filter((t) => t.key === 'node.kubernetes.io/unreachable' || t.key === 'node.kubernetes.io/not-ready');
      const noExecute = lifecycle.find((t) => t.effect === 'NoExecute');
      if (noExecute !== undefined) written.set(node.metadata.name ?? '', noExecute);
      const last = written.get(node.metadata.name ?? '');
      if (noExecute !== undefined || last === undefined || lifecycle.length === 0) return object;
      return { ...node, spec: { ...node.spec, taints: [...taints, last] } };
    };
    expect(await failsOnlyBroken(brokenNodeLifecycle(keeps), allDown, 'lifecycleTaintsFollowReady')).toMatch(/carries node\.kubernetes\.io\/unreachable:NoExecute although every zone is fully disrupted/);
  }, 60_000);

  it('lifecycleTaintTimeAddedKept: a controller that restamps its taints on every write moves an eviction deadline', async () => {
    // node-2 and node-3 share region-b's zone: the second to go silent waits 10 s for a token, so its
    // NoSchedule taint is written first and its NoExecute taint later, next to it.
    const restamps: BreakWrite = (verb, resource, object, now) => {
      if (verb !== 'update' || resource !== 'nodes') return object;
      const node = object as Node;
      return { ...node, spec: { ...node.spec, taints: (node.spec.taints ?? []).map((t) => (t.key.startsWith('node.kubernetes.io/') ? { ...t, timeAdded: formatTime(now) } : t)) } };
    };
    const twoDown: Step[] = [{ kind: 'stopHeartbeats', node: 1 }, { kind: 'stopHeartbeats', node: 2 }, { kind: 'wait', ms: 90_000 }];
    expect(await failsOnlyBroken(brokenNodeLifecycle(restamps), twoDown, 'lifecycleTaintTimeAddedKept')).toMatch(/^node node-\d's taint node\.kubernetes\.io\/unreachable:NoSchedule had timeAdded .* and now /);
  }, 60_000);

  it('noExecuteTaintRate: a controller tainting 1 node a second taints two nodes of a zone within the documented 10 s', async () => {
    const twoDown: Step[] = [{ kind: 'stopHeartbeats', node: 1 }, { kind: 'stopHeartbeats', node: 2 }, { kind: 'wait', ms: 90_000 }];
    const broken = await runCase(options('nodelifecycle: fast tainting', fc.constant([]), [nodeLifecyclePlugin({ nodeEvictionRate: 1 })], true), 1, twoDown, []);
    expect(broken.failure?.invariant).toBe('noExecuteTaintRate');
    expect(broken.failure?.violations[0]?.message).toMatch(/^nodes node-[23] and node-[23] of zone "region-b:zone-1" got their first NoExecute taint 5000 ms apart, less than 10000 ms$/);
    expect((await runCase(options('nodelifecycle: real tainting', fc.constant([]), undefined, true), 1, twoDown, [])).failure).toBeUndefined();
  }, 60_000);

  it('partialDisruptionTainting: a controller with a 90% unhealthy-zone threshold taints a small partially disrupted zone', async () => {
    // region-b's zone: node-2, node-3 and two Nodes that never post status. Once node-2 is
    // Unknown, 3 of its 4 nodes are not Ready (75%, the documented threshold is 55%) and node-3
    // is: partially disrupted, 4 nodes (at most 50), so no NoExecute taint at all.
    const partial: Step[] = [{ kind: 'registerNode', zone: 'zone-1', count: 2 }, { kind: 'wait', ms: 5_000 }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'wait', ms: 90_000 }];
    const broken = await runCase(options('nodelifecycle: lenient zones', fc.constant([]), [nodeLifecyclePlugin({ unhealthyZoneThreshold: 0.9 })], true), 1, partial, []);
    expect(broken.failure?.invariant).toBe('partialDisruptionTainting');
    expect(broken.failure?.violations[0]?.message).toMatch(/^node (node-2|manual-\d) got a first NoExecute taint at t=\d+ ms while its zone "region-b:zone-1" of 4 nodes \(at most 50\) was partially disrupted \(3 not Ready\)$/);
    expect((await runCase(options('nodelifecycle: real zones', fc.constant([]), undefined, true), 1, partial, [])).failure).toBeUndefined();
  }, 60_000);

  it('partialDisruptionTainting: a controller with a secondary rate of 0.1 taints a large partially disrupted zone faster than the documented 0.01', async () => {
    // Three Nodes that never post status join region-b's zone: 3 of 5 not Ready (60%), node-2
    // and node-3 Ready. Past the 60 s startup grace the three are Unknown and need NoExecute
    // taints, at most one every 100 s in a zone over the (lowered) large-cluster threshold of 4.
    const zones = { largeClusterSizeThreshold: 4 };
    const partial: Step[] = [{ kind: 'registerNode', zone: 'zone-1', count: 3 }, { kind: 'wait', ms: 150_000 }];
    const broken = await runCase(options('nodelifecycle: fast secondary rate', fc.constant([]), [nodeLifecyclePlugin({ ...zones, secondaryNodeEvictionRate: 0.1 })], true, zones), 1, partial, []);
    expect(broken.failure?.invariant).toBe('partialDisruptionTainting');
    expect(broken.failure?.violations[0]?.message).toMatch(/^nodes manual-\d and manual-\d of the partially disrupted zone "region-b:zone-1" \(5 nodes\) got their first NoExecute taint 10000 ms apart, less than 100000 ms$/);
    expect((await runCase(options('nodelifecycle: real secondary rate', fc.constant([]), [nodeLifecyclePlugin(zones)], true, zones), 1, partial, [])).failure).toBeUndefined();
  }, 60_000);

  it('readyChangesActedOn: a controller whose taint updates are lost leaves a node Ready=False for 30 s without its not-ready taint', async () => {
    const lost: BreakWrite = (verb, resource, object) => (verb === 'update' && resource === 'nodes' ? 'lost' : object);
    const notReady: Step[] = [{ kind: 'reportNotReady', node: 1 }, { kind: 'wait', ms: 30_000 }];
    const broken = await runCase(options('nodelifecycle: slow taints', fc.constant([]), [brokenNodeLifecycle(lost)], true), 1, notReady, []);
    expect(broken.failure?.invariant).toBe('readyChangesActedOn');
    expect(broken.failure?.violations[0]?.message).toMatch(/^node node-2 has been Ready=False since .*, \d+ ms, and lacks node\.kubernetes\.io\/not-ready:NoSchedule$/);
    expect((await runCase(options('nodelifecycle: prompt taints', fc.constant([]), undefined, true), 1, notReady, [])).failure).toBeUndefined();
  }, 60_000);

  it('lifecycleTaintWritesKeepOtherTaints: a controller that writes only its own taints drops a maintenance taint', async () => {
    const ownOnly: BreakWrite = (verb, resource, object) => {
      if (verb !== 'update' || resource !== 'nodes') return object;
      const node = object as Node;
      return { ...node, spec: { ...node.spec, taints: (node.spec.taints ?? []).filter((t) => t.key.startsWith('node.kubernetes.io/')) } };
    };
    const maintained: Step[] = [{ kind: 'addTaint', node: 1, key: 'example.com/maintenance', timeAdded: true }, { kind: 'stopHeartbeats', node: 1 }, { kind: 'wait', ms: 90_000 }];
    expect(await failsOnlyBroken(brokenNodeLifecycle(ownOnly), maintained, 'lifecycleTaintWritesKeepOtherTaints')).toMatch(/^an update of node node-2 changed its lifecycle taints and its other taints too: \[\["example\.com\/maintenance"/);
  }, 60_000);

  it('taintEvictionsMarked: a taint eviction controller that deletes without the DisruptionTarget condition fails it', async () => {
    // The real plugin, its taint eviction controller's status writes lost: it deletes unmarked.
    const unmarked = brokenTaintEviction('updateStatus');
    const untolerated: Step[] = [{ kind: 'createPod', node: 1, tolerations: [] }, { kind: 'wait', ms: 5_000 }, { kind: 'addTaint', node: 1, key: 'example.com/maintenance', timeAdded: true }, { kind: 'wait', ms: 5_000 }];
    expect(await failsOnlyBroken(unmarked, untolerated, 'taintEvictionsMarked')).toMatch(/^pod default\/p-0 was deleted without the DisruptionTarget condition of the taint manager/);
  }, 60_000);

  it('podsOnUnreadyNodesNotReady: a controller whose pod status writes are lost leaves pods Ready on a silent node', async () => {
    const lost: BreakWrite = (verb, resource, object) => (verb === 'updateStatus' && resource === 'pods' ? 'lost' : object);
    expect(await failsOnlyBroken(brokenNodeLifecycle(lost), silent, 'podsOnUnreadyNodesNotReady')).toBe('pod default/p-0 is Ready on node node-2, whose Ready condition is not True');
  }, 60_000);
});

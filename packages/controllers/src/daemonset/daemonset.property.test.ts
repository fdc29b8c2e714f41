/**
 * Property: after any sequence of node additions, removals, label and taint changes, once the
 * cluster settles, every DaemonSet has exactly one daemon pod on every eligible node and none
 * on nodes it must leave, and its status says so — also when the controller manager crashes
 * and restarts mid-sequence, and when its watches are cut with 410 Gone (upstream
 * `pkg/controller/daemon`, level-triggered reconciliation).
 *
 * How nodes come and go (the SimCluster creates its nodes at start): the cluster has four
 * fake nodes with kubelets. Removing a node stops its kubelet, deletes its Node object, and
 * force-deletes the pods bound to it — what upstream's pod GC controller does for pods of a
 * deleted node (`gcOrphaned`), which kubeloop does not run here. Adding a node back starts its
 * kubelet, which registers a fresh Node (with its original labels and taints) as a new
 * machine would. Using real kubelets, not bare Node objects, keeps deletions honest: a pod
 * deleted on a node is confirmed by its kubelet, so the controller's deletion expectations are
 * met as in a real cluster. A bare Node (no kubelet) is covered by an e2e test instead.
 */
import { expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ControllerRevisions, DaemonSets, Nodes, Pods } from '@kubeloop/core';
import type { DaemonSet, Taint } from '@kubeloop/core';
import { SimCluster, expireWatches } from '@kubeloop/testing';
import { CONTROLLER_REVISION_HASH_LABEL } from './decide.js';
import { daemonSetStatusMatches, oneDaemonPodPerEligibleNode } from './invariants.js';
import { daemonSetPlugin } from './plugin.js';

const RUNS = process.env.KUBELOOP_DEEP === '1' ? 150 : 15;
const NODES = ['node-1', 'node-2', 'node-3', 'node-4'] as const;

const TAINTS: Readonly<Record<string, Taint | undefined>> = {
  none: undefined,
  tolerated: { key: 'gpu', value: 'yes', effect: 'NoSchedule' },
  noSchedule: { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
  noExecute: { key: 'evict', effect: 'NoExecute' },
  memoryPressure: { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
};

type Step =
  | { readonly kind: 'label'; readonly node: string; readonly on: boolean }
  | { readonly kind: 'taint'; readonly node: string; readonly taint: string }
  | { readonly kind: 'remove'; readonly node: string }
  | { readonly kind: 'add'; readonly node: string }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'restart' };

const nodeArb = fc.constantFrom(...NODES);
const stepArb = (restarts: boolean): fc.Arbitrary<Step> =>
  fc.oneof(
    fc.record({ kind: fc.constant('label' as const), node: nodeArb, on: fc.boolean() }),
    fc.record({ kind: fc.constant('taint' as const), node: nodeArb, taint: fc.constantFrom(...Object.keys(TAINTS)) }),
    fc.record({ kind: fc.constant('remove' as const), node: nodeArb }),
    fc.record({ kind: fc.constant('add' as const), node: nodeArb }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 8_000 }) }),
    ...(restarts ? [fc.constant({ kind: 'restart' as const })] : []),
  );

function daemonSet(name: string, podSpec: Record<string, unknown>): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...podSpec } },
    },
  };
}

async function run(seed: number, steps: readonly Step[], faults: 'none' | 'watches'): Promise<void> {
  const cluster = await SimCluster.create({
    seed,
    nodes: NODES.map((name) => ({ name })),
    controllerManager: { plugins: [daemonSetPlugin()], ...(faults === 'watches' ? { interceptors: (clock) => [expireWatches(clock, 7_000)] } : {}) },
  });
  try {
    await cluster.apply([daemonSet('everywhere', {}), daemonSet('labelled', { nodeSelector: { ds: 'yes' }, tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] })]);
    await cluster.advance(3_000);
    const absent = new Set<string>();
    for (const step of steps) {
      switch (step.kind) {
        case 'label':
          if (absent.has(step.node)) break;
          await cluster.server.patch(Nodes, { name: step.node }, { type: 'merge', body: { metadata: { labels: { ds: step.on ? 'yes' : null } } } });
          break;
        case 'taint': {
          if (absent.has(step.node)) break;
          const taint = TAINTS[step.taint];
          await cluster.server.patch(Nodes, { name: step.node }, { type: 'merge', body: { spec: { taints: taint === undefined ? null : [taint] } } });
          break;
        }
        case 'remove':
          if (absent.has(step.node)) break;
          absent.add(step.node);
          cluster.stopNode(step.node);
          await cluster.server.delete(Nodes, { name: step.node });
          // The pod GC's part: pods bound to a node that is gone are force-deleted.
          for (const p of (await cluster.list(Pods)).items) {
            if (p.spec.nodeName === step.node) await cluster.server.delete(Pods, { namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' }, { gracePeriodSeconds: 0 });
          }
          break;
        case 'add':
          if (!absent.delete(step.node)) break;
          await cluster.restoreNode(step.node);
          break;
        case 'advance':
          await cluster.advance(step.ms);
          break;
        case 'restart':
          await cluster.restartControllerManager();
          break;
      }
      await cluster.clock.flush();
    }
    await cluster.settle({ quietMs: 30_000 });
    const state = {
      daemonSets: (await cluster.list(DaemonSets)).items,
      nodes: (await cluster.list(Nodes)).items,
      pods: (await cluster.list(Pods)).items,
    };
    expect(oneDaemonPodPerEligibleNode(state)).toEqual([]);
    const revisions = (await cluster.list(ControllerRevisions)).items;
    const hashOf = (ds: DaemonSet): string => revisions.find((r) => r.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid))?.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    expect(daemonSetStatusMatches(state, hashOf, cluster.clock.now())).toEqual([]);
  } finally {
    await cluster.stop();
  }
}

const seedArb = fc.integer({ min: 0, max: 1_000_000 });

test.prop([seedArb, fc.array(stepArb(false), { maxLength: 10 })], { numRuns: RUNS })(
  'after any node additions, removals, label and taint changes: exactly one daemon pod per eligible node and none elsewhere, status matching',
  async (seed, steps) => {
    await run(seed, steps, 'none');
  },
  60_000,
);

test.prop([seedArb, fc.array(stepArb(true), { maxLength: 10 })], { numRuns: RUNS })(
  'the same holds when the controller manager crashes and restarts mid-sequence',
  async (seed, steps) => {
    await run(seed, [...steps, { kind: 'restart' }], 'none');
  },
  60_000,
);

test.prop([seedArb, fc.array(stepArb(false), { maxLength: 10 })], { numRuns: RUNS })(
  'the same holds when every controller watch is cut with 410 Gone every 7 s (relists)',
  async (seed, steps) => {
    await run(seed, steps, 'watches');
  },
  60_000,
);

/**
 * Safety during a RollingUpdate without surge (upstream `rollingUpdate`): at no moment are
 * more than `maxUnavailable` eligible nodes without a ready, not-being-deleted daemon pod —
 * also across a controller manager restart mid-rollout (fresh expectations must not let it
 * delete a second batch early) — and the rollout finishes with every pod on the new template.
 */
test.prop([seedArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 40_000 }), fc.boolean()], { numRuns: Math.max(3, Math.floor(RUNS / 3)) })(
  'a RollingUpdate never has more than maxUnavailable nodes without a ready daemon pod, even across a restart, and completes',
  async (seed, maxUnavailable, restartAt, restart) => {
    const cluster = await SimCluster.create({ seed, nodes: 5, controllerManager: { plugins: [daemonSetPlugin()] } });
    try {
      const manifest = daemonSet('agent', {}) as { spec: Record<string, unknown> };
      await cluster.apply({ ...manifest, spec: { ...manifest.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } } } });
      await cluster.settle();
      const ds = await cluster.get(DaemonSets, { namespace: 'default', name: 'agent' });
      const t = ds.spec.template;
      await cluster.server.update(DaemonSets, { ...ds, spec: { ...ds.spec, template: { ...t, spec: { ...t.spec, containers: [{ ...t.spec.containers[0]!, image: 'busybox:1.37' }] } } } });
      let restarted = !restart;
      for (let ms = 0; ms < 180_000; ms += 1_000) {
        if (!restarted && ms >= restartAt) {
          restarted = true;
          await cluster.restartControllerManager();
        }
        await cluster.advance(1_000);
        const pods = (await cluster.list(Pods, { namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
        const ready = new Set(pods.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.spec.nodeName));
        expect(5 - ready.size).toBeLessThanOrEqual(maxUnavailable);
      }
      await cluster.settle();
      const images = (await cluster.list(Pods, { namespace: 'default' })).items.map((p) => p.spec.containers[0]?.image);
      expect(images).toEqual(Array(5).fill('busybox:1.37'));
    } finally {
      await cluster.stop();
    }
  },
  60_000,
);

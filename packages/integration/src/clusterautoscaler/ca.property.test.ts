/**
 * The Cluster Autoscaler under random load (replicas of a Deployment of 800m pods, a pod that
 * must not move coming and going) with controller-manager crashes and cut watches: the
 * invariants its plugin registers hold in every state — a group never above its maxSize, never
 * taken below its minSize by the autoscaler, and no node marked for deletion while a pod on it
 * could not move, none deleted before it is drained. Each is shown to fail on an autoscaler
 * broken on purpose: one that reads its groups' maxSize 2 too high, one blind to the
 * `safe-to-evict` annotation.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deployments, Pods, isApiError } from '@kubeloop/core';
import type { Node, Pod } from '@kubeloop/core';
import { DEEP, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster, SimClusterOptions } from '@kubeloop/testing';
import { clusterAutoscalerInvariants, clusterAutoscalerPlugin } from '@kubeloop/controllers';
import type { CloudProvider, NodeGroup } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 100 : 4;
const MAX_STEPS = 8;
/** Shorter than upstream's 10 minutes so that a run sees nodes come and go. */
const FAST = { scaleDownUnneededMs: 60_000, scaleDownDelayAfterAddMs: 60_000 };
const GROUPS = [{ name: 'pool', minSize: 1, maxSize: 3, cpu: '2', memory: '8Gi', bootDelayMs: 20_000 }];
const BOUNDS = [{ id: 'pool', minSize: 1, maxSize: 3 }];

type Step =
  | { readonly kind: 'scale'; readonly replicas: number }
  | { readonly kind: 'pinned'; readonly present: boolean }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('scale' as const), replicas: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pinned' as const), present: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 5_000, max: 180_000 }) }) },
);

const deployment = (name: string, replicas: number, annotations?: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name }, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '800m', memory: '256Mi' } } }] } },
  },
});

async function perform(cluster: SimCluster, s: Step, context: RunContext): Promise<void> {
  if (s.kind === 'wait') return context.advance(s.ms);
  try {
    if (s.kind === 'scale') await cluster.server.patch(Deployments, { namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { replicas: s.replicas } } });
    else if (s.present) await cluster.apply(deployment('pinned', 1, { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' }));
    else await cluster.server.delete(Deployments, { namespace: 'default', name: 'pinned' });
  } catch (error) {
    if (!isApiError(error)) throw error;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>, cluster: Partial<SimClusterOptions> = {}): CheckClusterOptions<Step> {
  return {
    name,
    cluster: { nodes: [{ name: 'node-1', cpu: '2', memory: '8Gi' }], nodeGroups: GROUPS, clusterAutoscaler: FAST, ...cluster },
    setup: async (c) => {
      await c.apply(deployment('web', 2));
      await c.advance(10_000);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: (s) => (s.kind === 'wait' ? `wait ${s.ms} ms` : s.kind === 'scale' ? `scale web to ${s.replicas}` : s.present ? 'add the pinned pod' : 'delete the pinned pod'),
    faults,
    stepMs: 1_000,
    // the autoscaler acts on minutes: settle until it has been quiet longer than its unneeded time
    settleMaxMs: 1_800_000,
    settleQuietMs: 120_000,
    stableMs: 60_000,
    runs: RUNS,
  };
}

/**
 * A cloud provider for a broken autoscaler, bound to the cluster's fake cloud once the cluster
 * exists (the plugin is built before it); `maxBonus` and `minBonus` shift every group's
 * maxSize and minSize as it sees them.
 */
function lateCloud(maxBonus = 0, minBonus = 0): { provider: CloudProvider; bind(cluster: SimCluster): void } {
  let real: CloudProvider | undefined;
  const view = (g: NodeGroup): NodeGroup => ({
    id: g.id,
    minSize: g.minSize + minBonus,
    maxSize: g.maxSize + maxBonus,
    targetSize: () => g.targetSize(),
    increaseSize: (d) => g.increaseSize(d),
    deleteNodes: (n) => g.deleteNodes(n),
    nodes: () => g.nodes(),
    templateNode: () => g.templateNode(),
  });
  return {
    provider: { name: 'late', nodeGroups: () => (real?.nodeGroups() ?? []).map(view), nodeGroupForNode: (n: Node) => { const g = real?.nodeGroupForNode(n); return g === undefined ? undefined : view(g); } },
    bind: (cluster) => {
      real = cluster.cloud;
    },
  };
}

/** The invariants of the real groups, stated apart from any autoscaler. */
const groupOf = (n: Node): string | undefined => n.metadata.labels?.['kubeloop.dev/node-group'];

describe('Cluster Autoscaler under random load', () => {
  it('with controller-manager crashes: within [minSize, maxSize], and no node removed whose pods could not move', async () => {
    await checkCluster(options('cluster autoscaler: crashes', faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 30, steps: MAX_STEPS, nodes: 1 }))));
  }, 300_000);

  it('the same when every watch of the controller manager is cut with 410 Gone while the faults last', async () => {
    await checkCluster(options('cluster autoscaler: cut watches', faultSchedulesWith([faultArbitrary({ kinds: ['expireWatches'] })], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: 1 }))));
  }, 300_000);

  it('an autoscaler that reads maxSize 2 too high grows the group past it', async () => {
    const late = lateCloud(2);
    const broken = options('cluster autoscaler: max misread', fc.constant([]), { clusterAutoscaler: false, plugins: [clusterAutoscalerPlugin({ cloudProvider: late.provider, ...FAST })] });
    const { actions: _a, faults: _f, runs: _r, ...run } = { ...broken, setup: async (c: SimCluster) => { late.bind(c); await broken.setup!(c, undefined as never); }, safety: clusterAutoscalerInvariants(BOUNDS, groupOf) };
    const steps: Step[] = [{ kind: 'scale', replicas: 10 }, { kind: 'wait', ms: 120_000 }];
    expect((await runCase(run, 1, steps, [])).failure?.invariant).toBe('clusterAutoscalerWithinMax');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('cluster autoscaler: real', fc.constant([]));
    expect((await runCase(real, 1, steps, [])).failure).toBeUndefined();
  }, 120_000);

  it('an autoscaler that reads minSize 1 too low shrinks the group below it', async () => {
    const late = lateCloud(0, -1);
    const broken = options('cluster autoscaler: min misread', fc.constant([]), { clusterAutoscaler: false, plugins: [clusterAutoscalerPlugin({ cloudProvider: late.provider, ...FAST })] });
    const { actions: _a, faults: _f, runs: _r, ...run } = { ...broken, setup: async (c: SimCluster) => { late.bind(c); await broken.setup!(c, undefined as never); }, safety: clusterAutoscalerInvariants(BOUNDS, groupOf) };
    const steps: Step[] = [{ kind: 'scale', replicas: 0 }, { kind: 'wait', ms: 180_000 }];
    expect((await runCase(run, 1, steps, [])).failure?.invariant).toBe('clusterAutoscalerNotBelowMin');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('cluster autoscaler: real', fc.constant([]));
    expect((await runCase(real, 1, steps, [])).failure).toBeUndefined();
  }, 120_000);

  it('an autoscaler blind to safe-to-evict drains a node whose pod must stay', async () => {
    const late = lateCloud();
    const blind = sabotaged(clusterAutoscalerPlugin({ cloudProvider: late.provider, ...FAST }), {
      read: (r, o) => (r.resource === Pods.resource ? ({ ...o, metadata: { ...o.metadata, annotations: {} } } as Pod) : o),
    });
    const groups = [{ ...GROUPS[0]!, minSize: 0 }];
    const broken = options('cluster autoscaler: blind', fc.constant([]), { nodeGroups: groups, clusterAutoscaler: false, plugins: [blind] });
    const { actions: _a, faults: _f, runs: _r, ...run } = { ...broken, setup: async (c: SimCluster) => { late.bind(c); await broken.setup!(c, undefined as never); }, safety: clusterAutoscalerInvariants([{ ...BOUNDS[0]!, minSize: 0 }], groupOf) };
    // web fills node-1; the pinned pod gets pool-1; web goes: pool-1 is under 50 % and its pod
    // would fit on node-1, but it is annotated safe-to-evict "false"
    const steps: Step[] = [{ kind: 'pinned', present: true }, { kind: 'wait', ms: 90_000 }, { kind: 'scale', replicas: 0 }, { kind: 'wait', ms: 180_000 }];
    expect((await runCase(run, 1, steps, [])).failure?.invariant).toBe('clusterAutoscalerRemovesOnlyMovableNodes');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('cluster autoscaler: real', fc.constant([]), { nodeGroups: groups });
    expect((await runCase(real, 1, steps, [])).failure).toBeUndefined();
  }, 120_000);

  it('with --max-nodes-total 3 and a machine that never boots, under crashes: within every max, the cluster within 3', async () => {
    const groups = [{ ...GROUPS[0]!, failBoot: 1 }];
    await checkCluster(options('cluster autoscaler: max total, failed boot', faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 30, steps: MAX_STEPS, nodes: 1 }), { nodeGroups: groups, clusterAutoscaler: { ...FAST, maxNodesTotal: 3, maxNodeProvisionTimeMs: 120_000 } }));
  }, 300_000);

  it('an autoscaler that reads --max-nodes-total 1 too high grows the cluster past it', async () => {
    const late = lateCloud();
    const broken = options('cluster autoscaler: max total misread', fc.constant([]), { clusterAutoscaler: false, plugins: [clusterAutoscalerPlugin({ cloudProvider: late.provider, ...FAST, maxNodesTotal: 4 })] });
    const { actions: _a, faults: _f, runs: _r, ...run } = { ...broken, setup: async (c: SimCluster) => { late.bind(c); await broken.setup!(c, undefined as never); }, safety: clusterAutoscalerInvariants(BOUNDS, groupOf, { maxNodesTotal: 3 }) };
    const steps: Step[] = [{ kind: 'scale', replicas: 10 }, { kind: 'wait', ms: 120_000 }];
    expect((await runCase(run, 1, steps, [])).failure?.invariant).toBe('clusterAutoscalerWithinMax');
    const { actions: _a2, faults: _f2, runs: _r2, ...real } = options('cluster autoscaler: real', fc.constant([]), { clusterAutoscaler: { ...FAST, maxNodesTotal: 3 } });
    expect((await runCase(real, 1, steps, [])).failure).toBeUndefined();
  }, 120_000);
});

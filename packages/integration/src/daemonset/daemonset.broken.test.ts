/**
 * The DaemonSet invariants about where daemon pods go, shown failing on a DaemonSet controller
 * broken on purpose (the reference controller seeing a distorted manager, see `../sabotage.ts`:
 * not a line of it changed), and holding on the real one under the same fixed actions:
 *
 * - `daemonPodCreatedOnlyWhereTolerated`: a controller whose Node cache hides `NoSchedule` and
 *   `NoExecute` taints creates a daemon pod for a node that refuses it;
 * - `noPendingDaemonPods`: a controller that leaves out the tolerations every daemon pod gets
 *   (upstream `AddOrUpdateDaemonPodTolerations`: `node.kubernetes.io/memory-pressure` among them)
 *   creates, for a node under memory pressure it rightly counts as eligible, a pod the scheduler
 *   never binds.
 */
import { describe, expect, it } from 'vitest';
import { Nodes, Pods } from '@kubeloop/core';
import type { KubeObject, Node, Plugin, Pod, Taint } from '@kubeloop/core';
import { daemonSetStatusMatchesInvariant, oneDaemonPodPerEligibleNodeInvariant, runCase } from '@kubeloop/testing';
import type { RunOptions } from '@kubeloop/testing';
import { daemonPodCreatedOnlyWhereToleratedInvariant, daemonSetPlugin, noPendingDaemonPodsInvariant, podGcPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';
import { daemonSetManifest } from './fixtures.js';

const NODES = ['node-1', 'node-2', 'node-3'] as const;

/** What the test does: taint a node, label it for `labelled`, create a third DaemonSet `late` (no toleration), wait. */
type Step =
  | { readonly kind: 'taint'; readonly node: string; readonly taint: Taint }
  | { readonly kind: 'label'; readonly node: string }
  | { readonly kind: 'late' }
  | { readonly kind: 'wait'; readonly ms: number };

const daemonSet = (name: string, podSpec: Record<string, unknown>): object => daemonSetManifest(name, 'registry.k8s.io/pause:3.9', podSpec);

/**
 * Two DaemonSets on three nodes with kubelets, settled before the steps: `everywhere` (no
 * toleration) and `labelled` (node selector `ds=yes`, no node labelled yet). Checked as the
 * DaemonSet property suite checks its node changes.
 */
function scenario(daemonsets: Plugin): RunOptions<Step> {
  return {
    name: 'daemonset: broken on purpose',
    cluster: { nodes: NODES.map((name) => ({ name })), controllerManager: { plugins: [daemonsets, podGcPlugin()] } },
    setup: async (cluster) => {
      await cluster.apply([daemonSet('everywhere', {}), daemonSet('labelled', { nodeSelector: { ds: 'yes' } })]);
      await cluster.advance(3_000);
    },
    perform: async (cluster, step, context) => {
      if (step.kind === 'taint') await cluster.server.patch(Nodes, { name: step.node }, { type: 'merge', body: { spec: { taints: [step.taint] } } });
      if (step.kind === 'label') await cluster.server.patch(Nodes, { name: step.node }, { type: 'merge', body: { metadata: { labels: { ds: 'yes' } } } });
      if (step.kind === 'late') await cluster.apply(daemonSet('late', {}));
      if (step.kind === 'wait') await context.advance(step.ms);
    },
    safety: [daemonPodCreatedOnlyWhereToleratedInvariant],
    liveness: [noPendingDaemonPodsInvariant, oneDaemonPodPerEligibleNodeInvariant, daemonSetStatusMatchesInvariant],
    stepMs: 1,
    settleQuietMs: 30_000,
    stableMs: 10_000,
  };
}

/** `NoSchedule` and `NoExecute` taints, which the broken controller's Node cache hides. */
const hidesTaints: Plugin = sabotaged(daemonSetPlugin(), {
  read: (r, o) => {
    if (r.resource !== Nodes.resource) return o;
    const node = o as Node;
    const kept = (node.spec?.taints ?? []).filter((t) => t.effect !== 'NoSchedule' && t.effect !== 'NoExecute');
    return { ...node, spec: { ...node.spec, taints: kept } } as KubeObject;
  },
});

/** Daemon pods created without the `node.kubernetes.io/…` tolerations the controller adds to each. */
const noDaemonTolerations: Plugin = sabotaged(daemonSetPlugin(), {
  create: (r, o) => {
    if (r.resource !== Pods.resource) return o;
    const pod = o as Pod;
    const tolerations = (pod.spec.tolerations ?? []).filter((t) => !(t.key ?? '').startsWith('node.kubernetes.io/'));
    return { ...pod, spec: { ...pod.spec, tolerations } } as KubeObject;
  },
});

/** Runs `actions` with the broken controller (expecting `invariant` to fail) and the real one (expecting a pass); the first violation's message. */
async function failsOnlyWhenBroken(broken: Plugin, actions: readonly Step[], invariant: string): Promise<string> {
  const outcome = await runCase(scenario(broken), 1, actions, []);
  expect(outcome.failure?.invariant).toBe(invariant);
  const real = await runCase(scenario(daemonSetPlugin()), 1, actions, []);
  expect(real.failure).toBeUndefined();
  return outcome.failure?.violations[0]?.message ?? '';
}

describe('DaemonSet invariants, on controllers broken on purpose', () => {
  it('a controller blind to NoSchedule taints creates a pod for a tainted node once it is labelled for its DaemonSet, and fails daemonPodCreatedOnlyWhereTolerated', async () => {
    // node-3 is tainted dedicated=db:NoSchedule, which `labelled` does not tolerate; 3 s later it
    // is labelled ds=yes: its selector admits node-3 now, the taint still refuses it.
    const actions: Step[] = [
      { kind: 'taint', node: 'node-3', taint: { key: 'dedicated', value: 'db', effect: 'NoSchedule' } },
      { kind: 'wait', ms: 3_000 },
      { kind: 'label', node: 'node-3' },
      { kind: 'wait', ms: 3_000 },
    ];
    expect(await failsOnlyWhenBroken(hidesTaints, actions, 'daemonPodCreatedOnlyWhereTolerated')).toMatch(
      /^daemon pod labelled-\w+ of default\/labelled was created for node node-3 although it does not tolerate its taint dedicated=db:NoSchedule, and the node refused it for 1000 ms before$/,
    );
  }, 60_000);

  it('a controller blind to NoExecute taints creates a pod of a new DaemonSet for a node tainted NoExecute, and fails daemonPodCreatedOnlyWhereTolerated', async () => {
    // node-2 is tainted evict:NoExecute (its `everywhere` pod is evicted: the broken controller
    // puts it back at once, within the invariant's grace); 3 s later a DaemonSet `late` without
    // tolerations comes, which must leave node-2 out.
    const actions: Step[] = [
      { kind: 'taint', node: 'node-2', taint: { key: 'evict', effect: 'NoExecute' } },
      { kind: 'wait', ms: 3_000 },
      { kind: 'late' },
      { kind: 'wait', ms: 3_000 },
    ];
    expect(await failsOnlyWhenBroken(hidesTaints, actions, 'daemonPodCreatedOnlyWhereTolerated')).toMatch(
      /^daemon pod late-\w+ of default\/late was created for node node-2 although it does not tolerate its taint evict:NoExecute, and the node refused it for 1000 ms before$/,
    );
  }, 60_000);

  it('a controller whose pods lack the daemon tolerations leaves a pod Pending on a node under memory pressure, and fails noPendingDaemonPods', async () => {
    // node-3 reports memory pressure (its NoSchedule taint, which every daemon pod tolerates),
    // then is labelled ds=yes: `labelled` creates a pod for it, which the scheduler binds only
    // if it carries the toleration.
    const actions: Step[] = [
      { kind: 'taint', node: 'node-3', taint: { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' } },
      { kind: 'wait', ms: 3_000 },
      { kind: 'label', node: 'node-3' },
      { kind: 'wait', ms: 3_000 },
    ];
    expect(await failsOnlyWhenBroken(noDaemonTolerations, actions, 'noPendingDaemonPods')).toMatch(/^daemon pod labelled-\w+ of default\/labelled for node node-3 is still Pending \(not bound\)$/);
  }, 60_000);
});

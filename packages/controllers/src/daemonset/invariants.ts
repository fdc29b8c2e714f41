/**
 * Invariants of DaemonSets over cluster state, for tests and the testing toolkit: each takes a
 * snapshot (`{ daemonSets, nodes, pods }`) and returns the violations it finds, each naming
 * the objects involved. Most are meant to be checked after the cluster settled (liveness
 * properties: during a rollout or right after a node change they may not hold yet);
 * {@link rollingUpdateAvailability} is a safety property, under the preconditions it states.
 *
 * @module
 */
import { controllerRef } from '@kubeloop/core';
import type { DaemonSet, Node, Pod } from '@kubeloop/core';
import { isPodActive, isPodReady } from '../shared/pods.js';
import { CONTROLLER_REVISION_HASH_LABEL, isDaemonPodUpdated, nodeShouldRunDaemonPod, podsByTargetNode, rollingUpdateBudget, templateGeneration } from './decide.js';
import { calculateDaemonSetStatus } from './status.js';

/** A snapshot of the cluster state the invariants read. */
export interface DaemonSetState {
  /** Every DaemonSet. */
  readonly daemonSets: readonly DaemonSet[];
  /** Every Node. */
  readonly nodes: readonly Node[];
  /** Every Pod. */
  readonly pods: readonly Pod[];
}

/** One broken invariant: which, on what, and why. */
export interface DaemonSetViolation {
  /** The invariant's name. */
  readonly invariant: 'oneDaemonPodPerEligibleNode' | 'statusMatches' | 'daemonPodsUpdated' | 'rollingUpdateAvailability';
  /** `namespace/name` of the DaemonSet. */
  readonly daemonSet: string;
  /** The node concerned, if any. */
  readonly node?: string | undefined;
  /** What is wrong, naming the pods involved. */
  readonly message: string;
}

function dsKey(ds: DaemonSet): string {
  return `${ds.metadata.namespace ?? ''}/${ds.metadata.name ?? ''}`;
}

/** The active pods (not terminal, not being deleted) a DaemonSet controls. */
function activePodsOf(ds: DaemonSet, pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => controllerRef(p)?.uid === ds.metadata.uid && isPodActive(p));
}

/**
 * `oneDaemonPodPerEligibleNode`: for every DaemonSet not being deleted, counting its active
 * pods by the node they are for (bound node, or the `metadata.name` node affinity):
 * - a node that should run a daemon pod (selector, affinity, tolerated taints — with the
 *   daemon tolerations) has exactly one;
 * - a node that must not keep one (no match, or an untolerated `NoExecute` taint) has none;
 * - a node that only refuses new pods (an untolerated `NoSchedule` taint) has at most one;
 * - no unbound pod targets a node that does not exist.
 *
 * Bound pods of nodes that no longer exist are not counted: upstream leaves them to the pod
 * garbage collector. Assumes no surge is in progress (a surging rollout has two pods per node).
 */
export function oneDaemonPodPerEligibleNode(state: DaemonSetState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  const nodeNames = new Set(state.nodes.map((n) => n.metadata.name ?? ''));
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined) continue;
    const byNode = podsByTargetNode(activePodsOf(ds, state.pods));
    const names = (pods: readonly Pod[]): string => pods.map((p) => p.metadata.name ?? '').join(', ');
    for (const node of state.nodes) {
      const name = node.metadata.name ?? '';
      const pods = byNode.get(name) ?? [];
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      if (shouldRun && pods.length !== 1) {
        out.push({ invariant: 'oneDaemonPodPerEligibleNode', daemonSet: dsKey(ds), node: name, message: `node ${name} should run exactly one daemon pod of ${dsKey(ds)} but has ${pods.length}${pods.length ? `: ${names(pods)}` : ''}` });
      } else if (!shouldContinueRunning && pods.length > 0) {
        out.push({ invariant: 'oneDaemonPodPerEligibleNode', daemonSet: dsKey(ds), node: name, message: `node ${name} is not eligible for ${dsKey(ds)} but runs ${names(pods)}` });
      } else if (pods.length > 1) {
        out.push({ invariant: 'oneDaemonPodPerEligibleNode', daemonSet: dsKey(ds), node: name, message: `node ${name} runs ${pods.length} daemon pods of ${dsKey(ds)}: ${names(pods)}` });
      }
    }
    for (const [name, pods] of byNode) {
      if (nodeNames.has(name)) continue;
      const unbound = pods.filter((p) => (p.spec.nodeName ?? '') === '');
      if (unbound.length > 0) out.push({ invariant: 'oneDaemonPodPerEligibleNode', daemonSet: dsKey(ds), node: name, message: `unscheduled daemon pods of ${dsKey(ds)} target node ${name}, which does not exist: ${names(unbound)}` });
    }
  }
  return out;
}

/**
 * `statusMatches` (exported as `daemonSetStatusMatches`): every DaemonSet's status counts (`desiredNumberScheduled`,
 * `currentNumberScheduled`, `numberMisscheduled`, `numberReady`, `numberAvailable`,
 * `numberUnavailable`, `updatedNumberScheduled`) equal what its pods and the nodes say now, and
 * `observedGeneration` is its generation. `hashOf` gives a DaemonSet's current revision hash
 * (the `controller-revision-hash` of its newest ControllerRevision).
 */
export function daemonSetStatusMatches(state: DaemonSetState, hashOf: (ds: DaemonSet) => string, nowMs: number): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined) continue;
    const pods = state.pods.filter((p) => controllerRef(p)?.uid === ds.metadata.uid && !((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.metadata.deletionTimestamp !== undefined));
    const want = calculateDaemonSetStatus(ds, state.nodes, pods, hashOf(ds), nowMs);
    const s = ds.status;
    const have: Record<string, number | undefined> = {
      desiredNumberScheduled: s.desiredNumberScheduled,
      currentNumberScheduled: s.currentNumberScheduled,
      numberMisscheduled: s.numberMisscheduled,
      numberReady: s.numberReady,
      numberAvailable: s.numberAvailable ?? 0,
      numberUnavailable: s.numberUnavailable ?? 0,
      updatedNumberScheduled: s.updatedNumberScheduled ?? 0,
    };
    for (const [field, value] of Object.entries(want)) {
      if (have[field] !== value) out.push({ invariant: 'statusMatches', daemonSet: dsKey(ds), message: `${dsKey(ds)} status.${field} is ${have[field]}, expected ${value}` });
    }
    if ((s.observedGeneration ?? 0) !== (ds.metadata.generation ?? 0)) out.push({ invariant: 'statusMatches', daemonSet: dsKey(ds), message: `${dsKey(ds)} status.observedGeneration is ${s.observedGeneration ?? 'unset'}, generation is ${ds.metadata.generation ?? 0}` });
  }
  return out;
}

/**
 * `daemonPodsUpdated`: after settling, every active pod of a RollingUpdate DaemonSet not being
 * deleted is of its current revision (upstream `IsPodUpdated`: its `controller-revision-hash`
 * label is `hashOf(ds)`, or its `pod-template-generation` label the DaemonSet's template
 * generation) — the rollout completed. `hashOf` gives a DaemonSet's current revision hash, as
 * for {@link daemonSetStatusMatches}. DaemonSets with the `OnDelete` strategy are not checked:
 * their old pods stay until someone deletes them, as upstream.
 */
export function daemonPodsUpdated(state: DaemonSetState, hashOf: (ds: DaemonSet) => string): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined || ds.spec.updateStrategy.type === 'OnDelete') continue;
    const hash = hashOf(ds);
    const generation = templateGeneration(ds);
    for (const p of activePodsOf(ds, state.pods)) {
      if (isDaemonPodUpdated(p, hash, generation)) continue;
      const node = p.spec.nodeName;
      out.push({
        invariant: 'daemonPodsUpdated',
        daemonSet: dsKey(ds),
        ...(node === undefined || node === '' ? {} : { node }),
        message: `pod ${p.metadata.name ?? ''} of ${dsKey(ds)} is not of its current revision (hash ${p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? 'none'}, current ${hash || 'none'})`,
      });
    }
  }
  return out;
}

/**
 * `rollingUpdateAvailability` (safety): a RollingUpdate DaemonSet without surge (`maxSurge`
 * resolving to 0), not being deleted, has at most `maxUnavailable` of the nodes that should run
 * its pod without a Ready, not-being-deleted pod of it — upstream's rolling update deletes an
 * old pod only within that budget (`maxUnavailable` of the desired node count, rounded up; 1
 * when both come out 0).
 *
 * Preconditions (which is why it is a safety property only in scenarios that keep them): every
 * node that should run the pod is up and can make it Ready (no stopped kubelet, no image that
 * never starts), no node starts to need a pod during the check window, and the DaemonSet's pods
 * were all Ready once before (e.g. the setup settled). Ready, not available: a DaemonSet with
 * `minReadySeconds` counts a pod unavailable for longer, so the controller keeps a stricter
 * budget than this checks. Check it on every store state (`everyState` of the testing toolkit):
 * a controller may exceed the budget for a moment only.
 */
export function rollingUpdateAvailability(state: DaemonSetState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined || ds.spec.updateStrategy.type === 'OnDelete') continue;
    const desired = state.nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).map((n) => n.metadata.name ?? '');
    const { maxSurge, maxUnavailable } = rollingUpdateBudget(ds, desired.length);
    if (maxSurge > 0) continue;
    const ready = new Set(activePodsOf(ds, state.pods).filter((p) => p.metadata.deletionTimestamp === undefined && isPodReady(p)).map((p) => p.spec.nodeName ?? ''));
    const without = desired.filter((n) => !ready.has(n));
    if (without.length > maxUnavailable) {
      out.push({ invariant: 'rollingUpdateAvailability', daemonSet: dsKey(ds), message: `${dsKey(ds)}: ${without.length} nodes without a ready daemon pod (${without.join(', ')}), more than maxUnavailable ${maxUnavailable}` });
    }
  }
  return out;
}

/**
 * The DaemonSet status (upstream `updateDaemonSetStatus` / `storeDaemonSetStatus`), pure.
 *
 * @module
 */
import type { DaemonSet, DaemonSetStatus, Node, Pod } from '@kubeloop/core';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
import { compareByCreationAndPhase, isDaemonPodUpdated, nodeShouldRunDaemonPod, podsByTargetNode, templateGeneration } from './decide.js';

/** The counts of a DaemonSet status, as {@link calculateDaemonSetStatus} computes them. */
export interface DaemonSetCounts {
  /** Nodes that should run a daemon pod. */
  readonly desiredNumberScheduled: number;
  /** Of those, nodes with at least one daemon pod (bound or on its way). */
  readonly currentNumberScheduled: number;
  /** Nodes with a daemon pod that should not run one. */
  readonly numberMisscheduled: number;
  /** Nodes that should run one whose oldest daemon pod is ready. */
  readonly numberReady: number;
  /** ... and available (ready for `minReadySeconds`). */
  readonly numberAvailable: number;
  /** `desiredNumberScheduled - numberAvailable`. */
  readonly numberUnavailable: number;
  /** Nodes that should run one whose oldest daemon pod is of the current revision. */
  readonly updatedNumberScheduled: number;
}

/**
 * Computes the status counts over `nodes` from the DaemonSet's pods (being deleted ones
 * included, as upstream: a terminating pod still occupies its node). Per node only the oldest
 * pod (upstream's `podByCreationTimestampAndPhase` order) is looked at for ready, available
 * and updated.
 *
 * Worked example: 3 nodes, 2 labelled for the DaemonSet; one pod on each labelled node, one
 * ready for 5 s with `minReadySeconds` 10, the other not ready → desired 2, current 2, ready 1,
 * available 0, unavailable 2, misscheduled 0.
 */
export function calculateDaemonSetStatus(ds: DaemonSet, nodes: readonly Node[], pods: readonly Pod[], hash: string, nowMs: number): DaemonSetCounts {
  const byNode = podsByTargetNode(pods);
  const generation = templateGeneration(ds);
  const minReadySeconds = ds.spec.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    // Stryker disable next-line StringLiteral: every stored Node has a name, so the `''` fallback is never used
    const onNode = byNode.get(node.metadata.name ?? '') ?? [];
    const scheduled = onNode.length > 0;
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (scheduled) misscheduled++;
      continue;
    }
    desired++;
    if (!scheduled) continue;
    current++;
    const oldest = [...onNode].sort(compareByCreationAndPhase)[0]!;
    if (isPodReady(oldest)) {
      ready++;
      if (isPodAvailable(oldest, minReadySeconds, nowMs)) available++;
    }
    if (isDaemonPodUpdated(oldest, hash, generation)) updated++;
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
  };
}

/**
 * The status to write, or undefined when the stored one already says the same (upstream
 * `storeDaemonSetStatus` skips the write then). `observedGeneration` is raised to the
 * DaemonSet's generation only when `observe` is true (the controller acted on this
 * generation); conditions and `collisionCount` are kept.
 */
export function nextDaemonSetStatus(ds: DaemonSet, counts: DaemonSetCounts, observe: boolean): DaemonSetStatus | undefined {
  const s = ds.status;
  const generation = ds.metadata.generation ?? 0;
  const same =
    s.desiredNumberScheduled === counts.desiredNumberScheduled &&
    s.currentNumberScheduled === counts.currentNumberScheduled &&
    s.numberMisscheduled === counts.numberMisscheduled &&
    s.numberReady === counts.numberReady &&
    (s.updatedNumberScheduled ?? 0) === counts.updatedNumberScheduled &&
    (s.numberAvailable ?? 0) === counts.numberAvailable &&
    (s.numberUnavailable ?? 0) === counts.numberUnavailable &&
    (s.observedGeneration ?? 0) >= generation;
  if (same) return undefined;
  return { ...s, ...counts, ...(observe ? { observedGeneration: generation } : {}) };
}

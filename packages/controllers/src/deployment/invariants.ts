/**
 * Invariants of Deployments over a snapshot of cluster state, for tests and checkers. Each
 * returns the violations it finds, naming the objects by reference; an empty list means the
 * invariant holds.
 *
 * `rolloutBounds` is a safety check for the stable windows of a rollout (see its caveats);
 * `singleActiveReplicaSetAfterSettle` and `statusMatches` are liveness checks (they hold once
 * the cluster has settled). The same rules as core {@link Invariant}s over a
 * {@link ClusterState}: {@link singleActiveReplicaSetInvariant} and
 * {@link deploymentStatusMatchesInvariant}, which the Deployment plugin registers, and
 * {@link rolloutBoundsInvariant}, for tests that keep its preconditions.
 *
 * @module
 */
import { controllerRef, deepEqual, invariant, refOf, stateNowMs } from '@kubeloop/core';
import type { ClusterState, Deployment, Invariant, InvariantViolation, Pod, PodTemplateSpec, ReplicaSet } from '@kubeloop/core';
import { isPodActive, isPodAvailable, scaledValue } from '../shared/index.js';

/** One broken invariant (core's {@link InvariantViolation}). */
export type DeploymentViolation = InvariantViolation;

/** The state the invariants look at. */
export interface DeploymentState {
  /** Every Deployment. */
  readonly deployments: readonly Deployment[];
  /** Every ReplicaSet. */
  readonly replicaSets: readonly ReplicaSet[];
  /** Every pod. */
  readonly pods: readonly Pod[];
  /** The time of the snapshot (ms), for `minReadySeconds`. */
  readonly nowMs: number;
}

// The rules below are stated here, from the Deployment documentation, not taken from the
// controller's decide.ts: an invariant is an oracle independent of the code it checks.

/**
 * The rollout budget of a Deployment's spec, in pods: `maxSurge` resolved against
 * `spec.replicas` rounding up, `maxUnavailable` rounding down (both default 25%); when both come
 * out 0, one pod may be unavailable, so the rollout can proceed; never more unavailable than
 * replicas. A `Recreate` Deployment has neither.
 *
 * Worked example: 10 replicas at 25%/25% → surge 3, unavailable 2; 1 replica → 1 and 0.
 */
function rolloutBudget(d: Deployment): { readonly surge: number; readonly unavailable: number } {
  if (d.spec.strategy.type !== 'RollingUpdate') return { surge: 0, unavailable: 0 };
  const ru = d.spec.strategy.rollingUpdate;
  const replicas = d.spec.replicas;
  const surge = scaledValue(ru?.maxSurge ?? '25%', replicas, true);
  const unavailable = scaledValue(ru?.maxUnavailable ?? '25%', replicas, false);
  return { surge, unavailable: Math.min(surge === 0 && unavailable === 0 ? 1 : unavailable, replicas) };
}

/** The sum of `count` over ReplicaSets (an absent one counts 0). */
function sum(rss: readonly (ReplicaSet | undefined)[], count: (rs: ReplicaSet) => number | undefined): number {
  return rss.reduce((n, rs) => n + (rs === undefined ? 0 : (count(rs) ?? 0)), 0);
}

/** A template without its `pod-template-hash` label, which the Deployment adds to its ReplicaSets' templates. */
function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const labels = Object.fromEntries(Object.entries(template.metadata?.labels ?? {}).filter(([k]) => k !== 'pod-template-hash'));
  return { ...template, metadata: { ...template.metadata, labels } };
}

/** Whether a ReplicaSet's template is the Deployment's (ignoring `pod-template-hash`). */
function atTemplate(rs: ReplicaSet, d: Deployment): boolean {
  return deepEqual(withoutHash(rs.spec.template), withoutHash(d.spec.template));
}

function ownedReplicaSets(state: DeploymentState, d: Deployment): ReplicaSet[] {
  return state.replicaSets.filter((rs) => controllerRef(rs)?.uid === d.metadata.uid);
}

function activePodsOf(state: DeploymentState, rss: readonly ReplicaSet[]): Pod[] {
  const uids = new Set(rss.map((rs) => rs.metadata.uid));
  return state.pods.filter((p) => isPodActive(p) && uids.has(controllerRef(p)?.uid));
}

/** Options of {@link rolloutBounds}. */
export interface RolloutBoundsOptions {
  /**
   * What the upper bound counts: `pods` (default), the active pods of the Deployment's
   * ReplicaSets; or `replicaSets`, the sum of their `spec.replicas` — upstream's own guarantee,
   * for runs where the ReplicaSet controller may lag (cut watches): then the pods of a
   * ReplicaSet scaled down can outlive the scale-up of another for a while.
   */
  readonly surgeCounts?: 'pods' | 'replicaSets' | undefined;
  /**
   * What the lower bound counts: `available` pods (default: ready for `minReadySeconds`), or
   * `ready` pods — what upstream keeps in the midst of a rollout with `minReadySeconds`. Its
   * `cleanupUnhealthyReplicas` scales an old ReplicaSet down for each pod that is ready but not
   * yet available, and the ReplicaSet controller then picks the pod to delete by readiness,
   * node doubling and ready time, knowing nothing of availability: it may delete an available
   * pod instead, and the available count dips below the bound until the ready pod becomes
   * available. The ready count does not (the pods it keeps are at least as ready).
   */
  readonly availabilityCounts?: 'available' | 'ready' | undefined;
}

/**
 * The rollout bounds of a `RollingUpdate` Deployment: the active pods (not terminal, not being
 * deleted) of all its ReplicaSets are at most `replicas + maxSurge`, and the available ones
 * (ready for `minReadySeconds`) at least `replicas − maxUnavailable`. A `Recreate` Deployment
 * is only held to at most `replicas` active pods.
 *
 * Caveats: upstream keeps these bounds on ReplicaSet sizes while the Deployment's
 * `spec.replicas` stays put and the pods it had were available; right after the Deployment is
 * created or scaled, while pods start or terminate, the pod counts may be outside them. Check
 * only states where `spec.replicas` has not changed since the cluster last settled, and where
 * nodes have room and no faults (as upstream, which cannot make pods available on its own).
 * See {@link RolloutBoundsOptions.surgeCounts} for runs with a lagging ReplicaSet controller, and
 * {@link RolloutBoundsOptions.availabilityCounts} for states in the midst of a rollout with
 * `minReadySeconds`.
 */
export function rolloutBounds(state: DeploymentState, options: RolloutBoundsOptions = {}): DeploymentViolation[] {
  const out: DeploymentViolation[] = [];
  for (const d of state.deployments) {
    if (d.metadata.deletionTimestamp !== undefined) continue;
    const rss = ownedReplicaSets(state, d);
    const pods = activePodsOf(state, rss);
    const replicas = d.spec.replicas;
    const budget = rolloutBudget(d);
    const max = replicas + budget.surge;
    if (options.surgeCounts === 'replicaSets') {
      const total = sum(rss, (rs) => rs.spec.replicas);
      if (total > max) out.push({ message: `ReplicaSets sized ${total} in all, more than replicas ${replicas} + maxSurge ${max - replicas}`, objects: [refOf(d)] });
    } else if (pods.length > max) {
      out.push({ message: `${pods.length} active pods, more than replicas ${replicas} + maxSurge ${max - replicas}`, objects: [refOf(d)] });
    }
    if (d.spec.strategy.type !== 'RollingUpdate') continue;
    const min = replicas - budget.unavailable;
    const ready = options.availabilityCounts === 'ready';
    const available = pods.filter((p) => isPodAvailable(p, ready ? 0 : (d.spec.minReadySeconds ?? 0), state.nowMs)).length;
    if (available < min) out.push({ message: `${available} ${ready ? 'ready' : 'available'} pods, fewer than replicas ${replicas} − maxUnavailable ${replicas - min}`, objects: [refOf(d)] });
  }
  return out;
}

/**
 * After settling, exactly one ReplicaSet of each Deployment has active pods (none when
 * `spec.replicas` is 0), its template is the Deployment's (ignoring `pod-template-hash`), it
 * is the only one with `spec.replicas > 0`, and it controls exactly `spec.replicas` active pods.
 * A paused Deployment is exempt from "at the latest template".
 */
export function singleActiveReplicaSetAfterSettle(state: DeploymentState): DeploymentViolation[] {
  const out: DeploymentViolation[] = [];
  for (const d of state.deployments) {
    if (d.metadata.deletionTimestamp !== undefined) continue;
    const rss = ownedReplicaSets(state, d);
    const withPods = rss.filter((rs) => activePodsOf(state, [rs]).length > 0);
    const scaled = rss.filter((rs) => rs.spec.replicas > 0);
    if (d.spec.replicas === 0) {
      if (withPods.length > 0) out.push({ message: `replicas 0 but ReplicaSets ${withPods.map((r) => r.metadata.name).join(', ')} have pods`, objects: [refOf(d)] });
      continue;
    }
    if (withPods.length !== 1 || scaled.length !== 1) {
      out.push({
        message: `${withPods.length} ReplicaSets with pods (${withPods.map((r) => r.metadata.name).join(', ')}), ${scaled.length} with replicas > 0`,
        objects: [refOf(d)],
      });
      continue;
    }
    const rs = withPods[0]!;
    if (d.spec.paused !== true && !atTemplate(rs, d)) {
      out.push({ message: `ReplicaSet ${rs.metadata.name ?? ''} with pods is not at the Deployment's template`, objects: [refOf(d), refOf(rs)] });
    }
    const count = activePodsOf(state, [rs]).length;
    if (count !== d.spec.replicas) out.push({ message: `ReplicaSet ${rs.metadata.name ?? ''} controls ${count} active pods, replicas is ${d.spec.replicas}`, objects: [refOf(d), refOf(rs)] });
  }
  return out;
}

/**
 * After settling, each Deployment's status adds up its ReplicaSets' (upstream
 * `calculateStatus`): `replicas`, `readyReplicas` and `availableReplicas` are the sums over its
 * ReplicaSets, `updatedReplicas` the new ReplicaSet's `replicas`, `unavailableReplicas` is
 * `max(0, Σ spec.replicas − available)`, and `observedGeneration` is the generation.
 */
export function statusMatches(state: DeploymentState): DeploymentViolation[] {
  const out: DeploymentViolation[] = [];
  for (const d of state.deployments) {
    if (d.metadata.deletionTimestamp !== undefined) continue;
    const rss = ownedReplicaSets(state, d);
    const newRS = d.spec.paused === true ? undefined : rss.find((rs) => atTemplate(rs, d));
    const s = d.status;
    const available = sum(rss, (rs) => rs.status.availableReplicas);
    const want: Record<string, number> = {
      replicas: sum(rss, (rs) => rs.status.replicas),
      readyReplicas: sum(rss, (rs) => rs.status.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sum(rss, (rs) => rs.spec.replicas) - available),
      observedGeneration: d.metadata.generation ?? 0,
      ...(d.spec.paused === true ? {} : { updatedReplicas: sum([newRS], (rs) => rs.status.replicas) }),
    };
    for (const [field, value] of Object.entries(want)) {
      const got = (s as Record<string, unknown>)[field] ?? 0;
      if (got !== value) out.push({ message: `status.${field} is ${String(got)}, expected ${value}`, objects: [refOf(d)] });
    }
  }
  return out;
}

// As core invariants over cluster states

function deploymentState(state: ClusterState): DeploymentState {
  return { deployments: state.of<Deployment>('Deployment'), replicaSets: state.of<ReplicaSet>('ReplicaSet'), pods: state.of<Pod>('Pod'), nowMs: stateNowMs(state) };
}

/**
 * Liveness: {@link singleActiveReplicaSetAfterSettle} — after settling, each Deployment has
 * exactly one ReplicaSet with pods and `replicas > 0` (none when scaled to 0), at the
 * Deployment's template unless paused, with `spec.replicas` active pods. Not a safety property:
 * a rollout has two active ReplicaSets by design.
 *
 * Precondition: every pod that is not Ready can still become so. A rolling update waits for its
 * new pods to be available (with `maxUnavailable: 0` it cannot scale the old ReplicaSet down
 * otherwise), so a new pod that cannot be scheduled, or is bound to a node whose kubelet is down
 * and that no node lifecycle controller evicts, leaves two ReplicaSets with pods for good — as
 * upstream. Scenarios that stop nodes or taint them all check a guarded invariant of the same
 * name instead (it replaces this one; see the testing toolkit's `check/reference.test.ts`).
 */
export const singleActiveReplicaSetInvariant: Invariant = invariant(
  'singleActiveReplicaSetAfterSettle',
  'After settling, each Deployment has exactly one ReplicaSet with pods, at its template, with spec.replicas active pods.',
  (state) => singleActiveReplicaSetAfterSettle(deploymentState(state)),
);

/**
 * Liveness: {@link statusMatches} — after settling, each Deployment's status adds up its
 * ReplicaSets' (upstream `calculateStatus`).
 */
export const deploymentStatusMatchesInvariant: Invariant = invariant('deploymentStatusMatches', "After settling, each Deployment's status adds up its ReplicaSets' and observes its generation.", (state) =>
  statusMatches(deploymentState(state)),
);

/**
 * Safety in stable windows: {@link rolloutBounds} — active pods at most `replicas + maxSurge`,
 * available ones at least `replicas − maxUnavailable` (pods' availability at
 * {@link stateNowMs}).
 *
 * Sound only in states where no Deployment's `spec.replicas` changed since the cluster last
 * settled, nodes have room and no fault is injected (upstream cannot make pods available on its
 * own, and right after a scale the pod counts lag), so the Deployment plugin does not register
 * it: check it in scenarios that keep those preconditions. `options` chooses what the bounds
 * count (see {@link RolloutBoundsOptions}).
 */
export function rolloutBoundsInvariant(options: RolloutBoundsOptions = {}): Invariant {
  return invariant(
    'rolloutBounds',
    'Active pods of a Deployment stay within replicas + maxSurge and available ones at or above replicas − maxUnavailable (stable windows only).',
    (state) => rolloutBounds(deploymentState(state), options),
    'safety',
  );
}

/**
 * The invariants the Deployment plugin registers: {@link deploymentStatusMatchesInvariant},
 * which holds in any settled cluster. {@link singleActiveReplicaSetInvariant} is not among them:
 * a rollout whose new pods can never become available (a crash-looping image, a node that
 * stopped, taints nothing tolerates) stays half done, as upstream's does, so it holds only
 * where every pod can still run — a precondition only the test knows (add it yourself, as the
 * toolkit's reference suite does).
 */
export const DEPLOYMENT_INVARIANTS: readonly Invariant[] = [deploymentStatusMatchesInvariant];

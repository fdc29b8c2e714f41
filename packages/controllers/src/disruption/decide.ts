/**
 * The disruption controller's decisions (upstream `pkg/controller/disruption/disruption.go`:
 * `getExpectedPodCount`, `getExpectedScale` and its finders, `buildDisruptedPodMap`,
 * `countHealthyPods`, `updatePdbStatus`, `failSafe`), as pure functions of a budget, its pods,
 * the owning controllers' scale and the time.
 *
 * Worked example (the kubernetes.io ZooKeeper tutorial): a StatefulSet `zk` of 3 Ready pods and
 * a budget `maxUnavailable: 1` over them. expectedPods = scale(zk) = 3; desiredHealthy = 3 − 1
 * = 2; currentHealthy = 3; disruptionsAllowed = 3 − 2 = 1. After one eviction (the pod in
 * `disruptedPods`, then terminating): currentHealthy 2, disruptionsAllowed 0.
 *
 * @module
 */
import {
  DISRUPTED_POD_TIMEOUT_MS,
  DISRUPTION_ALLOWED_CONDITION,
  DisruptionAllowedReasons,
  SelectorError,
  controllerRef,
  disruptionAllowedConditionUpToDate,
  disruptionAllowedConditions,
  formatTime,
  parseApiVersion,
  parseTime,
  selectorFromLabelSelector,
  setStatusCondition,
} from '@kubeloop/core';
import type { OwnerReference, Pod, PodDisruptionBudget, PodDisruptionBudgetStatus, Selector } from '@kubeloop/core';
import { canonicalJson } from '../shared/hash.js';
import { scaledValue } from '../shared/intorpercent.js';
import { isPodReady } from '../shared/pods.js';

// ----------------------------------------------------------------------------- the pods

/**
 * The pods a budget covers (upstream `getPodsForPdb`): those of its namespace its selector
 * matches; an empty selector matches all of them, a missing one none. Pods of every phase count,
 * terminating and finished ones included, as upstream lists them.
 */
export function podsForBudget(budget: PodDisruptionBudget, pods: readonly Pod[]): Pod[] {
  const namespace = budget.metadata.namespace ?? '';
  let selector: Selector;
  try {
    selector = selectorFromLabelSelector(budget.spec.selector);
  } catch (error) {
    if (error instanceof SelectorError) return [];
    throw error;
  }
  return pods.filter((p) => (p.metadata.namespace ?? '') === namespace && selector.matches(p.metadata.labels));
}

// ------------------------------------------------------------------ controllers and scale

/** A controller found for a pod, with its scale (`spec.replicas`). */
export interface ControllerScale {
  /** The controller's uid: controllers are counted once however many pods they have. */
  readonly uid: string;
  /** Its desired replicas. */
  readonly scale: number;
}

/**
 * A lookup of one finder: the controller and its scale, none (not this finder's kind, not found,
 * or a uid mismatch), or an error that fails the sync.
 */
export type ScaleLookup = { readonly kind: 'found'; readonly controller: ControllerScale } | { readonly kind: 'none' } | { readonly kind: 'error'; readonly message: string };

/** A workload as the finders read it: identity, replicas, and its own controller reference. */
export interface ScaledObject {
  /** Its metadata (uid, owner references). */
  readonly metadata: { readonly uid?: string | undefined; readonly ownerReferences?: readonly OwnerReference[] | undefined };
  /** Its `spec.replicas`. */
  readonly spec: { readonly replicas?: number | undefined };
}

/**
 * What the finders read, in one namespace: the cached workloads by name, and the `scale`
 * subresource of any other kind (upstream `getScaleController`).
 */
export interface ControllerLookups {
  /** A ReplicationController by name. */
  replicationController(name: string): ScaledObject | undefined;
  /** A ReplicaSet by name. */
  replicaSet(name: string): ScaledObject | undefined;
  /** A Deployment by name. */
  deployment(name: string): ScaledObject | undefined;
  /** A StatefulSet by name. */
  statefulSet(name: string): ScaledObject | undefined;
  /**
   * The scale of the object `ref` names through its `scale` subresource: `found` with the
   * scale's uid, `none` when the object does not exist, `error` when its kind is not served or
   * has no `scale` subresource (upstream: `"jobs.batch does not implement the scale subresource"`).
   */
  scale(ref: OwnerReference): ScaleLookup;
}

const APPS = ['apps', 'extensions'];

/** Upstream `verifyGroupKind`: the reference is of `kind` in one of `groups`. */
function isGroupKind(ref: OwnerReference, kind: string, groups: readonly string[]): boolean {
  return ref.kind === kind && groups.includes(parseApiVersion(ref.apiVersion).group);
}

function found(obj: ScaledObject): ScaleLookup {
  return { kind: 'found', controller: { uid: obj.metadata.uid ?? '', scale: obj.spec.replicas ?? 0 } };
}

const NONE: ScaleLookup = { kind: 'none' };

/**
 * The controller of a pod and its scale, trying upstream's finders in order: a
 * ReplicationController; a ReplicaSet's Deployment; a ReplicaSet not controlled by a Deployment;
 * a StatefulSet; then any kind through its `scale` subresource. Each finder needs the uid in the
 * reference to match the object it finds.
 *
 * @example
 * ```ts
 * // pod → ReplicaSet web-7d9 (uid r1) → Deployment web (uid d1, replicas 4)
 * findControllerScale(ref, lookups); // { kind: 'found', controller: { uid: 'd1', scale: 4 } }
 * ```
 */
export function findControllerScale(ref: OwnerReference, lookups: ControllerLookups): ScaleLookup {
  const finders: ((r: OwnerReference) => ScaleLookup)[] = [
    (r) => {
      if (!isGroupKind(r, 'ReplicationController', [''])) return NONE;
      const rc = lookups.replicationController(r.name);
      return rc !== undefined && rc.metadata.uid === r.uid ? found(rc) : NONE;
    },
    (r) => {
      if (!isGroupKind(r, 'ReplicaSet', APPS)) return NONE;
      const rs = lookups.replicaSet(r.name);
      if (rs === undefined || rs.metadata.uid !== r.uid) return NONE;
      const owner = rs.metadata.ownerReferences?.find((o) => o.controller === true);
      if (owner === undefined || !isGroupKind(owner, 'Deployment', APPS)) return NONE;
      const d = lookups.deployment(owner.name);
      return d !== undefined && d.metadata.uid === owner.uid ? found(d) : NONE;
    },
    (r) => {
      if (!isGroupKind(r, 'ReplicaSet', APPS)) return NONE;
      const rs = lookups.replicaSet(r.name);
      if (rs === undefined || rs.metadata.uid !== r.uid) return NONE;
      // A ReplicaSet a Deployment controls is the Deployment's to count.
      const owner = rs.metadata.ownerReferences?.find((o) => o.controller === true);
      return owner !== undefined && owner.kind === 'Deployment' ? NONE : found(rs);
    },
    (r) => {
      if (!isGroupKind(r, 'StatefulSet', ['apps'])) return NONE;
      const ss = lookups.statefulSet(r.name);
      return ss !== undefined && ss.metadata.uid === r.uid ? found(ss) : NONE;
    },
    (r) => {
      const scale = lookups.scale(r);
      return scale.kind === 'found' && scale.controller.uid !== r.uid ? NONE : scale;
    },
  ];
  for (const finder of finders) {
    const result = finder(ref);
    if (result.kind !== 'none') return result;
  }
  return NONE;
}

/**
 * The pod count a budget expects and the healthy pods it wants (upstream
 * `getExpectedPodCount`), or why it cannot tell:
 * - `maxUnavailable` (integer or percentage) and a percentage `minAvailable` use the scale of
 *   the pods' controllers: expectedPods = the sum of the distinct controllers' scales; a pod
 *   without a controller is *unmanaged* and left out; a pod whose controller is not found fails
 *   (`noControllersFor` names it, upstream's `NoControllers` event).
 * - an integer `minAvailable` uses the pods themselves: expectedPods = their number.
 *
 * desiredHealthy: `minAvailable` (a percentage of expectedPods rounded up), or expectedPods −
 * `maxUnavailable` (a percentage rounded up), not below 0. Neither set: 0 and 0.
 *
 * @example
 * ```ts
 * // 3 pods of one StatefulSet (replicas 3)
 * // maxUnavailable: 1     → expectedPods 3, desiredHealthy 2
 * // maxUnavailable: "50%" → 50% of 3 = 1.5 rounds up to 2 → desiredHealthy 1
 * // minAvailable: "50%"   → desiredHealthy 2 (1.5 rounded up)
 * // minAvailable: 5       → expectedPods 3 (the pod count), desiredHealthy 5
 * ```
 */
export type ExpectedPodCount =
  | { readonly ok: true; readonly expectedPods: number; readonly desiredHealthy: number; readonly unmanagedPods: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly noControllersFor?: string | undefined };

/** Computes an {@link ExpectedPodCount} (see there). */
export function expectedPodCount(budget: PodDisruptionBudget, pods: readonly Pod[], lookups: ControllerLookups): ExpectedPodCount {
  const { maxUnavailable, minAvailable } = budget.spec;
  const expectedScale = (): { ok: true; expected: number; unmanaged: string[] } | Extract<ExpectedPodCount, { ok: false }> => {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRef(pod);
      if (ref === undefined) {
        unmanaged.push(pod.metadata.name ?? '');
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const result = findControllerScale(ref, lookups);
      if (result.kind === 'error') return { ok: false, error: result.message };
      if (result.kind === 'none') {
        const name = pod.metadata.name ?? '';
        return { ok: false, error: `found no controllers for pod "${name}"`, noControllersFor: name };
      }
      scales.set(result.controller.uid, result.controller.scale);
    }
    let expected = 0;
    for (const s of scales.values()) expected += s;
    return { ok: true, expected, unmanaged };
  };
  try {
    if (maxUnavailable !== undefined) {
      const e = expectedScale();
      if (!e.ok) return e;
      const desiredHealthy = Math.max(0, e.expected - scaledValue(maxUnavailable, e.expected, true));
      return { ok: true, expectedPods: e.expected, desiredHealthy, unmanagedPods: e.unmanaged };
    }
    if (minAvailable !== undefined) {
      if (typeof minAvailable === 'number') return { ok: true, expectedPods: pods.length, desiredHealthy: minAvailable, unmanagedPods: [] };
      const e = expectedScale();
      if (!e.ok) return e;
      return { ok: true, expectedPods: e.expected, desiredHealthy: scaledValue(minAvailable, e.expected, true), unmanagedPods: e.unmanaged };
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, expectedPods: 0, desiredHealthy: 0, unmanagedPods: [] };
}

// ------------------------------------------------------------------------ disrupted pods

/**
 * The budget's `disruptedPods` rebuilt (upstream `buildDisruptedPodMap`): an entry stays while
 * its pod exists, is not being deleted, and its eviction is less than
 * {@link DISRUPTED_POD_TIMEOUT_MS} old; `recheckAtMs` is when the earliest kept entry expires
 * (the controller syncs again then); `notDeleted` lists the pods whose entry expired without the
 * pod being deleted (upstream's `NotDeleted` event).
 *
 * Caveat: an entry expires at its deadline exactly (upstream keeps it one more instant, which on a
 * virtual clock would resync at the same time forever).
 */
export function rebuildDisruptedPods(budget: PodDisruptionBudget, pods: readonly Pod[], nowMs: number): { disruptedPods: Record<string, string>; recheckAtMs: number | undefined; notDeleted: Pod[] } {
  const previous = budget.status.disruptedPods ?? {};
  const disruptedPods: Record<string, string> = {};
  const notDeleted: Pod[] = [];
  let recheckAtMs: number | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const name = pod.metadata.name ?? '';
    const at = previous[name];
    if (at === undefined) continue;
    const expiresAt = parseTime(at) + DISRUPTED_POD_TIMEOUT_MS;
    if (!(expiresAt > nowMs)) {
      notDeleted.push(pod);
      continue;
    }
    disruptedPods[name] = at;
    recheckAtMs = recheckAtMs === undefined ? expiresAt : Math.min(recheckAtMs, expiresAt);
  }
  return { disruptedPods, recheckAtMs, notDeleted };
}

/**
 * The healthy pods (upstream `countHealthyPods`): Ready, not being deleted, and not in
 * `disruptedPods` (an eviction approved them for deletion).
 */
export function countHealthyPods(pods: readonly Pod[], disruptedPods: Readonly<Record<string, string>>): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    if (disruptedPods[pod.metadata.name ?? ''] !== undefined) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

// -------------------------------------------------------------------------------- status

/** What one sync of a budget decided. */
export type BudgetSync =
  | {
      readonly kind: 'status';
      /** The status to write; `undefined` when the budget's status already says all of it. */
      readonly status: PodDisruptionBudgetStatus | undefined;
      /** Pods without a controller (upstream's `UnmanagedPods` event). */
      readonly unmanagedPods: readonly string[];
      /** Pods whose eviction expired without their deletion (`NotDeleted` events). */
      readonly notDeleted: readonly Pod[];
      /** Sync again in this many ms, when a `disruptedPods` entry expires. */
      readonly recheckAfterMs: number | undefined;
    }
  | {
      readonly kind: 'failed';
      /** The error (`CalculateExpectedPodCountFailed`, and the `SyncFailed` condition's message). */
      readonly error: string;
      /** The pod whose controller was not found (`NoControllers`), if that was the failure. */
      readonly noControllersFor: string | undefined;
    };

/**
 * One sync of a budget (upstream `trySync` + `updatePdbStatus`): the expected and desired
 * counts, the rebuilt `disruptedPods`, the healthy count, and
 * disruptionsAllowed = currentHealthy − desiredHealthy, but 0 when negative or when no pod is
 * expected (a budget over no pods stays safe when its first pods appear); observedGeneration =
 * the budget's generation; the `DisruptionAllowed` condition from disruptionsAllowed. Nothing to
 * write when all of it, condition included, is what the status says.
 *
 * @example
 * ```ts
 * // ZooKeeper: StatefulSet zk (replicas 3), 3 Ready pods, maxUnavailable 1
 * syncBudget(pdb, pods, lookups, now).status;
 * // { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, observedGeneration: 1, conditions: [DisruptionAllowed True SufficientPods] }
 * ```
 */
export function syncBudget(budget: PodDisruptionBudget, pods: readonly Pod[], lookups: ControllerLookups, nowMs: number): BudgetSync {
  const counts = expectedPodCount(budget, pods, lookups);
  if (!counts.ok) return { kind: 'failed', error: counts.error, noControllersFor: counts.noControllersFor };
  const { disruptedPods, recheckAtMs, notDeleted } = rebuildDisruptedPods(budget, pods, nowMs);
  const currentHealthy = countHealthyPods(pods, disruptedPods);
  const disruptionsAllowed = counts.expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - counts.desiredHealthy);
  const generation = budget.metadata.generation ?? 0;
  const old = budget.status;
  const same =
    old.currentHealthy === currentHealthy &&
    old.desiredHealthy === counts.desiredHealthy &&
    old.expectedPods === counts.expectedPods &&
    old.disruptionsAllowed === disruptionsAllowed &&
    canonicalJson(old.disruptedPods ?? {}) === canonicalJson(disruptedPods) &&
    (old.observedGeneration ?? 0) === generation &&
    disruptionAllowedConditionUpToDate(budget);
  const status: PodDisruptionBudgetStatus = {
    currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    disruptionsAllowed,
    ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}),
    observedGeneration: generation,
    conditions: disruptionAllowedConditions(old.conditions, disruptionsAllowed, generation, nowMs),
  };
  return {
    kind: 'status',
    status: same ? undefined : status,
    unmanagedPods: counts.unmanagedPods,
    notDeleted,
    recheckAfterMs: recheckAtMs === undefined ? undefined : recheckAtMs - nowMs,
  };
}

/**
 * The status upstream's `failSafe` writes when a sync fails: the old status with
 * disruptionsAllowed 0 and the `DisruptionAllowed` condition False/`SyncFailed` carrying the
 * error, so that evictions stop until the budget can be computed again.
 */
export function failSafeStatus(budget: PodDisruptionBudget, error: string, nowMs: number): PodDisruptionBudgetStatus {
  const old = budget.status;
  return {
    ...old,
    disruptionsAllowed: 0,
    conditions: setStatusCondition(
      old.conditions,
      {
        type: DISRUPTION_ALLOWED_CONDITION,
        status: 'False',
        reason: DisruptionAllowedReasons.syncFailed,
        message: error,
        ...(old.observedGeneration === undefined ? {} : { observedGeneration: old.observedGeneration }),
      },
      nowMs,
    ),
  };
}


// ------------------------------------------------------------ stale DisruptionTarget conditions

/**
 * How long a pod may carry `DisruptionTarget=True` without being deleted before the controller
 * resets the condition (upstream `stalePodDisruptionTimeout`, 2 minutes).
 */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60 * 1000;

/** Whether a pod carries a `DisruptionTarget=True` condition (what the stale-condition controller watches). */
export function hasDisruptionTarget(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True');
}

/**
 * Upstream `nonTerminatingPodHasStaleDisruptionCondition`: a pod not being deleted, not finished,
 * with `DisruptionTarget=True` set by someone other than the kubelet (reason
 * `TerminationByKubelet`), has a stale condition once it is {@link STALE_POD_DISRUPTION_TIMEOUT_MS}
 * old; `cleanAfterMs` is how long until then (0: now).
 */
export function staleDisruptionCondition(pod: Pod, nowMs: number): { readonly stale: false } | { readonly stale: true; readonly cleanAfterMs: number } {
  if (pod.metadata.deletionTimestamp !== undefined) return { stale: false };
  const cond = (pod.status?.conditions ?? []).find((c) => c.type === 'DisruptionTarget');
  const phase = pod.status?.phase;
  if (cond === undefined || cond.status !== 'True' || cond.reason === 'TerminationByKubelet' || phase === 'Succeeded' || phase === 'Failed') return { stale: false };
  const since = cond.lastTransitionTime === undefined || cond.lastTransitionTime === null ? nowMs : parseTime(cond.lastTransitionTime);
  return { stale: true, cleanAfterMs: Math.max(0, since + STALE_POD_DISRUPTION_TIMEOUT_MS - nowMs) };
}

/**
 * The pod's conditions with `DisruptionTarget` reset as upstream's `syncStalePodDisruption` does
 * (`UpdatePodCondition` with status False and nothing else): reason and message dropped, the
 * transition at `nowMs`.
 */
export function clearedDisruptionTarget(pod: Pod, nowMs: number): NonNullable<Pod['status']>['conditions'] {
  return (pod.status?.conditions ?? []).map((c) => (c.type === 'DisruptionTarget' ? { type: 'DisruptionTarget', status: 'False' as const, lastTransitionTime: formatTime(nowMs) } : c));
}

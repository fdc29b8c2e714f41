/**
 * The StatefulSet controller's pure decisions (upstream `pkg/controller/statefulset`
 * `stateful_set_utils.go` and `stateful_set_control.go` `updateStatefulSet`): each pod's
 * identity from its ordinal, and which pods one sync creates and deletes.
 *
 * @module
 */
import type { ControllerRevision, PersistentVolumeClaimTemplate, Pod, PodTemplateSpec, StatefulSet, Volume } from '@kubeloop/core';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
import { scaledValue } from '../shared/intorpercent.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../daemonset/decide.js';

/** The label naming a StatefulSet pod (upstream `apps.StatefulSetPodNameLabel`). */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The label carrying a StatefulSet pod's ordinal (upstream `apps.PodIndexLabel`). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The label carrying the revision a pod was made from (upstream `apps.ControllerRevisionHashLabelKey`, shared with DaemonSets). */
export const STATEFULSET_REVISION_LABEL = CONTROLLER_REVISION_HASH_LABEL;

/** The first ordinal of a StatefulSet (`spec.ordinals.start`, default 0). */
export function startOrdinal(set: StatefulSet): number {
  return set.spec.ordinals?.start ?? 0;
}

/** The name of the pod of `set` with `ordinal` (upstream `getPodName`): `<set>-<ordinal>`. */
export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name ?? ''}-${ordinal}`;
}

/**
 * The ordinal of a pod of `set` from its name (upstream `getParentNameAndOrdinal`): `web-2` of
 * set `web` → 2; -1 when the name is not `<set>-<number>`.
 */
export function podOrdinal(set: StatefulSet, pod: Pod): number {
  const name = pod.metadata.name ?? '';
  const prefix = `${set.metadata.name ?? ''}-`;
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : -1;
}

/** The claim of `template` for the pod of `set` with `ordinal` (upstream `getPersistentVolumeClaimName`): `<template>-<set>-<ordinal>`. */
export function claimName(set: StatefulSet, template: PersistentVolumeClaimTemplate, ordinal: number): string {
  return `${template.metadata.name ?? ''}-${podName(set, ordinal)}`;
}

/**
 * The pod template of `set`'s pod `ordinal` from `template` (upstream `newStatefulSetPod` +
 * `updateIdentity` + `updateStorage`): labels `statefulset.kubernetes.io/pod-name`,
 * `apps.kubernetes.io/pod-index` and `controller-revision-hash` = `revision`; `hostname` = the
 * pod's name, `subdomain` = `serviceName`; each claim template mounted as a volume of the same
 * name pointing at the ordinal's claim (replacing a template volume of that name).
 */
export function statefulPodTemplate(set: StatefulSet, template: PodTemplateSpec, ordinal: number, revision: string): PodTemplateSpec {
  const name = podName(set, ordinal);
  const claims = set.spec.volumeClaimTemplates ?? [];
  const claimVolumes: Volume[] = claims.map((t) => ({ name: t.metadata.name ?? '', persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } }) as Volume);
  const claimNames = new Set(claimVolumes.map((v) => v.name));
  const volumes = [...(template.spec.volumes ?? []).filter((v) => !claimNames.has(v.name)), ...claimVolumes];
  return {
    ...template,
    metadata: {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [STATEFULSET_REVISION_LABEL]: revision },
    },
    spec: {
      ...template.spec,
      hostname: name,
      ...(set.spec.serviceName !== undefined && set.spec.serviceName !== '' ? { subdomain: set.spec.serviceName } : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
    },
  } as PodTemplateSpec;
}

/** Whether a pod has finished (Succeeded or Failed): it must be replaced (upstream `isFailed`, `isSucceeded`). */
export function isPodFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

/** Whether a pod is being deleted. */
function terminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/**
 * Whether a pod counts as healthy for ordered progress (upstream `isHealthy` +
 * `isRunningAndAvailable`): Running, Ready, available for `minReadySeconds`, not being deleted.
 */
export function isPodHealthy(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod) && isPodAvailable(pod, minReadySeconds, nowMs) && !terminating(pod);
}

/** Why a pod is deleted by a sync (upstream's event and log wording differs by case). */
export type StatefulDeleteReason = 'failed' | 'condemned' | 'update';

/** What one sync does ({@link statefulSetStep}). */
export interface StatefulStep {
  /** Ordinals whose pod is created now, ascending (claims first). */
  readonly create: readonly number[];
  /** Pods deleted now, with why. */
  readonly delete: readonly { readonly pod: Pod; readonly reason: StatefulDeleteReason }[];
}

/** The inputs of {@link statefulSetStep}. */
export interface StatefulStepInput {
  /** The StatefulSet. */
  readonly set: StatefulSet;
  /** Its pods (controlled by it), any order. */
  readonly pods: readonly Pod[];
  /** The hash of its update revision (the current template). */
  readonly updateRevision: string;
  /** The wall-clock time, for `minReadySeconds`. */
  readonly nowMs: number;
}

/**
 * One sync's creations and deletions (upstream `updateStatefulSet`):
 *
 * 1. every ordinal in `[start, start+replicas)`, ascending: a finished pod is deleted (it comes
 *    back with the same name on a later sync); a missing pod is created; under `OrderedReady`
 *    the walk stops at the first pod created, deleted, terminating or not healthy
 *    ({@link isPodHealthy}), so a pod is created only once every lower ordinal is healthy;
 * 2. pods outside the range (condemned), highest ordinal first: deleted; under `OrderedReady`
 *    one at a time, only once none is terminating and every pod is healthy (an unhealthy
 *    condemned pod may go when it is the first unhealthy one);
 * 3. `RollingUpdate`: with `u` ordinals of the range unavailable (missing, created or
 *    deleted now, or not healthy) and a budget of {@link statefulSetMaxUnavailable}, the
 *    `budget - u` highest pods at or above `partition` whose revision is not `updateRevision`
 *    (and not terminating) are deleted, to be recreated from the new revision; `OnDelete`:
 *    nothing.
 *
 * Worked example: OrderedReady, replicas 3, `web-0` Running and Ready, nothing else →
 * create [1]. Parallel, same pods → create [1, 2]. RollingUpdate of 5 old healthy pods with
 * `maxUnavailable: 2` → delete web-4 and web-3; Parallel, web-4 already on the new revision
 * but not yet Ready, the others old and healthy → delete web-3 only (one unavailable, one left).
 */
export function statefulSetStep(input: StatefulStepInput): StatefulStep {
  const { set, updateRevision, nowMs } = input;
  const monotonic = set.spec.podManagementPolicy !== 'Parallel';
  const minReady = set.spec.minReadySeconds ?? 0;
  const start = startOrdinal(set);
  const end = start + Math.max(0, set.spec.replicas);
  const slots = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const pod of input.pods) {
    const ordinal = podOrdinal(set, pod);
    if (ordinal >= start && ordinal < end && !slots.has(ordinal)) slots.set(ordinal, pod);
    else condemned.push(pod);
  }
  condemned.sort((a, b) => podOrdinal(set, b) - podOrdinal(set, a));
  const create: number[] = [];
  const remove: { pod: Pod; reason: StatefulDeleteReason }[] = [];
  const healthy = (p: Pod): boolean => isPodHealthy(p, minReady, nowMs);

  for (let ordinal = start; ordinal < end; ordinal++) {
    const pod = slots.get(ordinal);
    if (pod === undefined) {
      create.push(ordinal);
      if (monotonic) return { create, delete: remove };
      continue;
    }
    if (isPodFinished(pod) && !terminating(pod)) {
      remove.push({ pod, reason: 'failed' });
      if (monotonic) return { create, delete: remove };
      continue;
    }
    if (!healthy(pod) && monotonic) return { create, delete: remove };
  }

  const firstUnhealthy = [...[...slots.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p), ...condemned].find((p) => !healthy(p));
  for (const pod of condemned) {
    if (terminating(pod)) {
      if (monotonic) return { create, delete: remove };
      continue;
    }
    if (monotonic && !healthy(pod) && pod !== firstUnhealthy) return { create, delete: remove };
    remove.push({ pod, reason: 'condemned' });
    if (monotonic) return { create, delete: remove };
  }

  if (set.spec.updateStrategy.type !== 'RollingUpdate') return { create, delete: remove };
  // Upstream updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet, on by
  // default since 1.35): every ordinal of the range that is unavailable (missing, created or
  // deleted by this sync, or not healthy) takes one unit of maxUnavailable; the rest of the
  // budget goes to the old pods at or above the partition, highest ordinal first.
  const partition = Math.max(0, set.spec.updateStrategy.rollingUpdate?.partition ?? 0);
  const budget = statefulSetMaxUnavailable(set);
  const touched = new Set(remove.map((r) => r.pod));
  let unavailable = 0;
  for (let ordinal = start; ordinal < end; ordinal++) {
    const pod = slots.get(ordinal);
    if (pod === undefined || touched.has(pod) || !healthy(pod)) unavailable++;
  }
  let left = budget - unavailable;
  for (let ordinal = end - 1; ordinal >= start + partition && left > 0; ordinal--) {
    const pod = slots.get(ordinal);
    if (pod === undefined || touched.has(pod) || terminating(pod) || pod.metadata.labels?.[STATEFULSET_REVISION_LABEL] === updateRevision) continue;
    remove.push({ pod, reason: 'update' });
    left--;
  }
  return { create, delete: remove };
}

/**
 * How many pods of a RollingUpdate may be unavailable at once (upstream
 * `getStatefulSetMaxUnavailable`): `spec.updateStrategy.rollingUpdate.maxUnavailable` (default
 * 1), a percentage of `spec.replicas` rounded down, and never less than 1.
 *
 * Worked examples, for 10 replicas: unset → 1; `3` → 3; `"25%"` → 2 (2.5 rounded down);
 * `"5%"` → 1 (0.5 rounds down to 0, raised to 1). For 3 replicas, `"50%"` → 1.
 */
export function statefulSetMaxUnavailable(set: StatefulSet): number {
  const value = set.spec.updateStrategy.rollingUpdate?.maxUnavailable ?? 1;
  return Math.max(1, scaledValue(value, Math.max(0, set.spec.replicas), false));
}

/**
 * The revision a new pod with `ordinal` is made from (upstream `newVersionedStatefulSetPod`):
 * under `RollingUpdate`, ordinals below `start + partition` keep the current revision; all
 * others get the update revision.
 */
export function revisionForNewPod(set: StatefulSet, ordinal: number): 'current' | 'update' {
  if (set.spec.updateStrategy.type !== 'RollingUpdate') return 'update';
  const partition = set.spec.updateStrategy.rollingUpdate?.partition ?? 0;
  return ordinal < startOrdinal(set) + partition ? 'current' : 'update';
}

/** Which revisions a sync works with ({@link selectRevisions}). */
export interface RevisionSelection {
  /** The existing revision that holds the set's template, or undefined: a new one is created. */
  readonly update: ControllerRevision | undefined;
  /**
   * The `revision` number the update revision must carry: the next number when it is new or an
   * older revision comes back (a rollback renumbers it), else its own.
   */
  readonly updateNumber: number;
  /** The revision named by `status.currentRevision`, or undefined (then the update revision is current). */
  readonly current: ControllerRevision | undefined;
}

/**
 * The update and current revisions of a set (upstream `getStatefulSetRevisions`): the update
 * revision is the newest existing revision equal to the set's template (`holdsTemplate`), else
 * a new one; an equal revision that is not the newest (a rollback) gets the next number; the
 * current revision is the one `status.currentRevision` names (by `hashOf`), absent on a new set.
 *
 * Worked example: revisions 1 (template A) and 2 (template B), the set back on A → update is
 * revision 1, renumbered 3; current stays whatever status names.
 */
export function selectRevisions(revisions: readonly ControllerRevision[], holdsTemplate: (r: ControllerRevision) => boolean, hashOf: (r: ControllerRevision) => string, currentRevision: string | undefined): RevisionSelection {
  const max = revisions.reduce((m, r) => Math.max(m, r.revision), 0);
  const update = revisions.filter(holdsTemplate).sort((a, b) => b.revision - a.revision)[0];
  const current = currentRevision === undefined ? undefined : revisions.find((r) => hashOf(r) === currentRevision);
  return { update, updateNumber: update === undefined || update.revision < max ? max + 1 : update.revision, current };
}

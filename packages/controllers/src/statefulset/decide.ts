/**
 * The StatefulSet controller's pure decisions (upstream `pkg/controller/statefulset`
 * `stateful_set_utils.go` and `stateful_set_control.go` `updateStatefulSet`): each pod's
 * identity from its ordinal, and which pods one sync creates and deletes.
 *
 * @module
 */
import type { PersistentVolumeClaimTemplate, Pod, PodTemplateSpec, StatefulSet, Volume } from '@kubeloop/core';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
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
 * 3. `RollingUpdate`: the highest ordinal at or above `partition` whose revision is not
 *    `updateRevision` is deleted (recreated from the new revision), once every pod of the
 *    range is healthy; `OnDelete`: nothing.
 *
 * Worked example: OrderedReady, replicas 3, `web-0` Running and Ready, nothing else →
 * create [1]. Parallel, same pods → create [1, 2].
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
  if (create.length > 0 || remove.length > 0) return { create, delete: remove };
  const partition = Math.max(0, set.spec.updateStrategy.rollingUpdate?.partition ?? 0);
  for (let ordinal = end - 1; ordinal >= start + partition; ordinal--) {
    const pod = slots.get(ordinal);
    if (pod === undefined) return { create, delete: remove };
    if (pod.metadata.labels?.[STATEFULSET_REVISION_LABEL] !== updateRevision && !terminating(pod)) {
      remove.push({ pod, reason: 'update' });
      return { create, delete: remove };
    }
    if (!healthy(pod)) return { create, delete: remove };
  }
  return { create, delete: remove };
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

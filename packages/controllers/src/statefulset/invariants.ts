/**
 * Invariants of StatefulSets over cluster state, stated from the StatefulSet documentation
 * ("Pod Identity", "Deployment and Scaling Guarantees"), independently of the controller's
 * decide.ts: each returns the violations it finds, naming the StatefulSet and the pod.
 *
 * @module
 */
import { controllerRef, invariant, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, KubeObject, PersistentVolumeClaim, Pod, StatefulSet } from '@kubeloop/core';

/** A snapshot of the cluster state the invariants read. */
export interface StatefulSetState {
  /** Every StatefulSet. */
  readonly statefulSets: readonly StatefulSet[];
  /** Every Pod. */
  readonly pods: readonly Pod[];
}

/** The pods a StatefulSet controls (by its controller reference's uid). */
function podsOf(set: StatefulSet, pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => {
    const ref = controllerRef(p);
    return ref !== undefined && ref.kind === 'StatefulSet' && ref.uid === set.metadata.uid;
  });
}

/** `<set>-<n>` → n, else undefined (a pod's ordinal is the suffix of its name). */
function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const m = /^(.*)-(0|[1-9]\d*)$/.exec(pod.metadata.name ?? '');
  return m !== null && m[1] === set.metadata.name ? Number(m[2]) : undefined;
}

/** Running and Ready (the Ready condition True). */
function runningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * After settling, each StatefulSet has exactly `spec.replicas` pods, named `<set>-<ordinal>`
 * with the ordinals `[start, start+replicas)` (`spec.ordinals.start`, default 0).
 */
export function statefulPodsInRange(state: StatefulSetState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const set of state.statefulSets) {
    if (set.metadata.deletionTimestamp !== undefined) continue;
    const start = set.spec.ordinals?.start ?? 0;
    const pods = podsOf(set, state.pods);
    for (const pod of pods) {
      const n = ordinalOf(set, pod);
      if (n === undefined || n < start || n >= start + set.spec.replicas) out.push({ message: `pod ${pod.metadata.name ?? ''} is outside the ordinals [${start}, ${start + set.spec.replicas})`, objects: [refOf(set), refOf(pod)] });
    }
    if (pods.length !== set.spec.replicas) out.push({ message: `controls ${pods.length} pods, spec.replicas is ${set.spec.replicas}`, objects: [refOf(set)] });
  }
  return out;
}

/** The label carrying a pod's ordinal (`apps.kubernetes.io/pod-index`), stated here on its own. */
const POD_INDEX = 'apps.kubernetes.io/pod-index';

/**
 * At any time, no two pods of a StatefulSet have the same ordinal. A pod holds the ordinal of
 * its name and the one its `apps.kubernetes.io/pod-index` label states (the API server keeps
 * names unique, so two pods can only share an ordinal through a label that disagrees with a
 * name).
 */
export function onePodPerOrdinal(state: StatefulSetState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const set of state.statefulSets) {
    const seen = new Map<number, Pod>();
    for (const pod of podsOf(set, state.pods)) {
      const byName = ordinalOf(set, pod);
      const label = pod.metadata.labels?.[POD_INDEX];
      const byLabel = label !== undefined && /^(0|[1-9]\d*)$/.test(label) ? Number(label) : undefined;
      for (const n of new Set([byName, byLabel])) {
        if (n === undefined) continue;
        const other = seen.get(n);
        if (other !== undefined && other !== pod) out.push({ message: `pods ${other.metadata.name ?? ''} and ${pod.metadata.name ?? ''} both have ordinal ${n}`, objects: [refOf(set), refOf(pod)] });
        else seen.set(n, pod);
      }
    }
  }
  return out;
}

/**
 * At any time, each pod of a StatefulSet mounts its own ordinal's claims: for every
 * `volumeClaimTemplates` entry `t`, pod `<set>-<n>` has a volume named `t` whose
 * `persistentVolumeClaim.claimName` is `<t>-<set>-<n>` ("Stable Storage" in the StatefulSet
 * documentation).
 */
export function podMountsOwnClaim(state: StatefulSetState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const set of state.statefulSets) {
    const templates = set.spec.volumeClaimTemplates ?? [];
    if (templates.length === 0) continue;
    for (const pod of podsOf(set, state.pods)) {
      const n = ordinalOf(set, pod);
      if (n === undefined) continue;
      for (const t of templates) {
        const want = `${t.metadata.name ?? ''}-${set.metadata.name ?? ''}-${n}`;
        const volume = (pod.spec.volumes ?? []).find((v) => v.name === t.metadata.name);
        const has = volume?.persistentVolumeClaim?.claimName;
        if (has !== want) out.push({ message: `pod ${pod.metadata.name ?? ''} mounts ${has === undefined ? 'no claim' : `claim ${has}`} as volume ${t.metadata.name ?? ''}, not ${want}`, objects: [refOf(set), refOf(pod)] });
      }
    }
  }
  return out;
}

/** The set whose claim template and ordinal name `claim` (`<template>-<set>-<n>`), with n, among `sets`. */
function claimOwner(claim: PersistentVolumeClaim, sets: readonly StatefulSet[]): { set: StatefulSet; ordinal: number } | undefined {
  const name = claim.metadata.name ?? '';
  for (const set of sets) {
    if (set.metadata.namespace !== claim.metadata.namespace) continue;
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const prefix = `${t.metadata.name ?? ''}-${set.metadata.name ?? ''}-`;
      const rest = name.startsWith(prefix) ? name.slice(prefix.length) : '';
      if (/^(0|[1-9]\d*)$/.test(rest)) return { set, ordinal: Number(rest) };
    }
  }
  return undefined;
}

/**
 * Between two states: no claim of a StatefulSet's `volumeClaimTemplates` starts being deleted
 * while its set's `persistentVolumeClaimRetentionPolicy` says `Retain` for the situation:
 * `whenDeleted` when the set is being deleted, else `whenScaled` (documentation: "the
 * StatefulSet controller does not delete the PVCs"). Judged on the set as it is just before
 * (alive or being deleted); once a set is gone, its claims are not judged. A user's own
 * deletion of such a claim is flagged too: scenarios that delete claims by hand leave the
 * invariant out.
 */
export function retainClaimDeleted(before: StatefulSetState, claim: PersistentVolumeClaim): InvariantViolation[] {
  const owner = claimOwner(claim, before.statefulSets);
  if (owner === undefined) return [];
  const { set } = owner;
  const policy = set.spec.persistentVolumeClaimRetentionPolicy;
  const deleting = set.metadata.deletionTimestamp !== undefined;
  const rule = deleting ? (policy.whenDeleted ?? 'Retain') : (policy.whenScaled ?? 'Retain');
  if (rule !== 'Retain') return [];
  return [{ message: `claim ${claim.metadata.name ?? ''} was deleted while ${deleting ? 'whenDeleted' : 'whenScaled'} is Retain`, objects: [refOf(set), refOf(claim)] }];
}

/**
 * Between two states: under `OrderedReady`, each pod of a StatefulSet created in between had,
 * in the state before, every lower ordinal of the range present, Running and Ready.
 */
export function orderedReadyCreation(before: StatefulSetState, created: readonly Pod[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const pod of created) {
    const ref = controllerRef(pod);
    if (ref === undefined || ref.kind !== 'StatefulSet') continue;
    const set = before.statefulSets.find((s) => s.metadata.uid === ref.uid);
    if (set === undefined || set.spec.podManagementPolicy === 'Parallel') continue;
    const n = ordinalOf(set, pod);
    if (n === undefined) continue;
    const start = set.spec.ordinals?.start ?? 0;
    const mine = podsOf(set, before.pods);
    for (let lower = start; lower < n; lower++) {
      const p = mine.find((q) => ordinalOf(set, q) === lower);
      if (p === undefined || !runningAndReady(p)) {
        out.push({ message: `pod ${pod.metadata.name ?? ''} was created while ordinal ${lower} was ${p === undefined ? 'missing' : 'not Running and Ready'}`, objects: [refOf(set), refOf(pod)] });
        break;
      }
    }
  }
  return out;
}

function statefulSetState(state: ClusterState): StatefulSetState {
  return { statefulSets: state.of<StatefulSet>('StatefulSet'), pods: state.of<Pod>('Pod') };
}

/** Liveness: {@link statefulPodsInRange}. */
export const statefulPodsInRangeInvariant: Invariant = invariant('statefulPodsInRange', 'After settling, each StatefulSet has exactly spec.replicas pods, named <set>-<ordinal> with ordinals in [start, start+replicas).', (state) =>
  statefulPodsInRange(statefulSetState(state)),
);

/** Safety: {@link onePodPerOrdinal}, in every state. */
export const onePodPerOrdinalInvariant: Invariant = invariant('onePodPerOrdinal', 'No two pods of a StatefulSet have the same ordinal.', (state) => onePodPerOrdinal(statefulSetState(state)), 'safety');

/**
 * Transition: {@link orderedReadyCreation} over the pods ADDED between two states, each judged
 * on the state just before it (the state before, with the changes up to it replayed), so a pod
 * that became Ready and the next one created between two checks are seen in their order.
 */
export const orderedReadyCreationInvariant: Invariant = transitionInvariant('orderedReadyCreation', 'Under OrderedReady, a StatefulSet pod is created only while every lower ordinal exists and is Running and Ready.', (previous, state) => {
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const live = new Map<string, KubeObject>();
  for (const o of [...previous.of('StatefulSet'), ...previous.of('Pod')]) live.set(key(o), o);
  const out: InvariantViolation[] = [];
  for (const change of state.changes) {
    const o = change.object;
    if (o.kind !== 'Pod' && o.kind !== 'StatefulSet') continue;
    if (change.type === 'ADDED' && o.kind === 'Pod') {
      const before = [...live.values()];
      out.push(...orderedReadyCreation({ statefulSets: before.filter((x) => x.kind === 'StatefulSet') as StatefulSet[], pods: before.filter((x) => x.kind === 'Pod') as Pod[] }, [o as Pod]));
    }
    if (change.type === 'DELETED') live.delete(key(o));
    else live.set(key(o), o);
  }
  return out;
});

/** Safety: {@link podMountsOwnClaim}, in every state. */
export const podMountsOwnClaimInvariant: Invariant = invariant('podMountsOwnClaim', "Each pod of a StatefulSet mounts its own ordinal's claim of every volumeClaimTemplate.", (state) => podMountsOwnClaim(statefulSetState(state)), 'safety');

/**
 * Transition: {@link retainClaimDeleted} for every claim whose deletion starts between two
 * states (it gets a deletionTimestamp, or disappears without one), each judged on the state
 * just before it (the state before, with the changes up to it replayed).
 */
export const retainClaimNeverDeletedInvariant: Invariant = transitionInvariant('retainClaimNeverDeleted', 'A claim of a StatefulSet whose retention policy says Retain for the situation (whenScaled, or whenDeleted while the set is deleted) is never deleted.', (previous, state) => {
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const live = new Map<string, KubeObject>();
  for (const o of [...previous.of('StatefulSet'), ...previous.of('PersistentVolumeClaim')]) live.set(key(o), o);
  const out: InvariantViolation[] = [];
  for (const change of state.changes) {
    const o = change.object;
    if (o.kind !== 'StatefulSet' && o.kind !== 'PersistentVolumeClaim') continue;
    if (o.kind === 'PersistentVolumeClaim') {
      const was = live.get(key(o));
      const starts = was === undefined || was.metadata.uid !== o.metadata.uid ? change.type === 'DELETED' || o.metadata.deletionTimestamp !== undefined : was.metadata.deletionTimestamp === undefined && (change.type === 'DELETED' || o.metadata.deletionTimestamp !== undefined);
      if (starts) out.push(...retainClaimDeleted({ statefulSets: [...live.values()].filter((x) => x.kind === 'StatefulSet') as StatefulSet[], pods: [] }, o as PersistentVolumeClaim));
    }
    if (change.type === 'DELETED') live.delete(key(o));
    else live.set(key(o), o);
  }
  return out;
});

/** The invariants the StatefulSet plugin registers. */
export const STATEFULSET_INVARIANTS: readonly Invariant[] = [statefulPodsInRangeInvariant, onePodPerOrdinalInvariant, orderedReadyCreationInvariant, podMountsOwnClaimInvariant, retainClaimNeverDeletedInvariant];

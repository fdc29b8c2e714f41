/**
 * Invariants of storage object in use protection over cluster states, stated from the
 * PersistentVolume documentation ("Storage Object in Use Protection"), independently of the
 * protection controllers' decide.ts: each returns the violations it finds, naming the claim or
 * volume and what still used it.
 *
 * @module
 */
import { refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, KubeObject, PersistentVolume, PersistentVolumeClaim, Pod } from '@kubeloop/core';

/** What the protection invariants read in the state just before an object went. */
export interface ProtectionState {
  /** Every Pod. */
  readonly pods: readonly Pod[];
  /** Every PersistentVolumeClaim. */
  readonly claims: readonly PersistentVolumeClaim[];
}

/** A pod mounts a claim: it runs on a node (spec.nodeName), has not terminated, and a volume names the claim. */
function mounts(pod: Pod, claim: PersistentVolumeClaim): boolean {
  if (pod.metadata.namespace !== claim.metadata.namespace || !pod.spec.nodeName) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name);
}

/**
 * A claim is not removed while a pod that has not terminated mounts it: in the state just before
 * `claim` disappeared, no pod scheduled to a node, neither Succeeded nor Failed, has a
 * `persistentVolumeClaim` volume naming it.
 */
export function claimRemovedWhileMounted(before: ProtectionState, claim: PersistentVolumeClaim): InvariantViolation[] {
  return before.pods.filter((p) => mounts(p, claim)).map((p) => ({ message: `was removed while pod ${p.metadata.name ?? ''} (${p.status?.phase ?? 'no phase'} on ${p.spec.nodeName ?? ''}) mounts it`, objects: [refOf(claim), refOf(p)] }));
}

/**
 * A volume is not removed while it is bound: in the state just before `volume` disappeared, no
 * claim with the uid of its `claimRef` names it in `spec.volumeName`.
 */
export function volumeRemovedWhileBound(before: ProtectionState, volume: PersistentVolume): InvariantViolation[] {
  const ref = volume.spec.claimRef;
  if (ref?.uid === undefined || ref.uid === '') return [];
  return before.claims
    .filter((c) => c.metadata.uid === ref.uid && c.spec.volumeName === volume.metadata.name)
    .map((c) => ({ message: `was removed while bound to claim ${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`, objects: [refOf(volume), refOf(c)] }));
}

/**
 * Replays the changes between two states over the objects of `kinds`, calling `removed` for
 * each DELETED change with the live objects just before it.
 */
function onRemovals(previous: ClusterState, state: ClusterState, kinds: readonly string[], removed: (before: ProtectionState, object: KubeObject) => InvariantViolation[]): InvariantViolation[] {
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const live = new Map<string, KubeObject>();
  for (const kind of kinds) for (const o of previous.of(kind)) live.set(key(o), o);
  const out: InvariantViolation[] = [];
  for (const change of state.changes) {
    const o = change.object;
    if (!kinds.includes(o.kind)) continue;
    if (change.type === 'DELETED') {
      const objects = [...live.values()];
      out.push(...removed({ pods: objects.filter((x) => x.kind === 'Pod') as Pod[], claims: objects.filter((x) => x.kind === 'PersistentVolumeClaim') as PersistentVolumeClaim[] }, o));
      live.delete(key(o));
    } else {
      live.set(key(o), o);
    }
  }
  return out;
}

/**
 * Transition: {@link claimRemovedWhileMounted} for every claim removed between two states, each
 * judged on the state just before its removal (the state before, with the changes up to it
 * replayed), so a pod that goes and the claim removed right after it are seen in their order.
 */
export const claimNotRemovedWhileMountedInvariant: Invariant = transitionInvariant(
  'claimNotRemovedWhileMounted',
  'A PersistentVolumeClaim is never removed while a scheduled pod that has not terminated mounts it.',
  (previous, state) => onRemovals(previous, state, ['Pod', 'PersistentVolumeClaim'], (before, o) => (o.kind === 'PersistentVolumeClaim' ? claimRemovedWhileMounted(before, o as PersistentVolumeClaim) : [])),
);

/** Transition: {@link volumeRemovedWhileBound} for every volume removed between two states, judged as {@link claimNotRemovedWhileMountedInvariant}. */
export const volumeNotRemovedWhileBoundInvariant: Invariant = transitionInvariant(
  'volumeNotRemovedWhileBound',
  'A PersistentVolume is never removed while the claim its claimRef names is bound to it.',
  (previous, state) => onRemovals(previous, state, ['PersistentVolumeClaim', 'PersistentVolume'], (before, o) => (o.kind === 'PersistentVolume' ? volumeRemovedWhileBound(before, o as PersistentVolume) : [])),
);

/** The invariants the volume protection plugin registers. */
export const VOLUME_PROTECTION_INVARIANTS: readonly Invariant[] = [claimNotRemovedWhileMountedInvariant, volumeNotRemovedWhileBoundInvariant];

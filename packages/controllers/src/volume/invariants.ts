/**
 * Invariants of PersistentVolume binding over cluster state, stated from the PersistentVolume
 * documentation ("Binding"), independently of the binder's decide.ts.
 *
 * @module
 */
import { invariant, refOf } from '@kubeloop/core';
import type { Invariant, InvariantViolation, PersistentVolume, PersistentVolumeClaim } from '@kubeloop/core';

/** A snapshot of the cluster state the binding invariants read. */
export interface VolumeBindingState {
  /** Every PersistentVolume. */
  readonly volumes: readonly PersistentVolume[];
  /** Every PersistentVolumeClaim. */
  readonly claims: readonly PersistentVolumeClaim[];
}

/**
 * A binding is one-to-one and mutual: no two claims name the same volume in `spec.volumeName`;
 * and a claim that is `Bound` names a volume whose `claimRef` is that claim (name, namespace,
 * uid).
 */
export function bindingIsMutual(state: VolumeBindingState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const byVolume = new Map<string, PersistentVolumeClaim>();
  for (const claim of state.claims) {
    const name = claim.spec.volumeName;
    if (name === undefined || name === '') continue;
    const other = byVolume.get(name);
    if (other !== undefined) out.push({ message: `claims ${other.metadata.namespace ?? ''}/${other.metadata.name ?? ''} and ${claim.metadata.namespace ?? ''}/${claim.metadata.name ?? ''} both name volume ${name}`, objects: [refOf(claim), refOf(other)] });
    else byVolume.set(name, claim);
    if (claim.status.phase !== 'Bound') continue;
    const pv = state.volumes.find((v) => v.metadata.name === name);
    const ref = pv?.spec.claimRef;
    if (pv === undefined) out.push({ message: `is Bound to volume ${name}, which does not exist`, objects: [refOf(claim)] });
    else if (ref?.name !== claim.metadata.name || ref?.namespace !== claim.metadata.namespace || ref?.uid !== claim.metadata.uid) out.push({ message: `is Bound to volume ${name}, whose claimRef is ${ref === undefined ? 'unset' : `${ref.namespace ?? ''}/${ref.name ?? ''}`}`, objects: [refOf(claim), refOf(pv)] });
  }
  return out;
}

/** Safety: {@link bindingIsMutual}, in every state. */
export const bindingIsMutualInvariant: Invariant = invariant(
  'bindingIsMutual',
  'No two claims name one volume, and a Bound claim names a volume whose claimRef is that claim.',
  (state) => bindingIsMutual({ volumes: state.of<PersistentVolume>('PersistentVolume'), claims: state.of<PersistentVolumeClaim>('PersistentVolumeClaim') }),
  'safety',
);

/**
 * Invariants of PersistentVolume binding over cluster state, stated from the PersistentVolume
 * documentation ("Binding"), independently of the binder's decide.ts.
 *
 * @module
 */
import { invariant, matchesTerm, refOf } from '@kubeloop/core';
import type { Invariant, InvariantViolation, Node, PersistentVolume, PersistentVolumeClaim, Pod } from '@kubeloop/core';

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

/** A snapshot of the cluster state {@link podsFollowTheirVolumes} reads. */
export interface VolumePlacementState {
  /** Every pod. */
  readonly pods: readonly Pod[];
  /** Every Node. */
  readonly nodes: readonly Node[];
  /** Every PersistentVolumeClaim. */
  readonly claims: readonly PersistentVolumeClaim[];
  /** Every PersistentVolume. */
  readonly volumes: readonly PersistentVolume[];
}

/**
 * A pod only runs where its volumes are (the PersistentVolume documentation, "Node Affinity":
 * "a PV can specify node affinity to define constraints that limit what nodes this volume can
 * be accessed from. Pods that use a PV will only be scheduled to nodes that are selected by the
 * node affinity"): a pod assigned to a node, whose claim is bound to a volume with required node
 * affinity, is on a node one of the affinity's terms selects. Pods on nodes that no longer exist
 * are not judged.
 */
export function podsFollowTheirVolumes(state: VolumePlacementState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const nodes = new Map(state.nodes.map((n) => [n.metadata.name ?? '', n]));
  const claims = new Map(state.claims.map((c) => [`${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`, c]));
  const volumes = new Map(state.volumes.map((v) => [v.metadata.name ?? '', v]));
  for (const pod of state.pods) {
    const node = nodes.get(pod.spec.nodeName ?? '');
    if (node === undefined) continue;
    for (const v of pod.spec.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (claimName === undefined) continue;
      const claim = claims.get(`${pod.metadata.namespace ?? ''}/${claimName}`);
      const pv = volumes.get(claim?.spec.volumeName ?? '');
      const terms = pv?.spec.nodeAffinity?.required?.nodeSelectorTerms;
      if (pv === undefined || terms === undefined || terms.some((t) => matchesTerm(t, node))) continue;
      out.push({ message: `runs on node ${node.metadata.name ?? ''}, which the node affinity of its volume ${pv.metadata.name ?? ''} (claim ${claimName}) excludes`, objects: [refOf(pod), refOf(pv)] });
    }
  }
  return out;
}

/** Safety: {@link podsFollowTheirVolumes}, in every state. */
export const podsFollowTheirVolumesInvariant: Invariant = invariant(
  'podsFollowTheirVolumes',
  "A pod assigned to a node is on a node its bound volumes' node affinity selects.",
  (state) =>
    podsFollowTheirVolumes({
      pods: state.of<Pod>('Pod'),
      nodes: state.of<Node>('Node'),
      claims: state.of<PersistentVolumeClaim>('PersistentVolumeClaim'),
      volumes: state.of<PersistentVolume>('PersistentVolume'),
    }),
  'safety',
);

/**
 * VolumeBinding: pods with PersistentVolumeClaims only go where their volumes can be.
 *
 * @module
 */
import { amountOf } from '../nodeinfo.js';
import { SKIP, SUCCESS, unresolvable, type FilterPlugin, type PreFilterPlugin } from '../framework.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '@kubeloop/core';
import type { NodeInfoView, Snapshot } from '../nodeinfo.js';
import { matchesRequirement, matchesTerm } from './node.js';

/** Upstream's PreFilter reason when a claim with `Immediate` binding is not bound yet. */
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
/** Upstream's reason when a bound volume's node affinity excludes the node. */
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
/** Upstream's reason when a `WaitForFirstConsumer` claim can neither bind an existing volume nor be provisioned for the node. */
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
/** Upstream's reason when a claim is bound to a volume that does not exist. */
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

/** The provisioner name of statically provisioned (local) storage classes. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** The claims a pod uses: `persistentVolumeClaim` volumes, and `ephemeral` ones as `<pod>-<volume>`. */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec.volumes ?? []) {
    if (v.persistentVolumeClaim !== undefined) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral !== undefined) out.push(`${pod.metadata.name ?? ''}-${v.name}`);
  }
  return out;
}

interface VolumeState {
  readonly bound: PersistentVolumeClaim[];
  readonly delayed: PersistentVolumeClaim[];
}

/** Whether a PersistentVolume's `spec.nodeAffinity.required` admits the node (no affinity admits every node). */
export function volumeFitsNode(pv: PersistentVolume, node: NodeInfoView): boolean {
  const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
  return terms === undefined || terms.some((t) => matchesTerm(t, node.node));
}

function canBindOrProvision(pvc: PersistentVolumeClaim, node: NodeInfoView, snapshot: Snapshot, allPvs: readonly PersistentVolume[]): boolean {
  const className = pvc.spec.storageClassName ?? '';
  const sc = snapshot.storageClass(className);
  const want = pvc.spec.resources?.requests?.['storage'];
  const wantBytes = want === undefined ? 0 : amountOf('storage', want);
  for (const pv of allPvs) {
    if (pv.spec.claimRef !== undefined && !(pv.spec.claimRef.name === pvc.metadata.name && pv.spec.claimRef.namespace === pvc.metadata.namespace)) continue;
    if ((pv.spec.storageClassName ?? '') !== className) continue;
    const cap = pv.spec.capacity?.['storage'];
    if (cap !== undefined && amountOf('storage', cap) < wantBytes) continue;
    if (!(pvc.spec.accessModes ?? []).every((m) => (pv.spec.accessModes ?? []).includes(m))) continue;
    if (volumeFitsNode(pv, node)) return true;
  }
  if (sc === undefined || sc.provisioner === NO_PROVISIONER) return false;
  const topologies = sc.allowedTopologies;
  if (topologies === undefined || topologies.length === 0) return true;
  const labels = node.node.metadata.labels ?? {};
  return topologies.some((t) =>
    (t.matchLabelExpressions ?? []).every((e) => matchesRequirement({ key: e.key, operator: 'In', values: e.values }, Object.hasOwn(labels, e.key) ? labels[e.key] : undefined)),
  );
}

/**
 * VolumeBinding, upstream semantics:
 *
 * PreFilter: a pod without claims is skipped; a missing claim fails with
 * `persistentvolumeclaim "<name>" not found`, a deleting one with
 * `persistentvolumeclaim "<name>" is being deleted`; an unbound claim (no `spec.volumeName`)
 * whose class binds `Immediate` (or has no class) fails with {@link ERR_REASON_UNBOUND_IMMEDIATE}
 * — the PV controller must bind it first.
 *
 * Filter: each bound claim's volume must exist ({@link ERR_REASON_PV_NOT_EXIST}) and admit the
 * node ({@link ERR_REASON_NODE_CONFLICT}); each `WaitForFirstConsumer` claim needs an available
 * matching volume admitting the node (class, size, access modes) or a provisioner whose
 * `allowedTopologies` admit it ({@link ERR_REASON_BIND_CONFLICT}). Binding of delayed claims
 * is left to the PV controller (upstream's PreBind is not modelled).
 */
export const volumeBinding: PreFilterPlugin & FilterPlugin = {
  name: 'VolumeBinding',
  preFilter(state, pod, snapshot) {
    const names = podClaimNames(pod);
    if (names.length === 0) return SKIP;
    const ns = pod.metadata.namespace ?? '';
    const bound: PersistentVolumeClaim[] = [];
    const delayed: PersistentVolumeClaim[] = [];
    let unboundImmediate = false;
    for (const name of names) {
      const pvc = snapshot.pvc(ns, name);
      if (pvc === undefined) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (pvc.metadata.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      if (pvc.spec.volumeName !== undefined && pvc.spec.volumeName !== '') {
        bound.push(pvc);
        continue;
      }
      const sc = pvc.spec.storageClassName ? snapshot.storageClass(pvc.spec.storageClassName) : undefined;
      if (sc?.volumeBindingMode === 'WaitForFirstConsumer') delayed.push(pvc);
      else unboundImmediate = true;
    }
    if (unboundImmediate) return unresolvable(ERR_REASON_UNBOUND_IMMEDIATE);
    state.set('PreFilterVolumeBinding', { bound, delayed } satisfies VolumeState);
    return SUCCESS;
  },
  filter(state, _pod, node, snapshot) {
    const s = state.get('PreFilterVolumeBinding') as VolumeState | undefined;
    if (s === undefined) return SUCCESS;
    for (const pvc of s.bound) {
      const pv = snapshot.pv(pvc.spec.volumeName!);
      if (pv === undefined) return unresolvable(ERR_REASON_PV_NOT_EXIST);
      if (!volumeFitsNode(pv, node)) return unresolvable(ERR_REASON_NODE_CONFLICT);
    }
    if (s.delayed.length > 0) {
      const all = allPersistentVolumes(snapshot);
      for (const pvc of s.delayed) if (!canBindOrProvision(pvc, node, snapshot, all)) return unresolvable(ERR_REASON_BIND_CONFLICT);
    }
    return SUCCESS;
  },
};

function allPersistentVolumes(snapshot: Snapshot): readonly PersistentVolume[] {
  return snapshot.pvs();
}

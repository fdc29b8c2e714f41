/**
 * The storage object in use protection rules, pure (upstream `pkg/controller/volume/protectionutil`,
 * `pvcprotection.podUsesPVC` and `pvprotection.isBeingUsed`): which finalizer guards what, when
 * an object needs it, when it may go.
 *
 * @module
 */
import type { KubeObject, PersistentVolume, Pod } from '@kubeloop/core';

/** The finalizer that keeps a claim while a pod uses it (upstream `volumeutil.PVCProtectionFinalizer`). */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
/** The finalizer that keeps a volume while it is bound (upstream `volumeutil.PVProtectionFinalizer`). */
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** Whether `object` carries `finalizer`. */
export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return (object.metadata.finalizers ?? []).includes(finalizer);
}

/**
 * Whether the protection controller should decide about removing `finalizer` (upstream
 * `protectionutil.IsDeletionCandidate`): the object is being deleted and still carries it.
 */
export function isDeletionCandidate(object: KubeObject, finalizer: string): boolean {
  return object.metadata.deletionTimestamp !== undefined && hasFinalizer(object, finalizer);
}

/**
 * Whether the protection controller adds `finalizer` (upstream `protectionutil.NeedToAddFinalizer`):
 * the object is not being deleted and lacks it (an object created before admission added it).
 */
export function needToAddFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata.deletionTimestamp === undefined && !hasFinalizer(object, finalizer);
}

/** `object` with `finalizer` appended (unchanged when already there). */
export function withFinalizer<T extends KubeObject>(object: T, finalizer: string): T {
  if (hasFinalizer(object, finalizer)) return object;
  return { ...object, metadata: { ...object.metadata, finalizers: [...(object.metadata.finalizers ?? []), finalizer] } };
}

/** `object` without `finalizer`; the field is left out when none remains. */
export function withoutFinalizer<T extends KubeObject>(object: T, finalizer: string): T {
  const { finalizers: _old, ...metadata } = object.metadata;
  const rest = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return { ...object, metadata: rest.length > 0 ? { ...metadata, finalizers: rest } : metadata };
}

/**
 * Whether `pod` uses the claim `claimName` of its namespace (upstream `podUsesPVC`): the pod is
 * scheduled (a pod without a node is not started by a kubelet once its claim is being deleted,
 * and the scheduler refuses such a claim) and one of its volumes is a `persistentVolumeClaim`
 * naming it. As upstream, the pod's phase does not matter: a Succeeded or Failed pod keeps its
 * claim until the pod object is gone.
 *
 * Worked example: pod `web-0` on `node-1` with volume `data` → claim `data-web-0`: uses it;
 * the same pod before scheduling: does not.
 */
export function podUsesClaim(pod: Pod, claimName: string): boolean {
  if (pod.spec.nodeName === undefined || pod.spec.nodeName === '') return false;
  return (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claimName);
}

/** The claims `pod` names in its `persistentVolumeClaim` volumes. */
export function claimsOfPod(pod: Pod): string[] {
  return (pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName === undefined ? [] : [v.persistentVolumeClaim.claimName]));
}

/** Whether a pod has terminated (phase Succeeded or Failed, upstream `volumeutil.IsPodTerminated` for a pod whose phase says so). */
export function isPodTerminated(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * Whether a pod event can let a claim's finalizer go, so that the claims the pod names are
 * worth a look (upstream `enqueuePVCs`' filter): the pod was deleted, has terminated, or is not
 * scheduled.
 */
export function podEventMayReleaseClaims(pod: Pod, deleted: boolean): boolean {
  return deleted || isPodTerminated(pod) || pod.spec.nodeName === undefined || pod.spec.nodeName === '';
}

/** Whether a volume is in use (upstream `pvprotection.isBeingUsed`): its phase is `Bound`. */
export function volumeInUse(volume: PersistentVolume): boolean {
  return volume.status?.phase === 'Bound';
}

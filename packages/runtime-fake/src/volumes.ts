/**
 * Volume attachment as the attach/detach controller judges it (upstream
 * `pkg/controller/volume/attachdetach/reconciler`): a ReadWriteOnce volume attaches to one node
 * at a time, and a pod on another node waits with `FailedAttachVolume` `Multi-Attach error`.
 * Pure decisions; the kubelet reads the API and acts.
 *
 * @module
 */
import type { PersistentVolume, Pod } from '@kubeloop/core';

/** The event reason of a volume that cannot be attached (upstream `kevents.FailedAttachVolume`). */
export const FAILED_ATTACH_VOLUME = 'FailedAttachVolume';

/**
 * Whether a volume may be attached to several nodes at once (upstream `IsMultiAttachAllowed`):
 * a PersistentVolume without access modes may; one whose modes include `ReadWriteOnce` may not.
 */
export function isMultiAttachAllowed(volume: PersistentVolume): boolean {
  const modes = volume.spec.accessModes ?? [];
  return modes.length === 0 || !modes.includes('ReadWriteOnce');
}

/**
 * Whether a pod holds its volumes attached on its node: it is bound there, has not finished
 * (`Succeeded`/`Failed`), and its sandbox was set up — its volumes were mounted, which the
 * simulated kubelet shows by the pod IP it then allocates (or the `Running` phase). A pod that is
 * terminating still holds them until it is gone, as upstream detaches after unmounting.
 */
export function holdsVolumesOnNode(pod: Pod): boolean {
  if ((pod.spec.nodeName ?? '') === '') return false;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return (pod.status?.podIP ?? '') !== '' || phase === 'Running';
}

/**
 * The `Multi-Attach error` for `pod`, about to mount claim `claimName` bound to `volume` on
 * `nodeName`, or undefined when the volume may be attached there (upstream
 * `reportMultiAttachError`): the volume does not allow multi-attach and pods of `pods` on
 * other nodes that use the claim hold it.
 *
 * The message names the other pods of the pod's namespace (sorted) and counts those of other
 * namespaces, as upstream's, e.g.
 * `Multi-Attach error for volume "pvc-1a2b" Volume is already used by pod(s) web-7d9c5-abcde`.
 */
export function multiAttachError(pod: Pod, nodeName: string, claimName: string, volume: PersistentVolume, pods: readonly Pod[]): string | undefined {
  if (isMultiAttachAllowed(volume)) return undefined;
  const namespace = pod.metadata.namespace ?? '';
  const holders = pods.filter(
    (p) =>
      p.metadata.uid !== pod.metadata.uid &&
      (p.metadata.namespace ?? '') === namespace &&
      p.spec.nodeName !== nodeName &&
      holdsVolumesOnNode(p) &&
      (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claimName),
  );
  if (holders.length === 0) return undefined;
  const names = holders.map((p) => p.metadata.name ?? '').sort();
  return `Multi-Attach error for volume "${volume.metadata.name ?? ''}" Volume is already used by pod(s) ${names.join(', ')}`;
}

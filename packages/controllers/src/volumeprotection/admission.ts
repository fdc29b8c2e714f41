/**
 * The StorageObjectInUseProtection admission plugin, as a mutating admission hook.
 *
 * @module
 */
import type { AdmissionHook, KubeObject } from '@kubeloop/core';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, withFinalizer } from './decide.js';

/** The hook's name, as upstream's admission plugin. */
export const STORAGE_OBJECT_IN_USE_PROTECTION = 'StorageObjectInUseProtection';

/**
 * The StorageObjectInUseProtection admission plugin (upstream
 * `plugin/pkg/admission/storage/storageobjectinuseprotection`): on CREATE of a
 * PersistentVolumeClaim it adds the finalizer `kubernetes.io/pvc-protection`, of a
 * PersistentVolume `kubernetes.io/pv-protection`, so that neither is removed while in use (the
 * protection controllers remove the finalizers once it is safe).
 *
 * Guarantees: only CREATE of the object itself (no subresource) is changed; a finalizer already
 * there is not added twice; other finalizers stay.
 */
export function storageObjectInUseProtection(): AdmissionHook {
  return {
    name: STORAGE_OBJECT_IN_USE_PROTECTION,
    resources: ['persistentvolumeclaims', 'persistentvolumes'],
    operations: ['CREATE'],
    // A new object that differs in a finalizer only (metadata is always decoded).
    producesDecoded: true,
    mutate(request): KubeObject | void {
      if (request.subresource !== undefined) return;
      const finalizer = request.resource.resource === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : PVC_PROTECTION_FINALIZER;
      return withFinalizer(request.object, finalizer);
    },
  };
}

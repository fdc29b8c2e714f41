/**
 * The DefaultStorageClass admission plugin, as a mutating admission hook.
 *
 * @module
 */
import { StorageClasses } from '@kubeloop/core';
import type { AdmissionHook, KubeObject, PersistentVolumeClaim } from '@kubeloop/core';
import { defaultStorageClass } from './decide.js';

/** The hook's name, as upstream's admission plugin. */
export const DEFAULT_STORAGE_CLASS = 'DefaultStorageClass';

/**
 * The DefaultStorageClass admission plugin (upstream
 * `plugin/pkg/admission/storage/storageclass/setdefault`): a PersistentVolumeClaim created
 * without `spec.storageClassName` gets the default StorageClass's name (the newest class
 * annotated `storageclass.kubernetes.io/is-default-class: "true"`), so `kubectl get pvc` shows
 * it, as on a kind cluster (`standard`). An empty `storageClassName` (`""`: no class) and a
 * cluster without a default class leave the claim as it is.
 *
 * Guarantees: only CREATE of the claim itself (no subresource) is changed.
 */
export function defaultStorageClassAdmission(): AdmissionHook {
  return {
    name: DEFAULT_STORAGE_CLASS,
    resources: ['persistentvolumeclaims'],
    operations: ['CREATE'],
    // A new object that differs in a string field the schema keeps as it is.
    producesDecoded: true,
    mutate(request): KubeObject | void {
      if (request.subresource !== undefined) return;
      const claim = request.object as PersistentVolumeClaim;
      if (claim.spec.storageClassName !== undefined) return;
      const name = defaultStorageClass(request.store.list(StorageClasses))?.metadata.name;
      if (name === undefined) return;
      const classed: PersistentVolumeClaim = { ...claim, spec: { ...claim.spec, storageClassName: name } };
      return classed;
    },
  };
}

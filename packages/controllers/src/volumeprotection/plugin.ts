/**
 * Registration: the PVC and PV protection controllers and the StorageObjectInUseProtection
 * admission hook as one core `Plugin`.
 *
 * @module
 */
import type { Plugin } from '@kubeloop/core';
import { storageObjectInUseProtection } from './admission.js';
import { pvProtectionController, pvcProtectionController } from './controller.js';
import { VOLUME_PROTECTION_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link volumeProtectionPlugin} returns. */
export const VOLUME_PROTECTION_PLUGIN_NAME = 'kubeloop.dev/volume-protection';

/** Options of {@link volumeProtectionPlugin}. */
export interface VolumeProtectionPluginOptions {
  /**
   * Install the StorageObjectInUseProtection admission hook ({@link storageObjectInUseProtection})
   * on the host's API server (default true, as kube-apiserver enables it by default). Without
   * it, the controllers still add the finalizers, one write later.
   */
  readonly admission?: boolean | undefined;
}

/**
 * A core plugin that adds storage object in use protection: the admission hook that gives new
 * claims `kubernetes.io/pvc-protection` and new volumes `kubernetes.io/pv-protection`; the PVC
 * protection controller (upstream `pkg/controller/volume/pvcprotection`), which lets a deleted
 * claim go once no scheduled pod uses it; the PV protection controller (`pvprotection`), which
 * lets a deleted volume go once it is not Bound; and their invariants,
 * `claimNotRemovedWhileMounted` and `volumeNotRemovedWhileBound`. `SimCluster` runs it by
 * default.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1 }); // runs it by default
 * await cluster.apply([claimYaml, podUsingItYaml]);
 * await cluster.settle();
 * await cluster.server.delete(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
 * await cluster.settle(); // the claim is Terminating until the pod is gone
 * ```
 */
export function volumeProtectionPlugin(options: VolumeProtectionPluginOptions = {}): Plugin {
  return {
    name: VOLUME_PROTECTION_PLUGIN_NAME,
    register(api) {
      if (options.admission !== false) api.addAdmissionHook(storageObjectInUseProtection());
      api.addController(pvcProtectionController);
      api.addController(pvProtectionController);
      for (const i of VOLUME_PROTECTION_INVARIANTS) api.addInvariant(i);
    },
  };
}

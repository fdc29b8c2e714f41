/**
 * Registration: the PersistentVolume controller (binder and simulated provisioner) as one core
 * `Plugin`.
 *
 * @module
 */
import { PersistentVolumeClaims, PersistentVolumes } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { claimController, volumeController, type PersistentVolumeControllerOptions } from './controller.js';
import { bindingIsMutualInvariant, podsFollowTheirVolumesInvariant } from './invariants.js';
import { defaultStorageClassAdmission } from './admission.js';

/** The name of the plugin {@link persistentVolumePlugin} returns. */
export const PERSISTENT_VOLUME_PLUGIN_NAME = 'kubeloop.dev/persistentvolume';

/**
 * A core plugin that adds the PersistentVolume controller (upstream
 * `pkg/controller/volume/persistentvolume`): claims bound to matching volumes, volumes made by
 * their class's provisioner (every provisioner name by default, as an external provisioner
 * would), volume phases; and its invariants `bindingIsMutual` and `podsFollowTheirVolumes`.
 *
 * With the DefaultStorageClass admission hook ({@link defaultStorageClassAdmission}), a claim
 * created without a class gets the default class's name.
 *
 * `WaitForFirstConsumer` classes wait for the scheduler's `volume.kubernetes.io/selected-node`
 * and provision a volume pinned to that node.
 *
 * Not modelled yet: recycling. PVC/PV protection finalizers come with {@link volumeProtectionPlugin}.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1 }); // runs it by default, with StorageClass `standard`
 * await cluster.apply(claimYaml);
 * await cluster.settle(); // the claim is Bound to pvc-<uid>
 * ```
 */
export function persistentVolumePlugin(options: PersistentVolumeControllerOptions = {}): Plugin {
  return {
    name: PERSISTENT_VOLUME_PLUGIN_NAME,
    register(api) {
      if (options.admission !== false) api.addAdmissionHook(defaultStorageClassAdmission());
      api.addController((manager) => claimController(manager, options));
      api.addController((manager) => volumeController(manager));
      api.reconciles(PersistentVolumeClaims);
      api.reconciles(PersistentVolumes);
      api.addInvariant(bindingIsMutualInvariant);
      api.addInvariant(podsFollowTheirVolumesInvariant);
    },
  };
}

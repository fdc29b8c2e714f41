/**
 * PersistentVolumes: the PersistentVolume controller (upstream
 * `pkg/controller/volume/persistentvolume`) — binding claims to volumes, provisioning volumes
 * for claims through their StorageClass, volume phases.
 *
 * @module
 */

// Registration
export { persistentVolumePlugin, PERSISTENT_VOLUME_PLUGIN_NAME } from './plugin.js';

// Admission
export { DEFAULT_STORAGE_CLASS, defaultStorageClassAdmission } from './admission.js';

// The controller
export { PV_BINDER_CONTROLLER_NAME, PV_CONTROLLER_COMPONENT } from './controller.js';
export type { PersistentVolumeControllerOptions } from './controller.js';

// Annotations
export { ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER } from './decide.js';

// Invariants
export { bindingIsMutual, bindingIsMutualInvariant, podsFollowTheirVolumes, podsFollowTheirVolumesInvariant } from './invariants.js';
export type { VolumeBindingState, VolumePlacementState } from './invariants.js';

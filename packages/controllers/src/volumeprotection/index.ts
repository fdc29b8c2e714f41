/**
 * Storage object in use protection: the StorageObjectInUseProtection admission hook and the PVC
 * and PV protection controllers (upstream `pkg/controller/volume/pvcprotection` and
 * `pvprotection`).
 *
 * @module
 */

// Registration
export { volumeProtectionPlugin, VOLUME_PROTECTION_PLUGIN_NAME } from './plugin.js';
export type { VolumeProtectionPluginOptions } from './plugin.js';

// The admission hook and the controllers
export { STORAGE_OBJECT_IN_USE_PROTECTION, storageObjectInUseProtection } from './admission.js';
export { PVC_PROTECTION_CONTROLLER_NAME, PV_PROTECTION_CONTROLLER_NAME } from './controller.js';

// Finalizers
export { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER } from './decide.js';

// Invariants
export { claimNotRemovedWhileMountedInvariant, claimRemovedWhileMounted, volumeNotRemovedWhileBoundInvariant, volumeRemovedWhileBound } from './invariants.js';
export type { ProtectionState } from './invariants.js';

/**
 * ResourceQuota: the admission hook that refuses creates beyond a namespace's quotas, and the
 * controller that keeps each quota's `status.hard` and `status.used`, as kube-apiserver's
 * `ResourceQuota` admission plugin and kube-controller-manager's `resourcequota` controller.
 *
 * @module
 */

// Registration
export { resourceQuotaPlugin, RESOURCE_QUOTA_PLUGIN_NAME } from './plugin.js';

// The controller
export { RESOURCE_QUOTA_CONTROLLER_NAME, RESOURCE_QUOTA_SYNC_PERIOD_MS } from './controller.js';
export type { ResourceQuotaOptions } from './controller.js';
export type { ResourceQuotaPluginOptions } from './plugin.js';

// Admission
export { RESOURCE_QUOTA_ADMISSION, resourceQuotaAdmission } from './admission.js';

/**
 * ResourceQuota: the admission hook that refuses creates beyond a namespace's quotas, and the
 * controller that keeps each quota's `status.hard` and `status.used`, as kube-apiserver's
 * `ResourceQuota` admission plugin and kube-controller-manager's `resourcequota` controller.
 *
 * @module
 */
export { RESOURCE_QUOTA_ADMISSION, resourceQuotaAdmission } from './admission.js';
export { RESOURCE_QUOTA_CONTROLLER_NAME, RESOURCE_QUOTA_SYNC_PERIOD_MS, ResourceQuotaReconciler, resourceQuotaController } from './controller.js';
export type { ResourceQuotaOptions } from './controller.js';
export { RESOURCE_QUOTA_PLUGIN_NAME, resourceQuotaPlugin } from './plugin.js';
export type { ResourceQuotaPluginOptions } from './plugin.js';
export { formatUsage, objectCountName, podChargedAt, podConstraintViolation, quotaUsage, scopesSelect, tracks, usageOf } from './decide.js';
export type { QuotaUsage } from './decide.js';

/**
 * Registration: the resource quota controller and the ResourceQuota admission hook as one core
 * `Plugin`.
 *
 * @module
 */
import { ResourceQuotas } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { resourceQuotaAdmission } from './admission.js';
import { resourceQuotaController, type ResourceQuotaOptions } from './controller.js';

/** The name of the plugin {@link resourceQuotaPlugin} returns. */
export const RESOURCE_QUOTA_PLUGIN_NAME = 'kubeloop.dev/resourcequota';

/** Options of {@link resourceQuotaPlugin}. */
export interface ResourceQuotaPluginOptions extends ResourceQuotaOptions {
  /**
   * Install the ResourceQuota admission hook ({@link resourceQuotaAdmission}) on the host's API
   * server (default true; upstream's kube-apiserver enables the `ResourceQuota` admission
   * plugin by default).
   */
  readonly admission?: boolean | undefined;
}

/**
 * A core plugin that adds resource quota: the resource quota controller (upstream
 * `pkg/controller/resourcequota`), which keeps each quota's `status.hard` and `status.used`,
 * and the ResourceQuota admission hook (upstream `plugin/pkg/admission/resourcequota`), which
 * the host installs on its API server. `SimCluster` runs it in its controller manager by
 * default. The two halves need each other: without the controller, quotas never get a
 * `status.hard` and the hook constrains nothing, as upstream.
 *
 * Errors: the host fails with `unsupported` when it has no admission target, unless
 * `admission: false`.
 *
 * @example
 * ```ts
 * new PluginHost({ registry, admission: server }).use(resourceQuotaPlugin()).attach(manager);
 * ```
 */
export function resourceQuotaPlugin(options: ResourceQuotaPluginOptions = {}): Plugin {
  return {
    name: RESOURCE_QUOTA_PLUGIN_NAME,
    register(api) {
      if (options.admission !== false) api.addAdmissionHook(resourceQuotaAdmission());
      api.addController((manager) => resourceQuotaController(manager, options));
      api.reconciles(ResourceQuotas);
    },
  };
}

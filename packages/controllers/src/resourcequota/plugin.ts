/**
 * Registration of the resource quota controller as a core `Plugin`.
 *
 * @module
 */
import type { Plugin } from '@kubeloop/core';
import { resourceQuotaController, type ResourceQuotaOptions } from './controller.js';

/** The name of the plugin {@link resourceQuotaPlugin} returns. */
export const RESOURCE_QUOTA_PLUGIN_NAME = 'kubeloop.dev/resourcequota';

/**
 * A core plugin that runs the resource quota controller (upstream `resourcequota`); `SimCluster`
 * runs it in its controller manager by default. The admission half belongs to the API server
 * (`resourceQuotaAdmission`, which `SimCluster` installs on its server): without this
 * controller, quotas never get a `status.hard` and constrain nothing, as upstream.
 *
 * @example
 * ```ts
 * new PluginHost({ registry, admission: server }).use(resourceQuotaPlugin()).attach(manager);
 * ```
 */
export function resourceQuotaPlugin(options: ResourceQuotaOptions = {}): Plugin {
  return {
    name: RESOURCE_QUOTA_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => resourceQuotaController(manager, options));
    },
  };
}

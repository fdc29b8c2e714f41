/**
 * Registration of the pod garbage collector as a core `Plugin`.
 *
 * @module
 */
import type { Plugin } from '@kubeloop/core';
import { PodGarbageCollector, type PodGcOptions } from './controller.js';

/** The name of the plugin {@link podGcPlugin} returns. */
export const POD_GC_PLUGIN_NAME = 'kubeloop.dev/podgc';

/**
 * A core plugin that runs the pod garbage collector (upstream `podgc`). `SimCluster` runs it in
 * its controller manager by default.
 *
 * @example
 * ```ts
 * new PluginHost({ registry, admission: server }).use(podGcPlugin({ terminatedPodGcThreshold: 100 })).attach(manager);
 * ```
 */
export function podGcPlugin(options: PodGcOptions = {}): Plugin {
  return {
    name: POD_GC_PLUGIN_NAME,
    register(api) {
      api.addRunnable((manager) => new PodGarbageCollector(manager, options));
    },
  };
}

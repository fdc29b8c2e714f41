/**
 * Registration: the DaemonSet controller and its template-generation admission hook as one
 * core `Plugin`.
 *
 * @module
 */
import { DaemonSets } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { templateGenerationHook } from './admission.js';
import { daemonSetController, type DaemonSetControllerOptions } from './controller.js';
import { DAEMONSET_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link daemonSetPlugin} returns. */
export const DAEMONSET_PLUGIN_NAME = 'kubeloop.dev/daemonset';

/** Options of {@link daemonSetPlugin}. */
export interface DaemonSetPluginOptions extends DaemonSetControllerOptions {
  /**
   * Install the admission hook that keeps `deprecated.daemonset.template.generation` (default
   * true; upstream's API server does this itself).
   */
  readonly admission?: boolean | undefined;
}

/**
 * A core plugin that adds the DaemonSet controller (upstream `pkg/controller/daemon`), and its
 * invariants after settling: one daemon pod per eligible node (`oneDaemonPodPerEligibleNode`)
 * and a truthful status (`daemonSetStatusMatches`).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 3, controllerManager: { plugins: [daemonSetPlugin()] } });
 * await cluster.apply(daemonSetYaml);
 * await cluster.settle(); // one pod per node
 * ```
 */
export function daemonSetPlugin(options: DaemonSetPluginOptions = {}): Plugin {
  return {
    name: DAEMONSET_PLUGIN_NAME,
    register(api) {
      if (options.admission !== false) api.addAdmissionHook(templateGenerationHook());
      api.addController((manager) => daemonSetController(manager, options));
      api.reconciles(DaemonSets);
      for (const i of DAEMONSET_INVARIANTS) api.addInvariant(i);
    },
  };
}

/**
 * Registration: the Endpoints and EndpointSlice controllers as one core `Plugin`.
 *
 * @module
 */
import { Services } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { endpointSliceController, endpointsController, type EndpointSliceOptions, type EndpointsOptions } from './controller.js';
import { ENDPOINTS_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link endpointsPlugin} returns. */
export const ENDPOINTS_PLUGIN_NAME = 'kubeloop.dev/endpoints';

/** Options of {@link endpointsPlugin}. */
export interface EndpointsPluginOptions {
  /** Options of the Endpoints controller (`false` leaves it out). */
  readonly endpoints?: EndpointsOptions | false | undefined;
  /** Options of the EndpointSlice controller (`false` leaves it out). */
  readonly endpointSlices?: EndpointSliceOptions | false | undefined;
}

/**
 * A core plugin that adds the Endpoints controller (`endpoint`) and the EndpointSlice
 * controller (`endpointslice`), as kube-controller-manager runs them. With both, it states
 * their invariant: after settling, each Service's Endpoints and EndpointSlices list exactly its
 * selected pods (`endpointsMatchPods`).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 3, controllerManager: { plugins: [endpointsPlugin()] } });
 * await cluster.apply(serviceAndPods);
 * await cluster.settle(); // Endpoints `web` lists the ready pods' IPs; slices `web-xxxxx` too
 * ```
 */
export function endpointsPlugin(options: EndpointsPluginOptions = {}): Plugin {
  return {
    name: ENDPOINTS_PLUGIN_NAME,
    register(api) {
      const { endpoints, endpointSlices } = options;
      if (endpoints !== false) api.addController((manager) => endpointsController(manager, endpoints ?? {}));
      if (endpointSlices !== false) api.addController((manager) => endpointSliceController(manager, endpointSlices ?? {}));
      api.reconciles(Services);
      // The invariant judges Endpoints and EndpointSlices together.
      if (endpoints !== false && endpointSlices !== false) for (const i of ENDPOINTS_INVARIANTS) api.addInvariant(i);
    },
  };
}

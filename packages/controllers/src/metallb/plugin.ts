/**
 * Registration: the MetalLB controller, its kinds and its invariants as a core `Plugin`.
 *
 * @module
 */
import { Services } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { METALLB_NAMESPACE, metallbController } from './controller.js';
import type { MetalLBControllerOptions } from './controller.js';
import { loadBalancerAddressesInPoolsInvariant, loadBalancerAddressesUniqueInvariant } from './invariants.js';
import { IPAddressPools, L2Advertisements } from './kinds.js';

/** The name of the plugin {@link metallbPlugin} returns. */
export const METALLB_PLUGIN_NAME = 'kubeloop.dev/metallb';

/**
 * A core plugin that installs MetalLB as a bare-metal cluster runs it: the kinds
 * `metallb.io/v1beta1` IPAddressPool and L2Advertisement, the controller (`metallb-controller`)
 * that gives LoadBalancer Services their addresses, and the invariants
 * `loadBalancerAddressesUnique` (safety) and `loadBalancerAddressesInPools` (liveness).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [metallbPlugin()] } });
 * await cluster.apply(namespaceAndPool); // IPAddressPool `first-pool` in metallb-system: 192.168.1.240-192.168.1.250
 * await cluster.apply(loadBalancerService);
 * await cluster.settle(); // status.loadBalancer.ingress: [{ ip: 192.168.1.240 }], event IPAllocated
 * ```
 */
export function metallbPlugin(options: MetalLBControllerOptions = {}): Plugin {
  return {
    name: METALLB_PLUGIN_NAME,
    register(api) {
      api.addResource(IPAddressPools);
      api.addResource(L2Advertisements);
      api.addController((manager) => metallbController(manager, options));
      api.reconciles(Services);
      // The controller reads the pools; L2Advertisements are the speakers' (announcing, not modelled).
      api.reconciles(IPAddressPools);
      api.reconciles(L2Advertisements);
      api.addInvariant(loadBalancerAddressesUniqueInvariant);
      api.addInvariant(loadBalancerAddressesInPoolsInvariant(options.namespace ?? METALLB_NAMESPACE));
    },
  };
}

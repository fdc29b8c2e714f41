/**
 * Registration: the fake cloud's service controller as a core `Plugin`.
 *
 * @module
 */
import { Services } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { fakeCloudServiceController } from './controller.js';
import { DEFAULT_FAKE_CLOUD_RANGE } from './decide.js';
import type { FakeCloudOptions } from './decide.js';
import { cloudLoadBalancerInvariants } from './invariants.js';

/** The name of the plugin {@link fakeCloudLoadBalancerPlugin} returns. */
export const FAKE_CLOUD_LOAD_BALANCER_PLUGIN_NAME = 'kubeloop.dev/fake-cloud-load-balancer';

/**
 * A core plugin that makes the cluster behave like a cloud's: every LoadBalancer Service without
 * `loadBalancerClass` gets an address from the fake cloud (deterministically, the lowest free
 * one of its range, 203.0.113.0/24 by default), with the cloud-controller-manager's events. It
 * states `cloudLoadBalancerAddressesUnique` (safety: stricter than MetalLB's
 * `loadBalancerAddressesUnique`, as the cloud shares no address), `cloudLoadBalancersProvisioned`, `cloudLoadBalancersReleased` and
 * `cloudLoadBalancerAddressesInRange` (liveness) over its range. Run it instead of MetalLB (a SimCluster's
 * `cloudProvider` option does).
 */
export function fakeCloudLoadBalancerPlugin(options: FakeCloudOptions = {}): Plugin {
  return {
    name: FAKE_CLOUD_LOAD_BALANCER_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => fakeCloudServiceController(manager, options));
      api.reconciles(Services);
      for (const i of cloudLoadBalancerInvariants(options.addressRange ?? DEFAULT_FAKE_CLOUD_RANGE)) api.addInvariant(i);
    },
  };
}

/**
 * Registration: the fake cloud's service controller as a core `Plugin`.
 *
 * @module
 */
import { Services } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { loadBalancerAddressesUniqueInvariant } from '../metallb/invariants.js';
import { fakeCloudServiceController } from './controller.js';
import type { FakeCloudOptions } from './decide.js';

/** The name of the plugin {@link fakeCloudLoadBalancerPlugin} returns. */
export const FAKE_CLOUD_LOAD_BALANCER_PLUGIN_NAME = 'kubeloop.dev/fake-cloud-load-balancer';

/**
 * A core plugin that makes the cluster behave like a cloud's: every LoadBalancer Service without
 * `loadBalancerClass` gets an address from the fake cloud (deterministically, the lowest free
 * one of its range, 203.0.113.0/24 by default), with the cloud-controller-manager's events. It
 * states `loadBalancerAddressesUnique`. Run it instead of MetalLB (a SimCluster's
 * `cloudProvider` option does).
 */
export function fakeCloudLoadBalancerPlugin(options: FakeCloudOptions = {}): Plugin {
  return {
    name: FAKE_CLOUD_LOAD_BALANCER_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => fakeCloudServiceController(manager, options));
      api.reconciles(Services);
      api.addInvariant(loadBalancerAddressesUniqueInvariant);
    },
  };
}

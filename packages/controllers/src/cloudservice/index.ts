/**
 * A fake cloud provider's service controller: LoadBalancer Services get addresses as on a
 * cloud (cloud-controller-manager's `service` controller over a deterministic fake cloud).
 *
 * @module
 */
export { fakeCloudLoadBalancerPlugin, FAKE_CLOUD_LOAD_BALANCER_PLUGIN_NAME } from './plugin.js';
export { CLOUD_SERVICE_CONTROLLER_COMPONENT, CLOUD_SERVICE_CONTROLLER_NAME } from './controller.js';
export { DEFAULT_FAKE_CLOUD_RANGE } from './decide.js';
export type { FakeCloudOptions } from './decide.js';
export {
  cloudLoadBalancerAddressesInRange,
  cloudLoadBalancerAddressesUnique,
  cloudLoadBalancerInvariants,
  cloudLoadBalancersProvisioned,
  cloudLoadBalancersReleased,
} from './invariants.js';

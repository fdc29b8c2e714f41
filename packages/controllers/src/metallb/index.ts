/**
 * MetalLB on a simulated bare-metal cluster: the controller that gives `type: LoadBalancer`
 * Services an external address from address pools — MetalLB's `controller` and its allocator.
 * Pools come from its own resources (`metallb.io/v1beta1` IPAddressPool, L2Advertisement) and
 * from the legacy `config` ConfigMap in `metallb-system`.
 *
 * What a user sees, with a pool `192.168.1.240-192.168.1.241`:
 *
 * ```
 * svc a (LoadBalancer)    EXTERNAL-IP 192.168.1.240   event IPAllocated  Assigned IP ["192.168.1.240"]
 * svc b (LoadBalancer)    EXTERNAL-IP 192.168.1.241
 * svc c (LoadBalancer)    EXTERNAL-IP <pending>       event AllocationFailed  Failed to allocate IP for "default/c": no available IPs
 * delete svc a            c gets 192.168.1.240
 * ```
 *
 * @module
 */

// Registration
export { metallbPlugin, METALLB_PLUGIN_NAME } from './plugin.js';

// The controller
export { METALLB_CONTROLLER_COMPONENT, METALLB_CONTROLLER_NAME, METALLB_NAMESPACE } from './controller.js';
export type { MetalLBControllerOptions } from './controller.js';

// Kinds
export { IPAddressPoolSchema, IPAddressPools, L2AdvertisementSchema, L2Advertisements, METALLB_API_VERSION } from './kinds.js';
export type { IPAddressPool, L2Advertisement } from './kinds.js';

// Annotations
export {
  ADDRESS_POOL_ANNOTATION,
  ALLOW_SHARED_IP_ANNOTATION,
  DEPRECATED_ADDRESS_POOL_ANNOTATION,
  DEPRECATED_ALLOW_SHARED_IP_ANNOTATION,
  DEPRECATED_LOAD_BALANCER_IPS_ANNOTATION,
  LEGACY_CONFIG_MAP_NAME,
  LOAD_BALANCER_IPS_ANNOTATION,
} from './decide.js';

// Invariants
export {
  loadBalancerAddressesInPools,
  loadBalancerAddressesInPoolsInvariant,
  loadBalancerAddressesUnique,
  loadBalancerAddressesUniqueInvariant,
} from './invariants.js';
export type { LoadBalancerState } from './invariants.js';

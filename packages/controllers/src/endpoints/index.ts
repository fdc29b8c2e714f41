/**
 * Service endpoints: the Endpoints controller and the EndpointSlice controller — upstream's
 * `pkg/controller/endpoint` and `pkg/controller/endpointslice` (with the `k8s.io/endpointslice`
 * reconciler). Both reconcile Services: a Service with a selector gets an Endpoints object of
 * its name and one or more EndpointSlices listing the IPs of the pods it selects, with their
 * readiness.
 *
 * How a pod shows up, with a Service `web` (port 8088 → targetPort 80):
 *
 * ```
 * pod scheduled, no IP yet          not listed
 * pod has an IP, Ready=False        Endpoints: notReadyAddresses; slice: ready=false serving=false
 * pod Ready=True                    Endpoints: addresses :80;     slice: ready=true  serving=true
 * pod deleted (terminating)         Endpoints: gone;              slice: ready=false terminating=true
 * pod removed                       not listed
 * ```
 *
 * @module
 */

// Registration
export { endpointsPlugin, ENDPOINTS_PLUGIN_NAME } from './plugin.js';
export type { EndpointsPluginOptions } from './plugin.js';

// The controller
export {
  ENDPOINTSLICE_CONTROLLER_COMPONENT,
  ENDPOINTSLICE_CONTROLLER_NAME,
  ENDPOINT_CONTROLLER_COMPONENT,
  ENDPOINT_CONTROLLER_NAME,
  EndpointSliceSyncError,
} from './controller.js';
export type { EndpointSliceOptions, EndpointsOptions } from './controller.js';

// Labels, annotations, taints and defaults
export { HEADLESS_SERVICE_LABEL, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, MAX_ENDPOINTS_CAPACITY, OVER_CAPACITY_ANNOTATION } from './decide.js';
export { DEFAULT_MAX_ENDPOINTS_PER_SLICE, ENDPOINTSLICE_CONTROLLER_MANAGED_BY, TOPOLOGY_ZONE_LABEL } from './slices.js';

// Invariants
export { endpointsMatchPods, endpointWritesFollowPods, lastChangeTriggerTime, noEndpointsWithoutService, terminatingEndpointsWithin } from './invariants.js';
export { endpointsMatchPodsInvariant, endpointWritesFollowPodsInvariant, lastChangeTriggerTimeInvariant, noEndpointsWithoutServiceInvariant, terminatingEndpointsWithinInvariant } from './invariants.js';
export type { EndpointsState, EndpointsViolation } from './invariants.js';

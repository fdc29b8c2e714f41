/**
 * @kubeloop/core — the API machinery: object model and schemas, the in-memory API server,
 * the client, informers, the workqueue, the controller runtime, the clock and the plugin API.
 *
 * The surface is grouped the way a controller is built: objects and their schemas; the API
 * server and the client that talks to it; informers that cache what the client watches; the
 * workqueue that feeds reconcilers; the runtime that ties them together; time and randomness.
 *
 * @packageDocumentation
 */

// Objects, metadata and errors
export * from './api/meta.js';
export * from './api/errors.js';
export * from './api/registry.js';
export * from './api/validation.js';

// Quantities and selectors
export { Quantity, QuantityError, MAX_QUANTITY_DIGITS, isQuantity, parseQuantity, tryParseQuantity } from './api/quantity.js';
export type { QuantityErrorCode, QuantityFormat } from './api/quantity.js';
export {
  SelectorError,
  everything,
  matchesLabelSelector,
  newRequirement,
  nothing,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromRequirements,
  selectorFromSet,
  toSelectorString,
  validateLabelSelector,
} from './api/labels.js';
export type { Requirement, Selector, SelectorErrorCode, SelectorOperator } from './api/labels.js';
export { fieldSelectorFromSet, parseFieldSelector, unsupportedFields } from './api/fields.js';
export type { FieldRequirement, FieldSelector } from './api/fields.js';
export { matchesNodeSelectorAndAffinity, matchesRequirement, matchesTerm } from './api/nodeaffinity.js';
export { findUntoleratedTaint, toleratesTaint } from './api/taints.js';
export { podHostPorts, portsConflict } from './api/hostports.js';
export type { HostPort } from './api/hostports.js';
export { podLimits, podRequests } from './api/resources.js';
export type { PodResourcesOptions, ResourceQuantities } from './api/resources.js';
export { DurationError, parseDuration } from './api/duration.js';
export type { DurationErrorCode, ParseDurationOptions } from './api/duration.js';

// Built-in kinds and manifests
export * from './api/kinds/index.js';
export { ManifestError, parseManifests, resolveManifest } from './api/manifest.js';
export type { ManifestErrorCode, RawManifest, ResolvedManifest } from './api/manifest.js';

// The API server and the client
export * from './client/types.js';
export { WRITE_VERBS, faults, latency, withInterceptors } from './client/intercept.js';
export { apply } from './client/apply.js';
export type { ApplyResult } from './client/apply.js';
export type { ClientInterceptor, ClientRequest, ClientVerb } from './client/intercept.js';
export { ApiServer, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './store/server.js';
export type { ApiServerOptions, WarningSink } from './store/server.js';
export { decode, unknownFieldWarnings, validateForCreate } from './store/admission.js';
export type { AdmissionHook, AdmissionOperation, AdmissionRequest, Decoded, StoreReader } from './store/admission.js';
export { applyJsonPatch, applyMergePatch } from './store/patch.js';
export { deepEqual } from './util/objects.js';

// Informers
export * from './informer/index.js';

// The workqueue
export * from './workqueue/index.js';

// The controller runtime
export * from './runtime/index.js';

// Invariants of controllers, for checkers
export * from './invariants/index.js';

// Time and randomness
export * from './clock/clock.js';
export { RealClock } from './clock/real.js';
export { VIRTUAL_EPOCH_MS, VirtualClock, VirtualClockError } from './clock/virtual.js';
export type { RunUntilIdleOptions, VirtualClockErrorCode } from './clock/virtual.js';
export * from './rng/rng.js';
export { seededRng } from './rng/seeded.js';

/**
 * The controller runtime: reconcilers, event handlers and predicates, the controller and its
 * builder, the manager with leader election and graceful shutdown, the event recorder,
 * Prometheus metrics, the plugin API and dependency-injection wiring.
 *
 * @example
 * ```ts
 * const manager = createManager({ client: server, clock, rng, registry: server.registry });
 * controllerFor(manager, ReplicaSets, { predicates: [generationChanged] })
 *   .owns(Pods)
 *   .withConcurrency(5)
 *   .complete(async (request, { signal }) => { ...; return done; });
 * await manager.start();
 * ```
 *
 * @module
 */

// The reconcile contract
export type { ReconcileContext, Reconciler, Request, Result } from './reconciler.js';
export { done, requeueAfter, TerminalError } from './reconciler.js';

// Event handlers and predicates
export type { EnqueueForOwnerOptions, EventHandler, MapFunc, OwnerType } from './handler.js';
export { enqueueForObject, enqueueForOwner, enqueueMapped } from './handler.js';
export type { Predicate } from './predicate.js';
export {
  and,
  annotationsChanged,
  generationChanged,
  isResync,
  labelsChanged,
  not,
  or,
  predicateFuncs,
  resourceVersionChanged,
} from './predicate.js';

// Controllers
export type {
  ControllerDeps,
  ControllerOptions,
  ReconcileErrorHandler,
  ReconcileFunc,
  ReconcileOutcome,
  Runnable,
  WatchOptions as ControllerWatchOptions,
  WatchSource,
} from './controller.js';
export { applyOutcome, Controller, ControllerBuilder, controllerFor, outcomeOf, requestsFrom } from './controller.js';

// The manager
export type { ManagerConfig, ManagerLeaderElection, ManagerOptions, StopReason } from './manager.js';
export { createManager, Manager } from './manager.js';

// Leader election
export type { LeaderCallbacks, LeaderElectionOptions, LeaseDecision } from './leader-election.js';
export { decideLease, LEADER_ELECTION_JITTER, LeaderElector } from './leader-election.js';

// Events
export type { EventRecorderOptions, EventType } from './events.js';
export { EventRecorder } from './events.js';

// Metrics
export type { ControllerMetrics, ReconcileResultLabel } from './metrics.js';
export { RuntimeMetrics } from './metrics.js';

// Plugins
export type {
  AdmissionTarget,
  ControllerFactory,
  ExtensionOf,
  Plugin,
  PluginApi,
  PluginExtensions,
  PluginHostOptions,
  RunnableFactory,
} from './plugin.js';
export { builtinResourcesPlugin, pluginInvariants, PluginHost } from './plugin.js';

// Dependency injection
export type { ContainerOptions } from './container.js';
export { createContainer, TOKENS } from './container.js';

// Errors
export type { RuntimeErrorCode } from './errors.js';
export { RuntimeError } from './errors.js';

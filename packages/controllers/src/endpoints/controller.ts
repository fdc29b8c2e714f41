/**
 * The Endpoints controller and the EndpointSlice controller: thin reconcilers of Services that
 * read the manager's caches, call the pure decisions (`decide.ts`, `slices.ts`) and write.
 *
 * @module
 */
import { EndpointSlices, Endpoints, NO_REQUESTS, Nodes, Pods, Services, controllerFor, done, isApiError, keyString } from '@kubeloop/core';
import type { Controller, EndpointSlice, Manager, Pod, Reconciler, Request, Result, Service } from '@kubeloop/core';
import { ENDPOINTSLICE_MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '@kubeloop/core';
import { endpointSubsets, endpointsWrite, selectsPods, serviceSelectsPod } from './decide.js';
import { DEFAULT_MAX_ENDPOINTS_PER_SLICE, ENDPOINTSLICE_CONTROLLER_MANAGED_BY, reconcileSlices } from './slices.js';
import { TriggerTimeTracker } from './triggertime.js';

/** The Endpoints controller's name (kube-controller-manager's `endpoint`). */
export const ENDPOINT_CONTROLLER_NAME = 'endpoint';
/** The component the Endpoints controller records events as. */
export const ENDPOINT_CONTROLLER_COMPONENT = 'endpoint-controller';
/** The EndpointSlice controller's name (kube-controller-manager's `endpointslice`). */
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice';
/** The component the EndpointSlice controller records events as. */
export const ENDPOINTSLICE_CONTROLLER_COMPONENT = 'endpointslice-controller';

/** Options of the EndpointSlice controller, named after kube-controller-manager's flags. */
export interface EndpointSliceOptions {
  /** `--max-endpoints-per-slice` (default 100, at most 1000). */
  readonly maxEndpointsPerSlice?: number | undefined;
  /** `--concurrent-endpointslice-syncs` (default 5). */
  readonly concurrentSyncs?: number | undefined;
}

/** Options of the Endpoints controller. */
export interface EndpointsOptions {
  /** `--concurrent-endpoint-syncs` (default 5). */
  readonly concurrentSyncs?: number | undefined;
}

/** The Services in the pod's namespace whose selector matches it (upstream `GetPodServiceMemberships`). */
function servicesOf(manager: Manager, pod: Pod): readonly Request[] {
  // Every pod event passes here (twice for an update, and for both controllers): one array,
  // and only when a Service selects the pod.
  let out: Request[] | undefined;
  for (const s of manager.cache(Services).list(pod.metadata.namespace ?? '')) {
    if (serviceSelectsPod(s, pod)) (out ??= []).push({ namespace: s.metadata.namespace ?? '', name: s.metadata.name ?? '' });
  }
  return out ?? NO_REQUESTS;
}

function selectedPods(manager: Manager, service: Service): Pod[] {
  return manager
    .cache(Pods)
    .list(service.metadata.namespace ?? '')
    .filter((p) => serviceSelectsPod(service, p));
}

/**
 * The Endpoints controller's reconciler (upstream `endpoints_controller.go` `syncService`):
 * a Service with a selector gets an Endpoints object of its name listing its pods' addresses
 * (see {@link endpointSubsets}); a deleted Service's Endpoints is deleted by name; Services
 * without a selector (their Endpoints are the user's) and `ExternalName` Services are left
 * alone.
 *
 * Errors: a failed write records a `FailedToCreateEndpoint` / `FailedToUpdateEndpoint` Warning
 * on the Endpoints object and is retried with backoff; a conflict (stale cache) is retried the
 * same way.
 */
export class EndpointsReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #triggerTimes = new TriggerTimeTracker();

  /** A reconciler reading the manager's caches and writing through its client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** Brings the Service's Endpoints in line with its pods. */
  async reconcile(request: Request): Promise<Result> {
    const { client } = this.#manager;
    const key = keyString(request);
    const service = this.#manager.cache(Services).get(request);
    if (service === undefined) {
      this.#triggerTimes.delete(key);
      try {
        await client.delete(Endpoints, request);
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
      }
      return done;
    }
    if (!selectsPods(service)) return done;
    const pods = selectedPods(this.#manager, service);
    const { subsets } = endpointSubsets(service, pods);
    const triggerTime = this.#triggerTimes.compute(key, service, pods);
    const write = endpointsWrite(service, this.#manager.cache(Endpoints).get(request), subsets, triggerTime);
    switch (write.kind) {
      case 'none':
        return done;
      case 'create':
      case 'update': {
        try {
          if (write.kind === 'create') await client.create(Endpoints, write.endpoints);
          else await client.update(Endpoints, write.endpoints);
        } catch (error) {
          // As upstream: the event is on the Endpoints object, with upstream's two messages.
          const recorder = this.#manager.recorder(ENDPOINT_CONTROLLER_COMPONENT);
          if (write.kind === 'create') void recorder.event(write.endpoints, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${key}: ${String(error)}`);
          else void recorder.event(write.endpoints, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${String(error)}`);
          throw error;
        }
        return done;
      }
    }
  }
}

/**
 * Builds the Endpoints controller on a manager: Services are reconciled on their own changes,
 * on changes of the pods they select (before and after the change, so a pod that stops
 * matching is removed), and when their Endpoints is changed or deleted by someone else.
 */
export function endpointsController(manager: Manager, options: EndpointsOptions = {}): Controller {
  return controllerFor(manager, Services)
    .named(ENDPOINT_CONTROLLER_NAME)
    .watches(Pods, (pod) => servicesOf(manager, pod))
    .watches(Endpoints, (ep) => [{ namespace: ep.metadata.namespace ?? '', name: ep.metadata.name ?? '' }])
    .withConcurrency(options.concurrentSyncs ?? 5)
    .complete(new EndpointsReconciler(manager));
}

/**
 * What this controller wrote last, per Service: the resourceVersion of each slice it created
 * or updated, and the slices it deleted (upstream `EndpointSliceTracker`). A cache that does
 * not show them yet is stale: syncing from it could create duplicate slices.
 */
class SliceTracker {
  readonly #written = new Map<string, Map<string, string | undefined>>();

  wrote(service: string, slice: EndpointSlice): void {
    this.#for(service).set(slice.metadata.name ?? '', slice.metadata.resourceVersion);
  }

  deleted(service: string, slice: EndpointSlice): void {
    this.#for(service).set(slice.metadata.name ?? '', undefined);
  }

  forget(service: string): void {
    this.#written.delete(service);
  }

  /** Whether `cached` (the cache's slices of the Service) misses something this controller wrote. */
  stale(service: string, cached: readonly EndpointSlice[]): boolean {
    const written = this.#written.get(service);
    if (written === undefined) return false;
    const byName = new Map(cached.map((s) => [s.metadata.name ?? '', s]));
    for (const [name, rv] of written) {
      const seen = byName.get(name);
      if (rv === undefined) {
        if (seen !== undefined) return true;
      } else if (seen === undefined || Number(seen.metadata.resourceVersion ?? 0) < Number(rv)) {
        return true;
      }
    }
    return false;
  }

  #for(service: string): Map<string, string | undefined> {
    let m = this.#written.get(service);
    if (m === undefined) this.#written.set(service, (m = new Map()));
    return m;
  }
}

/** The error a sync throws to be retried: the slice cache lags this controller's own writes, or pods were skipped. */
export class EndpointSliceSyncError extends Error {
  /** `stale-cache`: the informer has not seen our last writes; `skipped-pods`: pods on unknown nodes. */
  readonly code: 'stale-cache' | 'skipped-pods';

  /** An error with a stable lowercase message. */
  constructor(code: 'stale-cache' | 'skipped-pods', message: string) {
    super(message);
    this.name = 'EndpointSliceSyncError';
    this.code = code;
  }
}

/**
 * The EndpointSlice controller's reconciler (upstream `endpointslice_controller.go`
 * `syncService` and the `k8s.io/endpointslice` reconciler): a Service with a selector gets
 * IPv4 EndpointSlices listing an endpoint per selected pod with an IP — terminating pods
 * included, with `conditions.terminating` — at most `maxEndpointsPerSlice` per slice
 * (see {@link reconcileSlices}).
 *
 * Caveats: as upstream, the slices of a deleted Service are left to the garbage collector
 * (they carry the Service as controller owner). Topology hints and `trafficDistribution` are
 * not modelled; IPv6 and dual-stack are not modelled.
 *
 * Errors: a sync whose slice cache lags the controller's own writes fails (retried with
 * backoff) rather than risk duplicate slices; so does one that skipped pods whose node is not
 * known, after writing the rest.
 */
export class EndpointSliceReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #max: number;
  readonly #triggerTimes = new TriggerTimeTracker();
  readonly #tracker = new SliceTracker();

  /** A reconciler reading the manager's caches and writing through its client. */
  constructor(manager: Manager, options: EndpointSliceOptions = {}) {
    this.#manager = manager;
    this.#max = Math.min(1000, Math.max(1, options.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE));
  }

  /** Brings the Service's EndpointSlices in line with its pods. */
  async reconcile(request: Request): Promise<Result> {
    const { client } = this.#manager;
    const key = keyString(request);
    const service = this.#manager.cache(Services).get(request);
    if (service === undefined) {
      // Upstream leaves the slices to the garbage collector (ownerReferences).
      this.#triggerTimes.delete(key);
      this.#tracker.forget(key);
      return done;
    }
    if (!selectsPods(service)) return done;
    const nodes = this.#manager.cache(Nodes);
    if (!nodes.hasSynced()) throw new EndpointSliceSyncError('stale-cache', 'node cache not synced yet');
    const slices = this.#manager
      .cache(EndpointSlices)
      .list(request.namespace)
      .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === request.name && s.metadata.labels[ENDPOINTSLICE_MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_MANAGED_BY);
    if (this.#tracker.stale(key, slices)) throw new EndpointSliceSyncError('stale-cache', `endpointslice informer cache is out of date for ${key}`);
    const pods = selectedPods(this.#manager, service);
    const triggerTime = this.#triggerTimes.compute(key, service, pods);
    const plan = reconcileSlices({
      service,
      pods,
      existing: slices.filter((s) => s.metadata.deletionTimestamp === undefined),
      node: (name) => nodes.get({ name }),
      maxEndpointsPerSlice: this.#max,
      triggerTime,
    });
    try {
      for (const slice of plan.create) this.#tracker.wrote(key, await client.create(EndpointSlices, slice));
      for (const slice of plan.update) this.#tracker.wrote(key, await client.update(EndpointSlices, slice));
      for (const slice of plan.delete) {
        try {
          await client.delete(EndpointSlices, { namespace: request.namespace, name: slice.metadata.name ?? '' });
        } catch (error) {
          if (!isApiError(error, 'NotFound')) throw error;
        }
        this.#tracker.deleted(key, slice);
      }
    } catch (error) {
      void this.#manager.recorder(ENDPOINTSLICE_CONTROLLER_COMPONENT).event(service, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${String(error)}`);
      throw error;
    }
    if (plan.skippedPods.length > 0) {
      throw new EndpointSliceSyncError('skipped-pods', `skipped pods ${plan.skippedPods.join(', ')} of service ${key}: node not found`);
    }
    return done;
  }
}

/**
 * Builds the EndpointSlice controller on a manager: Services are reconciled on their own
 * changes, on changes of the pods they select, and on changes of the slices this controller
 * manages for them (label `kubernetes.io/service-name`).
 */
export function endpointSliceController(manager: Manager, options: EndpointSliceOptions = {}): Controller {
  // The node cache gives endpoints their zone; create its informer before the manager starts.
  manager.cache(Nodes);
  return controllerFor(manager, Services)
    .named(ENDPOINTSLICE_CONTROLLER_NAME)
    .watches(Pods, (pod) => servicesOf(manager, pod))
    .watches(EndpointSlices, (slice) => {
      const labels = slice.metadata.labels ?? {};
      const service = labels[SERVICE_NAME_LABEL];
      if (service === undefined || labels[ENDPOINTSLICE_MANAGED_BY_LABEL] !== ENDPOINTSLICE_CONTROLLER_MANAGED_BY) return [];
      return [{ namespace: slice.metadata.namespace ?? '', name: service }];
    })
    .withConcurrency(options.concurrentSyncs ?? 5)
    .complete(new EndpointSliceReconciler(manager, options));
}

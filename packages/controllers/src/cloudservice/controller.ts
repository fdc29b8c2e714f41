/**
 * A cloud provider's service controller (cloud-controller-manager's `service` controller, on
 * `k8s.io/cloud-provider` `controllers/service`) over a fake cloud: a LoadBalancer Service
 * without `loadBalancerClass` gets a load balancer whose address goes to
 * `status.loadBalancer.ingress`; a Service that stops being one has it deleted.
 *
 * @module
 */
import { Services, controllerFor, done, isApiError, keyString, objectKey } from '@kubeloop/core';
import type { Controller, EventHandler, Manager, Reconciler, Request, Result, Service } from '@kubeloop/core';
import { OwnWrites } from '../shared/ownwrites.js';
import { DEFAULT_FAKE_CLOUD_RANGE, cloudAddressFor, cloudAddresses, wantsLoadBalancer } from './decide.js';
import type { FakeCloudOptions } from './decide.js';

/** The controller's name (cloud-controller-manager's `service-lb-controller`). */
export const CLOUD_SERVICE_CONTROLLER_NAME = 'service-lb-controller';
/** The component its events are recorded as (upstream's `service-controller`). */
export const CLOUD_SERVICE_CONTROLLER_COMPONENT = 'service-controller';

/**
 * The reconciler: one call is one upstream `syncService` (ensure or delete the load balancer).
 *
 * Events as upstream's: Normal `EnsuringLoadBalancer` / `EnsuredLoadBalancer` when a load
 * balancer is made, Warning `SyncLoadBalancerFailed` when the cloud has no address left,
 * Normal `DeletingLoadBalancer` / `DeletedLoadBalancer` when a Service stops wanting one.
 */
export class CloudServiceReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #range: { readonly first: number; readonly last: number };
  /** Services as this controller last wrote them, until the cache catches up (by resourceVersion). */
  readonly #written = new OwnWrites<Service>();

  /** A reconciler on the manager's caches and client, over the fake cloud's range. */
  constructor(manager: Manager, options: FakeCloudOptions = {}) {
    this.#manager = manager;
    this.#range = cloudAddresses(options.addressRange ?? DEFAULT_FAKE_CLOUD_RANGE);
  }

  /** Syncs one Service's load balancer. */
  async reconcile(request: Request): Promise<Result> {
    const key = keyString(request);
    const cached = this.#manager.cache(Services).get(request);
    if (cached === undefined) {
      this.#written.forget(key);
      return done;
    }
    const svc = this.#written.current(cached);
    const recorder = this.#manager.recorder(CLOUD_SERVICE_CONTROLLER_COMPONENT);
    const held = svc.status.loadBalancer?.ingress ?? [];
    if (!wantsLoadBalancer(svc)) {
      if (held.length === 0 || svc.spec.type === 'LoadBalancer') return done;
      void recorder.event(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
      await this.#write(key, svc, []);
      void recorder.event(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      return done;
    }
    const taken = new Set<string>();
    for (const other of this.#manager.cache(Services).list()) {
      if (keyString(objectKey(other)) === key) continue;
      for (const i of this.#written.current(other).status.loadBalancer?.ingress ?? []) if (i.ip !== undefined) taken.add(i.ip);
    }
    const ip = cloudAddressFor(svc, this.#range, taken);
    if (held.length === 1 && held[0]!.ip === ip) return done;
    if (held.length === 0) void recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    if (ip === undefined) {
      void recorder.event(svc, 'Warning', 'SyncLoadBalancerFailed', 'Error syncing load balancer: failed to ensure load balancer: no address left in the fake cloud');
      if (held.length > 0) await this.#write(key, svc, []);
      return done;
    }
    await this.#write(key, svc, [{ ip, ipMode: 'VIP' as const }]);
    void recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    return done;
  }

  async #write(key: string, svc: Service, ingress: { ip: string; ipMode: 'VIP' }[]): Promise<void> {
    try {
      const written = await this.#manager.client.updateStatus(Services, { ...svc, status: { ...svc.status, loadBalancer: ingress.length === 0 ? {} : { ingress } } });
      this.#written.remember(written);
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
  }

}

/**
 * Builds the fake cloud's service controller on `manager`: Services, and the ones still
 * waiting for an address again when another gives its address back.
 */
export function fakeCloudServiceController(manager: Manager, options: FakeCloudOptions = {}): Controller {
  const released: EventHandler<Service> = {
    map(event) {
      const had = (s: Service): number => (s.status.loadBalancer?.ingress ?? []).length;
      const gaveBack = event.type === 'delete' ? had(event.object) > 0 : event.type === 'update' && had(event.old) > had(event.object);
      if (!gaveBack) return [];
      return manager
        .cache(Services)
        .list()
        .filter((s) => wantsLoadBalancer(s) && had(s) === 0)
        .map((s) => objectKey(s));
    },
  };
  return controllerFor(manager, Services).named(CLOUD_SERVICE_CONTROLLER_NAME).watches(Services, released).complete(new CloudServiceReconciler(manager, options));
}

/**
 * The MetalLB controller (upstream `controller/` with `internal/allocator`): gives each
 * LoadBalancer Service an address from the configured pools and writes it to
 * `status.loadBalancer.ingress`. A thin reconciler: it reads the Service, the pools and the
 * addresses the other Services hold from the caches, calls {@link decideService}, writes the
 * status and records the events.
 *
 * Upstream keeps the allocator's state in memory and rebuilds it from the Services' statuses
 * when it starts; this controller derives it from the Service cache on every sync, plus an
 * overlay of its own writes the cache has not shown yet, so a restarted controller and a
 * lagging cache never hand out an address twice.
 *
 * @module
 */
import { ConfigMaps, Services, controllerFor, done, isApiError, keyString, objectKey } from '@kubeloop/core';
import type { Controller, EventHandler, Manager, Reconciler, Request, Result, Service } from '@kubeloop/core';
import { OwnWrites } from '../shared/ownwrites.js';
import { parseIPv4 } from './addresses.js';
import { LEGACY_CONFIG_MAP_NAME, decideService, holderOf, metallbConfig, servesClass } from './decide.js';
import type { Holder, Holdings } from './decide.js';
import { IPAddressPools } from './kinds.js';

/** The controller's name. */
export const METALLB_CONTROLLER_NAME = 'metallb-controller';
/** The component MetalLB's events are recorded as (its controller's). */
export const METALLB_CONTROLLER_COMPONENT = 'metallb-controller';
/** The namespace MetalLB runs in and reads its configuration from, by default. */
export const METALLB_NAMESPACE = 'metallb-system';

/** Options of the MetalLB controller. */
export interface MetalLBControllerOptions {
  /** The namespace of its IPAddressPools and legacy `config` ConfigMap (default `metallb-system`). */
  readonly namespace?: string | undefined;
  /**
   * MetalLB's `--lb-class` (default ''): with '', it serves Services without
   * `spec.loadBalancerClass`; with a class, only Services of that class.
   */
  readonly loadBalancerClass?: string | undefined;
}

function heldIps(svc: Service): number[] {
  return (svc.status.loadBalancer?.ingress ?? []).map((i) => parseIPv4(i.ip ?? '')).filter((ip): ip is number => ip !== undefined);
}

/**
 * The reconciler: one call is one upstream `convergeBalancer` of a Service plus its status write.
 *
 * Guarantees: level-triggered (the address follows from the Service, the pools and the other
 * Services' statuses); writes only `status.loadBalancer` of Services it serves (see
 * `servesClass`); never writes an address another holder cannot share (its own earlier writes
 * count even before the cache shows them).
 *
 * Errors: a failed status write is thrown (retried with back-off); NotFound ends the sync.
 */
export class MetalLBReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #namespace: string;
  readonly #class: string;
  /** Services as this controller last wrote them, until the cache catches up (by resourceVersion). */
  readonly #written = new OwnWrites<Service>();

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager, options: MetalLBControllerOptions = {}) {
    this.#manager = manager;
    this.#namespace = options.namespace ?? METALLB_NAMESPACE;
    this.#class = options.loadBalancerClass ?? '';
  }

  /** Converges one Service (see the module documentation). */
  async reconcile(request: Request): Promise<Result> {
    const key = keyString(request);
    const cached = this.#manager.cache(Services).get(request);
    if (cached === undefined) {
      this.#written.forget(key);
      return done;
    }
    const svc = this.#written.current(cached);
    // Most Services are not load balancers and hold nothing: nothing to decide, nothing to read.
    if (svc.spec.type !== 'LoadBalancer' && heldIps(svc).length === 0) return done;
    const pools = this.#manager.cache(IPAddressPools).list(this.#namespace);
    const legacy = this.#manager.cache(ConfigMaps).get({ namespace: this.#namespace, name: LEGACY_CONFIG_MAP_NAME });
    const config = metallbConfig(pools, legacy);
    const decision = decideService(svc, config.pools, this.#holdings(key), this.#class);
    if (decision.kind === 'ignore') return done;
    const recorder = this.#manager.recorder(METALLB_CONTROLLER_COMPONENT);
    for (const e of decision.events) void recorder.event(svc, e.type, e.reason, e.message);
    const ingress = decision.kind === 'assign' ? [{ ip: decision.ip }] : [];
    const now = svc.status.loadBalancer?.ingress ?? [];
    if (now.length === ingress.length && now.every((n, i) => n.ip === ingress[i]?.ip && n.hostname === undefined)) return done;
    if (decision.kind === 'clear' && now.length === 0) return done;
    try {
      const written = await this.#manager.client.updateStatus(Services, { ...svc, status: { ...svc.status, loadBalancer: ingress.length === 0 ? {} : { ingress } } });
      this.#written.remember(written);
    } catch (error) {
      if (isApiError(error, 'NotFound')) return done;
      throw error;
    }
    return done;
  }


  /** The addresses the Services other than `except` hold, as the allocator counts them. */
  #holdings(except: string): Holdings {
    const out = new Map<number, Holder[]>();
    for (const cached of this.#manager.cache(Services).list()) {
      const svc = this.#written.current(cached);
      const holder = holderOf(svc);
      if (holder.key === except) continue;
      if (svc.spec.type === 'LoadBalancer' && !servesClass(svc, this.#class)) continue;
      for (const ip of heldIps(svc)) out.set(ip, [...(out.get(ip) ?? []), holder]);
    }
    return out;
  }
}

/** Every LoadBalancer Service this controller serves that holds no address yet. */
function pendingServices(manager: Manager, controllerClass: string): Request[] {
  return manager
    .cache(Services)
    .list()
    .filter((s) => s.spec.type === 'LoadBalancer' && servesClass(s, controllerClass) && heldIps(s).length === 0)
    .map((s) => objectKey(s));
}

/**
 * Builds the MetalLB controller on `manager`: Services, synced again — the pending ones — when
 * another Service gives its address back (deleted, no longer a LoadBalancer, or its status
 * cleared), and all of them when the pools or the legacy ConfigMap change. One worker, as
 * upstream's single allocator.
 */
export function metallbController(manager: Manager, options: MetalLBControllerOptions = {}): Controller {
  const namespace = options.namespace ?? METALLB_NAMESPACE;
  const controllerClass = options.loadBalancerClass ?? '';
  const allLoadBalancers = (): Request[] =>
    manager
      .cache(Services)
      .list()
      .filter((s) => s.spec.type === 'LoadBalancer')
      .map((s) => objectKey(s));
  const released: EventHandler<Service> = {
    map(event) {
      const gaveBack = event.type === 'delete' ? heldIps(event.object).length > 0 : event.type === 'update' && heldIps(event.old).length > heldIps(event.object).length;
      return gaveBack ? pendingServices(manager, controllerClass) : [];
    },
  };
  return controllerFor(manager, Services)
    .named(METALLB_CONTROLLER_NAME)
    .watches(Services, released)
    .watches(IPAddressPools, (p) => ((p.metadata.namespace ?? '') === namespace ? allLoadBalancers() : []))
    .watches(ConfigMaps, (cm) => ((cm.metadata.namespace ?? '') === namespace && cm.metadata.name === LEGACY_CONFIG_MAP_NAME ? allLoadBalancers() : []))
    .complete(new MetalLBReconciler(manager, options));
}

/**
 * ingress-nginx's data plane as the traffic simulation asks it: where a request that reached a
 * controller pod goes, as weighted choices (the canary weight is a probability the traffic model
 * draws, so the decision itself stays pure), from the routing table of the objects the
 * controller's caches hold; and which address an Ingress host has (its `status.loadBalancer`),
 * for outside clients that name the host as DNS would resolve it.
 *
 * @module
 */
import { IngressClasses, Ingresses, Secrets, Services } from '@kubeloop/core';
import type { Ingress, KubeObject, Manager } from '@kubeloop/core';
import type { IngressClassConfig } from './class.js';
import { servesIngress } from './class.js';
import { buildIngressTable, matchLocation, routeIngressRequest, serverFor } from './routing.js';
import type { IngressRequest, IngressRoute, IngressTable } from './routing.js';

/** The image repository of ingress-nginx's controller pods (as the seeds install it). */
export const INGRESS_NGINX_IMAGE = 'registry.k8s.io/ingress-nginx/controller';

/** One possible route of a request and its weight (relative to the other routes of the same answer). */
export interface WeightedIngressRoute {
  /** Relative weight (a canary's `canary-weight`, the main backend the rest of `canary-weight-total`). */
  readonly weight: number;
  /** Where the request goes with that weight. */
  readonly route: IngressRoute;
}

/**
 * Where `request` goes through `table`, as weighted choices: one route of weight 1 when the
 * decision is certain (no canary, or the canary header or cookie decided), else the canary's
 * backend at `canary-weight` and the main backend at `canary-weight-total − canary-weight`.
 * Pure: the same table and request give the same answer; the same as
 * {@link routeIngressRequest} drawing its weight decision.
 */
export function weightedIngressRoutes(table: IngressTable, request: IngressRequest): readonly WeightedIngressRoute[] {
  let drawn = false;
  // draw 0 picks the canary (routesToCanary: draw + 1 ≤ weight, and it draws only when weight ≥ 1)
  const canary = routeIngressRequest(table, request, {
    int: () => {
      drawn = true;
      return 0;
    },
  });
  if (!drawn) return [{ weight: 1, route: canary }];
  const policy = matchLocation(serverFor(table, request.host), request.path.split('?')[0] || '/').location.canary!;
  const main = routeIngressRequest(table, request, { int: (n: number) => n - 1 });
  const weight = Math.min(policy.weight, policy.weightTotal);
  if (weight >= policy.weightTotal) return [{ weight: 1, route: canary }];
  return [
    { weight, route: canary },
    { weight: policy.weightTotal - weight, route: main },
  ];
}

/**
 * The routing of one ingress-nginx installation, read from a controller manager's caches (the
 * controller's own store): {@link IngressNginxRouter.routes} per request,
 * {@link IngressNginxRouter.addressOf} per host. Until a manager is attached it routes nothing.
 *
 * Guarantees: the table is rebuilt only when an Ingress, IngressClass, Service or Secret in the
 * caches changed (the cached objects are shared and frozen, so identity is compared).
 */
export class IngressNginxRouter {
  readonly #config: IngressClassConfig;
  #manager: Manager | undefined;
  #seen: readonly KubeObject[] = [];
  #table: IngressTable | undefined;

  /** A router for the Ingresses `config` says the controller serves. */
  constructor(config: IngressClassConfig = {}) {
    this.#config = config;
  }

  /** Reads from `manager`'s caches from now on (the plugin attaches the manager its controller runs on). */
  attach(manager: Manager): void {
    this.#manager = manager;
    this.#table = undefined;
    this.#seen = [];
  }

  /** The routing table of the cached objects; undefined before a manager is attached. */
  table(): IngressTable | undefined {
    const m = this.#manager;
    if (m === undefined) return undefined;
    const ingresses = m.cache(Ingresses).list();
    const ingressClasses = m.cache(IngressClasses).list();
    const services = m.cache(Services).list();
    const secrets = m.cache(Secrets).list();
    const all: readonly KubeObject[] = [...ingresses, ...ingressClasses, ...services, ...secrets];
    if (this.#table === undefined || all.length !== this.#seen.length || all.some((o, i) => o !== this.#seen[i])) {
      this.#table = buildIngressTable({ ingresses, ingressClasses, services, secrets }, this.#config);
      this.#seen = all;
    }
    return this.#table;
  }

  /** Where `request` goes ({@link weightedIngressRoutes}); undefined before a manager is attached. */
  routes(request: IngressRequest): readonly WeightedIngressRoute[] | undefined {
    const table = this.table();
    return table === undefined ? undefined : weightedIngressRoutes(table, request);
  }

  /**
   * The address an Ingress of the controller's class publishes for `host` (the first
   * `status.loadBalancer.ingress[].ip` of the oldest such Ingress with a rule for that exact
   * host), as an outside DNS record would point to it; undefined when none.
   */
  addressOf(host: string): string | undefined {
    const m = this.#manager;
    if (m === undefined) return undefined;
    const name = host.toLowerCase();
    const classes = m.cache(IngressClasses).list();
    const byAge = (a: Ingress, b: Ingress): number => ((a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : (a.metadata.creationTimestamp ?? '') > (b.metadata.creationTimestamp ?? '') ? 1 : 0);
    for (const ing of [...m.cache(Ingresses).list()].sort(byAge)) {
      if (!servesIngress(ing, classes, this.#config)) continue;
      if (!(ing.spec.rules ?? []).some((r) => (r.host ?? '').toLowerCase() === name)) continue;
      const ip = (ing.status.loadBalancer?.ingress ?? []).find((i) => i.ip !== undefined && i.ip !== '')?.ip;
      if (ip !== undefined) return ip;
    }
    return undefined;
  }
}

/**
 * The resource quota controller (upstream `pkg/controller/resourcequota`): keeps each
 * ResourceQuota's `status.hard` equal to its `spec.hard` and its `status.used` equal to what
 * the objects of its namespace use.
 *
 * @module
 */
import { ConfigMaps, NO_REQUESTS, PersistentVolumeClaims, Pods, ReplicationControllers, ResourceQuotas, Secrets, Services, controllerFor, done, isApiError, objectKey, requeueAfter } from '@kubeloop/core';
import type { Controller, KubeObject, Manager, Reconciler, Request, ResourceDefinition, ResourceQuota, Result } from '@kubeloop/core';
import { tracks, usageOf } from './decide.js';

/** The controller's name, as kube-controller-manager calls it. */
export const RESOURCE_QUOTA_CONTROLLER_NAME = 'resourcequota';

/** `--resource-quota-sync-period`: how often every quota is recalculated in full (5 min, upstream's default). */
export const RESOURCE_QUOTA_SYNC_PERIOD_MS = 300_000;

/** Options of the resource quota controller, named after kube-controller-manager's flags. */
export interface ResourceQuotaOptions {
  /** `--concurrent-resource-quota-syncs` (default 5). */
  readonly concurrentSyncs?: number | undefined;
  /** `--resource-quota-sync-period` in ms (default {@link RESOURCE_QUOTA_SYNC_PERIOD_MS}). */
  readonly syncPeriodMs?: number | undefined;
}

/**
 * The kinds the controller watches: a change to one of these recalculates the quotas of its
 * namespace at once (upstream's replenishment). Object counts of other kinds (`count/...`) are
 * read from the API server and caught up by the periodic full sync.
 */
const WATCHED: readonly ResourceDefinition[] = [Pods, Services, ConfigMaps, Secrets, PersistentVolumeClaims, ReplicationControllers, ResourceQuotas];

/** Reconciles one ResourceQuota's status. */
export class ResourceQuotaReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #syncPeriodMs: number;

  /** A reconciler reading `manager`'s caches (and its API server for unwatched kinds). */
  constructor(manager: Manager, syncPeriodMs = RESOURCE_QUOTA_SYNC_PERIOD_MS) {
    this.#manager = manager;
    this.#syncPeriodMs = syncPeriodMs;
  }

  /** Recalculates the quota's usage and writes its status when it changed; again after the sync period. */
  async reconcile(request: Request): Promise<Result> {
    const quota = this.#manager.cache(ResourceQuotas).get(request);
    if (quota === undefined) return done;
    const namespace = quota.metadata.namespace ?? '';
    const hard = quota.spec.hard ?? {};
    const names = Object.keys(hard);
    const used: Record<string, string> = {};
    // Usage the controller cannot compute (a count of a kind nobody serves) is kept as it was.
    for (const [n, q] of Object.entries(quota.status.used ?? {})) if (hard[n] !== undefined) used[n] = q;
    for (const resource of this.#resourcesFor(names)) {
      const tracked = names.filter((n) => tracks(resource, n));
      const objects = await this.#list(resource, namespace);
      for (const [n, q] of usageOf(quota, resource, objects, tracked, this.#manager.clock.now())) used[n] = q.toString();
    }
    const status = { hard: { ...hard }, used };
    if (!sameList(quota.status.hard, status.hard) || !sameList(quota.status.used, status.used)) {
      try {
        await this.#manager.client.updateStatus(ResourceQuotas, { ...quota, status } as ResourceQuota);
      } catch (error) {
        if (isApiError(error, 'NotFound')) return done;
        throw error;
      }
    }
    return requeueAfter(this.#syncPeriodMs);
  }

  /** The served kinds whose objects use one of `names`. */
  #resourcesFor(names: readonly string[]): ResourceDefinition[] {
    const out = WATCHED.filter((r) => names.some((n) => tracks(r, n)));
    for (const n of names) {
      if (!n.startsWith('count/')) continue;
      const resource = this.#manager.registry.forResource(n.slice('count/'.length));
      if (resource !== undefined && resource.namespaced && !out.includes(resource)) out.push(resource);
    }
    return out;
  }

  async #list(resource: ResourceDefinition, namespace: string): Promise<readonly KubeObject[]> {
    if (WATCHED.includes(resource)) return this.#manager.cache(resource).list().filter((o) => o.metadata.namespace === namespace);
    return (await this.#manager.client.list(resource, { namespace })).items;
  }
}

function sameList(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(b);
  if (Object.keys(a ?? {}).length !== keys.length) return false;
  return keys.every((k) => a?.[k] === b[k]);
}

/**
 * The resource quota controller on `manager`: a quota is recalculated when it is created or
 * changed, when an object of a watched kind in its namespace changes, and every sync period.
 */
export function resourceQuotaController(manager: Manager, options: ResourceQuotaOptions = {}): Controller {
  // Every event of every watched kind passes here: the quotas of the object's namespace only
  // (a cluster-scoped object has none), through that namespace's list, not all of them.
  const quotasOf = (o: KubeObject): readonly Request[] => {
    const namespace = o.metadata.namespace;
    if (namespace === undefined || namespace === '') return NO_REQUESTS;
    const quotas = manager.cache(ResourceQuotas).list(namespace);
    return quotas.length === 0 ? NO_REQUESTS : quotas.map((q) => objectKey(q));
  };
  let builder = controllerFor(manager, ResourceQuotas).named(RESOURCE_QUOTA_CONTROLLER_NAME);
  for (const resource of WATCHED) if (resource !== ResourceQuotas) builder = builder.watches(resource, quotasOf);
  return builder.withConcurrency(options.concurrentSyncs ?? 5).complete(new ResourceQuotaReconciler(manager, options.syncPeriodMs));
}

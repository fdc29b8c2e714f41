/**
 * The cluster role aggregation controller (upstream `pkg/controller/clusterroleaggregation`):
 * keeps the rules of every ClusterRole with an `aggregationRule` equal to the union of the
 * rules of the ClusterRoles its selectors match (how `admin`, `edit` and `view` pick up the
 * rules of `system:aggregate-to-*` and of users' roles labelled to join them).
 *
 * @module
 */
import { ClusterRoles, controllerFor, done, isApiError, objectKey } from '@kubeloop/core';
import type { ClusterRole, Controller, KubeObject, Manager, Reconciler, Request, Result } from '@kubeloop/core';
import { aggregatedRules, rulesUpToDate } from './decide.js';

/** The controller's name (kube-controller-manager's `clusterrole-aggregation`). */
export const CLUSTER_ROLE_AGGREGATION_CONTROLLER_NAME = 'clusterrole-aggregation';

/**
 * The reconciler: one call is one upstream `syncClusterRole`.
 *
 * Guarantees: writes a ClusterRole only when its aggregated rules differ from the ones it holds,
 * and only its `rules`, at the revision the cache saw (a conflict is retried with back-off).
 */
export class ClusterRoleAggregationReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on `manager`'s ClusterRole cache and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** Aggregates one ClusterRole (see the module documentation). */
  async reconcile(request: Request): Promise<Result> {
    const cache = this.#manager.cache(ClusterRoles);
    const role = cache.get(request);
    if (role === undefined) return done;
    const rules = aggregatedRules(role, cache.list());
    if (rules === undefined || rulesUpToDate(role, rules)) return done;
    try {
      await this.#manager.client.update(ClusterRoles, { ...role, rules });
    } catch (error) {
      if (isApiError(error, 'NotFound')) return done;
      throw error;
    }
    return done;
  }
}

/**
 * Builds the controller on `manager`: any ClusterRole's change enqueues every aggregated
 * ClusterRole (a role that gains, changes or loses a label may join or leave any of them).
 */
export function clusterRoleAggregationController(manager: Manager): Controller {
  const aggregated = (_o: KubeObject): Request[] =>
    manager
      .cache(ClusterRoles)
      .list()
      .filter((r: ClusterRole) => r.aggregationRule !== undefined)
      .map(objectKey);
  return controllerFor(manager, ClusterRoles).named(CLUSTER_ROLE_AGGREGATION_CONTROLLER_NAME).watches(ClusterRoles, aggregated).complete(new ClusterRoleAggregationReconciler(manager));
}

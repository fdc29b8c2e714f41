/**
 * What the API server does for pods beyond the generic verbs (upstream's
 * `pkg/registry/core/pod/storage`): graceful deletion, the `binding` subresource the scheduler
 * writes, and the `eviction` subresource, which respects PodDisruptionBudgets.
 *
 * @module
 */
import { ApiError, conflict, notFound } from '../../api/errors.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import type { Condition, KubeObject, LabelSelector, ObjectKey } from '../../api/meta.js';
import { formatTime } from '../../clock/clock.js';
import type { BindingTarget, DeleteOptions } from '../../client/types.js';
import { write, type RegistryStore } from './store.js';

/** The parts of a Pod the store itself reads (binding, eviction, graceful deletion). */
export interface PodLike extends KubeObject {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
  status?: { phase?: string; conditions?: Condition[] };
}

/** The parts of a PodDisruptionBudget that eviction reads and writes. */
interface PdbLike extends KubeObject {
  spec?: { selector?: LabelSelector };
  status?: { disruptionsAllowed?: number; desiredHealthy?: number; currentHealthy?: number; disruptedPods?: Record<string, string> };
}

/**
 * Upstream's pod deletion grace period: the request's, else the pod's
 * `terminationGracePeriodSeconds` (default 30); 0 for pods that never ran on a node or have
 * finished, which are removed at once.
 */
export function podGracePeriod(pod: PodLike, requested: number | undefined): number {
  if (!pod.spec?.nodeName) return 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/**
 * The `binding` subresource: sets `spec.nodeName` and the `PodScheduled` condition. 409 when
 * the pod is being deleted or already bound, as upstream's `BindingREST`.
 */
export function bindPod(store: RegistryStore, key: ObjectKey, target: BindingTarget): Promise<void> {
  try {
    const pods = store.builtin('pods');
    const k = store.key(pods, key);
    const bound = store.guaranteedUpdate(pods, k, (current) => {
      const pod = current as PodLike;
      if (pod.metadata.deletionTimestamp) {
        throw conflict('pods', '', k.name, `pod ${k.name} is being deleted, cannot be assigned to a host`);
      }
      if (pod.spec?.nodeName) {
        throw conflict('pods', '', k.name, `pod ${k.name} is already assigned to node "${pod.spec.nodeName}"`);
      }
      const now = formatTime(store.clock.now());
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      const next: PodLike = {
        ...pod,
        spec: { ...pod.spec, nodeName: target.name },
        status: {
          ...pod.status,
          conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: now }],
        },
      };
      store.admission.validate(pods, 'CREATE', 'binding', next, pod, false);
      return write(next, pod, false);
    });
    // The storage's own promise (settled at once in memory): the bound pod is not part of the
    // answer, which callers see as `void`.
    return bound as Promise<unknown> as Promise<void>;
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * The `eviction` subresource: deletes the pod unless that would violate its
 * PodDisruptionBudget (429 TooManyRequests), and charges the budget
 * (`status.disruptionsAllowed - 1`, the pod in `status.disruptedPods`) as upstream's
 * `EvictionREST`. Pods that are terminating, finished or pending ignore budgets; a pod matched
 * by two budgets cannot be evicted (500, as upstream).
 *
 * Caveat: budgets are read from the storage's cache and charged with a write conditional on the
 * budget's resourceVersion, so an eviction racing a change of its budget fails with 409 rather
 * than overdrawing it.
 */
export async function evictPod(store: RegistryStore, key: ObjectKey, options: DeleteOptions): Promise<void> {
  const pods = store.builtin('pods');
  const k = store.key(pods, key);
  const pod = (await store.current(k)) as PodLike | undefined;
  if (!pod) throw notFound('pods', '', k.name);
  const phase = pod.status?.phase;
  const ignoresBudget = pod.metadata.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending';
  const pdbs = store.registry.forResource('poddisruptionbudgets.policy');
  if (!ignoresBudget && pdbs) {
    const budgets = (store.storage.cache.list({ resource: pdbs.resource, namespace: k.namespace }) as PdbLike[]).filter((b) =>
      selectorFromLabelSelector(b.spec?.selector).matches(pod.metadata.labels),
    );
    if (budgets.length > 1) {
      throw new ApiError('InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    const budget = budgets[0];
    if (budget) {
      const allowed = budget.status?.disruptionsAllowed ?? 0;
      if (allowed <= 0) {
        throw new ApiError('TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [
            {
              reason: 'DisruptionBudget',
              field: '',
              message: `The disruption budget ${budget.metadata.name} needs ${budget.status?.desiredHealthy ?? 0} healthy pods and has ${budget.status?.currentHealthy ?? 0} currently`,
            },
          ],
        });
      }
      if (!options.dryRun) {
        const next = {
          ...budget,
          status: {
            ...budget.status,
            disruptionsAllowed: allowed - 1,
            disruptedPods: { ...budget.status?.disruptedPods, [k.name]: formatTime(store.clock.now()) },
          },
        };
        await store.update(pdbs, next as KubeObject, {}, 'status');
      }
    }
  }
  await store.delete(pods, k, options);
}

/**
 * What the API server does for pods beyond the generic verbs (upstream's
 * `pkg/registry/core/pod/storage`): graceful deletion, the `binding` subresource the scheduler
 * writes, and the `eviction` subresource, which respects PodDisruptionBudgets.
 *
 * @module
 */
import { ApiError, conflict, forbidden, isApiError, notFound } from '../../api/errors.js';
import { budgetsForPod, disruptionAllowedConditions, setStatusCondition } from '../../api/disruption.js';
import type { Condition, KubeObject, LabelSelector, ObjectKey } from '../../api/meta.js';
import { formatTime } from '../../clock/clock.js';
import type { BindOptions, BindingTarget, DeleteOptions } from '../../client/types.js';
import { checkPreconditions, write, type RegistryStore } from './store.js';

/** The parts of a Pod the store itself reads (binding, eviction, graceful deletion). */
export interface PodLike extends KubeObject {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
  status?: { phase?: string; conditions?: Condition[] };
}

/** The parts of a PodDisruptionBudget that eviction reads and writes. */
interface PdbLike extends KubeObject {
  spec?: { selector?: LabelSelector; unhealthyPodEvictionPolicy?: string };
  status?: {
    disruptionsAllowed?: number;
    desiredHealthy?: number;
    currentHealthy?: number;
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    conditions?: Condition[];
  };
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
 * the pod is not the one `options.preconditions` name (the `Binding`'s metadata uid and
 * resourceVersion), is being deleted or is already bound, as upstream's `BindingREST`.
 */
export function bindPod(store: RegistryStore, key: ObjectKey, target: BindingTarget, options: BindOptions = {}): Promise<void> {
  try {
    const pods = store.builtin('pods');
    const k = store.key(pods, key);
    const bound = store.guaranteedUpdate(pods, k, (current) => {
      const pod = current as PodLike;
      checkPreconditions(pods, k, pod, options.preconditions);
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
 * The most entries `status.disruptedPods` may hold before evictions are refused (upstream
 * `MaxDisruptedPodSize`): that many approved evictions not yet seen by the disruption controller.
 */
export const MAX_DISRUPTED_POD_SIZE = 2000;

/** How many times an eviction re-reads its budget after a conflicting write (upstream `EvictionsRetry` has 20 steps). */
const EVICTION_RETRIES = 20;

/** Upstream `canIgnorePDB`: a finished, pending or terminating pod is deleted without asking its budget. */
function canIgnoreBudget(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
}

function isReady(pod: PodLike): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Upstream `createTooManyRequestsError`: the budget's status is behind its spec, or the pod changed under the eviction. */
function budgetBeingProcessed(name: string): ApiError {
  return new ApiError('TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    retryAfterSeconds: 10,
    causes: [{ reason: 'DisruptionBudget', field: '', message: `The disruption budget ${name} is still being processed by the server.` }],
  });
}

/**
 * Upstream `checkAndDecrement`: refuses when the budget's status is behind its generation (429),
 * negative (403) or has too many unconfirmed evictions (403), or allows no disruption (429 naming
 * the healthy counts); otherwise charges it in one status write conditional on the budget's
 * resourceVersion: `disruptionsAllowed - 1` (the `DisruptionAllowed` condition turned False when
 * that reaches 0) and the pod in `disruptedPods` at the current time. A dry run charges nothing.
 */
async function checkAndDecrement(store: RegistryStore, budget: PdbLike, podName: string, dryRun: boolean): Promise<void> {
  const name = budget.metadata.name ?? '';
  const status = budget.status ?? {};
  if ((status.observedGeneration ?? 0) < (budget.metadata.generation ?? 0)) throw budgetBeingProcessed(name);
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw forbidden('poddisruptionbudget', 'policy', name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    throw forbidden('poddisruptionbudget', 'policy', name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw new ApiError('TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
      causes: [{ reason: 'DisruptionBudget', field: '', message: `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently` }],
    });
  }
  if (dryRun) return;
  const now = store.clock.now();
  const next: PdbLike = {
    ...budget,
    status: {
      ...status,
      disruptionsAllowed: allowed - 1,
      ...(allowed - 1 === 0 ? { conditions: disruptionAllowedConditions(status.conditions, 0, status.observedGeneration, now) } : {}),
      disruptedPods: { ...status.disruptedPods, [podName]: formatTime(now) },
    },
  };
  await store.update(store.builtin('poddisruptionbudgets.policy'), next as KubeObject, {}, 'status');
}

/**
 * Upstream `addConditionAndDeletePod`: marks the pod `DisruptionTarget=True`
 * (`EvictionByEvictionAPI`) and deletes it, both under `options.preconditions`; the delete's
 * resourceVersion precondition moves to the marked pod's. A dry run only deletes (dry).
 */
async function markAndDelete(store: RegistryStore, k: ReturnType<RegistryStore['key']>, options: DeleteOptions): Promise<void> {
  const pods = store.builtin('pods');
  let deleteOptions = options;
  if (!options.dryRun) {
    const pod = (await store.current(k)) as PodLike | undefined;
    if (!pod) throw notFound('pods', '', k.name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== '' && pre.uid !== pod.metadata.uid) {
      throw conflict('Pod', '', k.name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${pod.metadata.uid ?? ''}). The object might have been deleted and then recreated`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== '' && pre.resourceVersion !== pod.metadata.resourceVersion) {
      throw conflict('Pod', '', k.name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion ?? ''}). The object might have been modified`);
    }
    const conditions = setStatusCondition(pod.status?.conditions, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }, store.clock.now());
    const marked = await store.update(pods, { ...pod, status: { ...pod.status, conditions } } as KubeObject, {}, 'status');
    if (pre?.resourceVersion !== undefined) deleteOptions = { ...options, preconditions: { ...pre, resourceVersion: marked.metadata.resourceVersion ?? '' } };
  }
  await store.delete(pods, k, deleteOptions);
}

/**
 * The `eviction` subresource (upstream `EvictionREST.Create`): deletes the pod unless that would
 * violate its PodDisruptionBudget.
 *
 * - A pod that is Pending, Succeeded, Failed or terminating is deleted without asking a budget
 *   (guarded by its resourceVersion unless finished or terminating).
 * - A pod matched by no budget is deleted; by more than one: 500, as upstream.
 * - A pod that is not Ready is deleted without charging the budget when the budget's
 *   `unhealthyPodEvictionPolicy` is `AlwaysAllow`, or (`IfHealthyBudget`, the default) when the
 *   budget is healthy (`currentHealthy >= desiredHealthy > 0`); the delete is then conditional
 *   on the pod's resourceVersion, and a pod that changed meanwhile gives 429.
 * - Otherwise the budget is checked and charged in the same call (`disruptionsAllowed - 1`, the
 *   pod in `disruptedPods`; see {@link MAX_DISRUPTED_POD_SIZE}); an exhausted budget gives 429
 *   TooManyRequests "Cannot evict pod as it would violate the pod's disruption budget.", a status
 *   behind the budget's generation 429 "still being processed". The charge is a write conditional
 *   on the budget's resourceVersion, retried on a fresh read after a conflict.
 * - The pod is then marked `DisruptionTarget` (`EvictionByEvictionAPI`) and deleted.
 */
export async function evictPod(store: RegistryStore, key: ObjectKey, options: DeleteOptions): Promise<void> {
  const pods = store.builtin('pods');
  const k = store.key(pods, key);
  const pod = (await store.current(k)) as PodLike | undefined;
  if (!pod) throw notFound('pods', '', k.name);
  const callerPinnedVersion = options.preconditions?.resourceVersion !== undefined;
  if (canIgnoreBudget(pod)) {
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.metadata.deletionTimestamp !== undefined;
    const guarded = !finished && !callerPinnedVersion ? { ...options, preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion ?? '' } } : options;
    await markAndDelete(store, k, guarded);
    return;
  }
  const pdbs = store.registry.forResource('poddisruptionbudgets.policy');
  const budgets = pdbs ? budgetsForPod(store.storage.cache.list({ resource: pdbs.resource, namespace: k.namespace }) as PdbLike[], k.namespace ?? '', pod.metadata.labels) : [];
  if (budgets.length > 1) {
    throw new ApiError('InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  }
  let budget = budgets[0];
  let guardPod = false;
  if (budget && !isReady(pod)) {
    const status = budget.status ?? {};
    const desired = status.desiredHealthy ?? 0;
    if (budget.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((status.currentHealthy ?? 0) >= desired && desired > 0)) {
      // An unready pod does not count towards the budget: it goes without a charge.
      guardPod = true;
      budget = undefined;
    }
  }
  if (budget) {
    const budgetKey = store.key(pdbs!, { namespace: k.namespace, name: budget.metadata.name ?? '' });
    for (let attempt = 0; ; attempt++) {
      try {
        await checkAndDecrement(store, budget, k.name, options.dryRun === true);
        break;
      } catch (e) {
        if (!isApiError(e, 'Conflict')) throw e;
        if (attempt + 1 >= EVICTION_RETRIES) throw new ApiError('Timeout', `couldn't update PodDisruptionBudget "${budget.metadata.name ?? ''}" due to conflicts`, { retryAfterSeconds: 10 });
        const fresh = (await store.current(budgetKey)) as PdbLike | undefined;
        if (!fresh) throw notFound('poddisruptionbudgets', 'policy', budgetKey.name);
        budget = fresh;
      }
    }
  }
  const deleteOptions = guardPod && !callerPinnedVersion ? { ...options, preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion ?? '' } } : options;
  try {
    await markAndDelete(store, k, deleteOptions);
  } catch (e) {
    if (guardPod && !callerPinnedVersion && isApiError(e, 'Conflict')) throw budgetBeingProcessed(budgets[0]?.metadata.name ?? '');
    throw e;
  }
}

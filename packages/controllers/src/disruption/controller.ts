/**
 * The disruption controller's reconcile (upstream `DisruptionController.sync` / `trySync`): read
 * a PodDisruptionBudget, its pods and their controllers' scale from the caches, call the pure
 * decisions of `decide.ts`, write the status, record upstream's events.
 *
 * @module
 */
import {
  Deployments,
  LABEL_INDEX,
  NO_REQUESTS,
  PodDisruptionBudgets,
  Pods,
  ReplicaSets,
  ReplicationControllers,
  StatefulSets,
  budgetsForPod,
  controllerFor,
  controllerRef,
  done,
  generationChanged,
  isApiError,
  objectKey,
  requeueAfter,
  toSelectorString,
} from '@kubeloop/core';
import type { Controller, KubeObject, Manager, OwnerReference, Pod, PodDisruptionBudget, PodDisruptionBudgetStatus, Reconciler, Request, ResourceDefinition, Result } from '@kubeloop/core';
import { canonicalJson } from '../shared/hash.js';
import { clearedDisruptionTarget, failSafeStatus, hasDisruptionTarget, podsForBudget, staleDisruptionCondition, syncBudget } from './decide.js';
import type { ControllerLookups, ScaleLookup, ScaledObject } from './decide.js';

/** The controller's name (as kube-controller-manager's `disruption` controller). */
export const DISRUPTION_CONTROLLER_NAME = 'disruption';
/** The name of the disruption controller's second queue, which resets stale `DisruptionTarget` conditions on pods. */
export const STALE_POD_DISRUPTION_CONTROLLER_NAME = 'disruption-stale-pod-disruption';
/** The component events are recorded under, as upstream's disruption controller. */
export const DISRUPTION_CONTROLLER_COMPONENT = 'controllermanager';

/** Options of the disruption controller. */
export interface DisruptionControllerOptions {
  /** Workers (upstream runs one; default 1). */
  readonly concurrency?: number | undefined;
}

/** The kinds the finders read from caches; any other controller kind is read through its `scale` subresource. */
const CACHED_KINDS = new Set(['ReplicaSet', 'Deployment', 'ReplicationController', 'StatefulSet']);

/**
 * The disruption reconciler: one call is one upstream `sync` of a PodDisruptionBudget.
 *
 * Guarantees: level-triggered; the status written is a pure function of the budget, the pods its
 * selector matches, their controllers' scale and the time (see `syncBudget`); a budget whose
 * expected pods cannot be computed gets disruptionsAllowed 0 and `DisruptionAllowed`
 * False/`SyncFailed` (upstream `failSafe`), so evictions stop rather than overdraw it.
 *
 * Errors: a 409 on the status write is thrown (the budget is retried with backoff, as upstream
 * requeues conflicts); any other failure of the sync is answered by the fail-safe write, whose
 * own failure is thrown.
 */
export class DisruptionReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** One sync of the budget `request`. */
  async reconcile(request: Request): Promise<Result> {
    const budget = this.#manager.cache(PodDisruptionBudgets).get(request);
    if (budget === undefined) return done;
    const recorder = this.#manager.recorder(DISRUPTION_CONTROLLER_COMPONENT);
    const namespace = budget.metadata.namespace ?? '';
    const pods = podsForBudget(budget, this.#candidatePods(budget));
    if (pods.length === 0) void recorder.event(budget, 'Normal', 'NoPods', 'No matching pods found');
    const lookups = await this.#lookups(namespace, pods);
    const nowMs = this.#manager.clock.now();
    const decision = syncBudget(budget, pods, lookups, nowMs);
    if (decision.kind === 'failed') {
      if (decision.noControllersFor !== undefined) void recorder.event(budget, 'Warning', 'NoControllers', decision.error);
      void recorder.event(budget, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${decision.error}`);
      await this.#failSafe(budget, decision.error);
      return done;
    }
    if (decision.unmanagedPods.length > 0) {
      const selector = budget.spec.selector === undefined ? '<none>' : toSelectorString(budget.spec.selector);
      void recorder.event(
        budget,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${selector}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    for (const pod of decision.notDeleted) {
      // Upstream formats the budget as `<namespace>/<namespace>` (it passes the namespace twice); kept, as kubectl shows it.
      void recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${namespace}/${namespace} to be deleted but it wasn't`);
    }
    if (decision.status !== undefined) {
      try {
        await this.#manager.client.updateStatus(PodDisruptionBudgets, { ...budget, status: decision.status });
      } catch (error) {
        if (isApiError(error, 'NotFound')) return done;
        if (isApiError(error, 'Conflict')) throw error;
        await this.#failSafe(budget, error instanceof Error ? error.message : String(error));
        return done;
      }
    }
    return decision.recheckAfterMs === undefined ? done : requeueAfter(Math.max(1, decision.recheckAfterMs));
  }

  /**
   * The pods that may match the budget: those carrying its first `matchLabels` pair (from the
   * cache's label index), else every pod of its namespace; `podsForBudget` applies the whole
   * selector.
   */
  #candidatePods(budget: PodDisruptionBudget): readonly Pod[] {
    const pods = this.#manager.cache(Pods);
    const first = Object.entries(budget.spec.selector?.matchLabels ?? {})[0];
    return first === undefined ? pods.list(budget.metadata.namespace ?? '') : pods.byIndex(LABEL_INDEX, `${first[0]}=${first[1]}`);
  }

  /** Upstream `failSafe`: disruptionsAllowed 0 and the `SyncFailed` condition, unless the status says so already. */
  async #failSafe(budget: PodDisruptionBudget, error: string): Promise<void> {
    const status: PodDisruptionBudgetStatus = failSafeStatus(budget, error, this.#manager.clock.now());
    if (canonicalJson(status) === canonicalJson(budget.status)) return;
    try {
      await this.#manager.client.updateStatus(PodDisruptionBudgets, { ...budget, status });
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
  }

  /**
   * The finders' view of `namespace`: the cached workloads, and the `scale` of every other
   * controller kind the pods name, read once per sync through the client.
   */
  async #lookups(namespace: string, pods: readonly Pod[]): Promise<ControllerLookups> {
    const manager = this.#manager;
    const cached = <T extends KubeObject & ScaledObject>(resource: ResourceDefinition<T>) => (name: string): ScaledObject | undefined => manager.cache(resource).get({ namespace, name });
    const lookups = {
      replicationController: cached(ReplicationControllers),
      replicaSet: cached(ReplicaSets),
      deployment: cached(Deployments),
      statefulSet: cached(StatefulSets),
    };
    const scales = new Map<string, ScaleLookup>();
    const scaleKey = (ref: OwnerReference): string => `${ref.apiVersion}/${ref.kind}/${ref.name}`;
    for (const pod of pods) {
      const ref = controllerRef(pod);
      if (ref === undefined || scales.has(scaleKey(ref))) continue;
      scales.set(scaleKey(ref), await this.#scaleOf(namespace, ref, lookups));
    }
    return { ...lookups, scale: (ref) => scales.get(scaleKey(ref)) ?? { kind: 'none' } };
  }

  /** Upstream `getScaleController`: the `scale` subresource of the object `ref` names. */
  async #scaleOf(namespace: string, ref: OwnerReference, lookups: Omit<ControllerLookups, 'scale'>): Promise<ScaleLookup> {
    const resource = this.#manager.registry.forKind(ref.apiVersion, ref.kind);
    if (resource === undefined) return { kind: 'error', message: `no matches for kind "${ref.kind}" in version "${ref.apiVersion}"` };
    const groupResource = resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
    if (resource.subresources?.scale === undefined) return { kind: 'error', message: `${groupResource} does not implement the scale subresource` };
    if (CACHED_KINDS.has(ref.kind)) {
      // The built-in scalable kinds are cached: their scale is their spec.replicas.
      const byKind: Record<string, (name: string) => ScaledObject | undefined> = {
        ReplicaSet: lookups.replicaSet,
        Deployment: lookups.deployment,
        ReplicationController: lookups.replicationController,
        StatefulSet: lookups.statefulSet,
      };
      const obj = byKind[ref.kind]?.(ref.name);
      return obj === undefined ? { kind: 'none' } : { kind: 'found', controller: { uid: obj.metadata.uid ?? '', scale: obj.spec.replicas ?? 0 } };
    }
    try {
      const scale = await this.#manager.client.getScale(resource, { namespace, name: ref.name });
      return { kind: 'found', controller: { uid: scale.metadata.uid ?? '', scale: scale.spec.replicas ?? 0 } };
    } catch (error) {
      if (isApiError(error, 'NotFound')) return { kind: 'none' };
      return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** The budgets in `namespace` whose selector matches `pod` (each is synced on the pod's changes). */
function budgetsOfPod(manager: Manager, pod: Pod): readonly Request[] {
  const namespace = pod.metadata.namespace ?? '';
  const budgets = manager.cache(PodDisruptionBudgets).list(namespace);
  // Every pod event passes here; most namespaces have no budget.
  if (budgets.length === 0) return NO_REQUESTS;
  return budgetsForPod(budgets, namespace, pod.metadata.labels).map((b) => objectKey(b));
}

/** The budgets whose selector matches the pods of a workload (its template's labels). */
function budgetsOfWorkload(manager: Manager, workload: KubeObject): Request[] {
  const namespace = workload.metadata.namespace ?? '';
  const labels = (workload as unknown as { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } }).spec?.template?.metadata?.labels;
  return budgetsForPod(manager.cache(PodDisruptionBudgets).list(namespace), namespace, labels).map((b) => objectKey(b));
}

/**
 * Builds the disruption controller on a manager: PodDisruptionBudgets, synced again on the
 * changes of the pods they select (upstream's pod handlers) and, beyond upstream, on the changes
 * of the spec (generation) of the workloads whose pods they select, so a scale change that
 * creates no pod still reaches `expectedPods`.
 */
export function disruptionController(manager: Manager, options: DisruptionControllerOptions = {}): Controller {
  return controllerFor(manager, PodDisruptionBudgets)
    .named(DISRUPTION_CONTROLLER_NAME)
    .watches(Pods, (pod) => budgetsOfPod(manager, pod))
    .watches(ReplicaSets, (rs) => budgetsOfWorkload(manager, rs), { predicates: [generationChanged] })
    .watches(Deployments, (d) => budgetsOfWorkload(manager, d), { predicates: [generationChanged] })
    .watches(ReplicationControllers, (rc) => budgetsOfWorkload(manager, rc), { predicates: [generationChanged] })
    .watches(StatefulSets, (ss) => budgetsOfWorkload(manager, ss), { predicates: [generationChanged] })
    .withConcurrency(options.concurrency ?? 1)
    .complete(new DisruptionReconciler(manager));
}


/**
 * The disruption controller's stale-condition worker (upstream `syncStalePodDisruption`): a pod
 * marked `DisruptionTarget=True` (by an eviction, say) that is still not being deleted 2 minutes
 * later gets the condition reset to False, so a disruption that did not happen is not reported.
 *
 * Guarantees: only pods `staleDisruptionCondition` judges stale are written, through the status
 * subresource with the pod's resourceVersion (a pod changed meanwhile is retried on a 409).
 */
export class StalePodDisruptionReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on the manager's pod cache and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** One sync of the pod `request`. */
  async reconcile(request: Request): Promise<Result> {
    const pod = this.#manager.cache(Pods).get(request);
    if (pod === undefined) return done;
    const nowMs = this.#manager.clock.now();
    const judged = staleDisruptionCondition(pod, nowMs);
    if (!judged.stale) return done;
    if (judged.cleanAfterMs > 0) return requeueAfter(judged.cleanAfterMs);
    try {
      await this.#manager.client.updateStatus(Pods, { ...pod, status: { ...pod.status, conditions: clearedDisruptionTarget(pod, nowMs) } });
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
    return done;
  }
}

/** Builds the stale `DisruptionTarget` worker on a manager: pods that carry the condition. */
export function stalePodDisruptionController(manager: Manager, options: DisruptionControllerOptions = {}): Controller {
  return controllerFor(manager, Pods, { predicates: [(event) => event.type !== 'delete' && hasDisruptionTarget(event.object)] })
    .named(STALE_POD_DISRUPTION_CONTROLLER_NAME)
    .withConcurrency(options.concurrency ?? 1)
    .complete(new StalePodDisruptionReconciler(manager));
}

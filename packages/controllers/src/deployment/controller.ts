/**
 * The Deployment controller's reconcile (upstream `syncDeployment` with `rolloutRolling`,
 * `rolloutRecreate`, `sync` and `syncStatusOnly`): it reads the caches, asks the pure
 * decisions of `decide.ts` and `status.ts` what to do, and writes ReplicaSets and the
 * Deployment's status through the manager's client.
 *
 * @module
 */
import { CONTROLLER_UID_INDEX, Deployments, Pods, ReplicaSets, controllerFor, controllerRef, done, isApiError, matchesLabelSelector, objectKey, requeueAfter } from '@kubeloop/core';
import type { Controller, Deployment, DeploymentStatus, EventHandler, KubeObject, Manager, Pod, Reconciler, ReplicaSet, Request, Result, WorkloadCondition } from '@kubeloop/core';
import { claimObjects, computeHash, getCondition, ownedOrOrphaned, setCondition } from '../shared/index.js';
import {
  REVISION_ANNOTATION,
  activeReplicaSets,
  cleanupPlan,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  isScalingEvent,
  maxRevision,
  maxSurge,
  newReplicaSetAnnotations,
  newReplicaSetFor,
  newReplicaSetReplicas,
  oldPodsRunning,
  replicasAnnotationsNeedUpdate,
  rollingNewReplicaSetTarget,
  rollingOldReplicaSetsPlan,
  scalePlan,
  withReplicasAnnotations,
  type ScaleStep,
} from './decide.js';
import { DeploymentReasons, calculateStatus, deadlineRequeueMs, deploymentComplete, deploymentCondition, hasProgressDeadline, pausedConditions, rolloutStatus, sameStatus } from './status.js';

/** The controller's name (upstream's `deployment` controller in kube-controller-manager). */
export const DEPLOYMENT_CONTROLLER_NAME = 'deployment';
/** The component events are recorded under, as upstream's. */
export const DEPLOYMENT_CONTROLLER_COMPONENT = 'deployment-controller';
/** Upstream's `--concurrent-deployment-syncs` default. */
export const DEFAULT_DEPLOYMENT_CONCURRENCY = 5;

/** Options of the Deployment controller. */
export interface DeploymentControllerOptions {
  /** Workers (`--concurrent-deployment-syncs`, default 5). */
  readonly concurrency?: number | undefined;
}

/**
 * Reconciles one Deployment (upstream `syncDeployment`):
 *
 * 1. an empty selector selects everything: a `SelectingAll` warning and nothing else;
 * 2. claim ReplicaSets (adopt matching orphans, release non-matching ones);
 * 3. being deleted → status only; paused/resumed → the Progressing condition first;
 * 4. paused, or a scaling event (an active ReplicaSet's `desired-replicas` differs) → scale
 *    only ({@link scalePlan}), no rollout;
 * 5. otherwise roll out with `Recreate` or `RollingUpdate`, then publish the status and the
 *    Progressing condition, and requeue in time to notice a missed progress deadline.
 *
 * Guarantees: level-triggered — every step is derived from the caches, so a crash between two
 * writes is repaired by the next reconcile; each ReplicaSet write carries its
 * `resourceVersion` (a stale cache fails with 409 and the request is retried).
 */
export class DeploymentReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler reading the manager's caches and writing through its client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** Reconciles the Deployment named by `request`. */
  async reconcile(request: Request): Promise<Result> {
    const cached = this.#manager.cache(Deployments).get(request);
    if (cached === undefined) return done;
    const sync = new DeploymentSync(this.#manager, cached);
    return sync.run();
  }
}

/** One reconcile of one Deployment: the working copies of the Deployment and its ReplicaSets. */
class DeploymentSync {
  readonly #m: Manager;
  #d: Deployment;
  #rsList: ReplicaSet[] = [];

  constructor(manager: Manager, d: Deployment) {
    this.#m = manager;
    this.#d = d;
  }

  get #now(): number {
    return this.#m.clock.now();
  }

  #event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.#m.recorder(DEPLOYMENT_CONTROLLER_COMPONENT).event(this.#d, type, reason, message);
  }

  async run(): Promise<Result> {
    const d = this.#d;
    const sel = d.spec.selector;
    if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.#event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) await this.#writeStatus({ ...d.status, observedGeneration: d.metadata.generation ?? 0 });
      return done;
    }
    this.#rsList = await this.#claimReplicaSets();
    if (d.metadata.deletionTimestamp !== undefined) {
      const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(false);
      await this.#syncDeploymentStatus([...oldRSs, newRS], newRS);
      return done;
    }
    const paused = pausedConditions(d, this.#now);
    if (paused !== undefined) await this.#writeStatus({ ...this.#d.status, conditions: [...paused] });
    if (this.#d.spec.paused === true) return this.#sync();
    const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(false);
    if (isScalingEvent(this.#d, [...oldRSs, newRS])) return this.#sync();
    return this.#d.spec.strategy.type === 'Recreate' ? this.#rolloutRecreate() : this.#rolloutRolling();
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async #claimReplicaSets(): Promise<ReplicaSet[]> {
    const d = this.#d;
    // Upstream lists every ReplicaSet of the namespace and lets ClaimReplicaSets ignore those
    // another controller owns; the controller-uid index gives the same candidates (ours and the
    // orphans) without the scan, which made a sync cost the namespace's ReplicaSets.
    const candidates = ownedOrOrphaned(this.#m.cache(ReplicaSets), d);
    return claimObjects(candidates, {
      client: this.#m.client,
      resource: ReplicaSets,
      owner: d,
      matches: (rs) => matchesLabelSelector(d.spec.selector, rs.metadata.labels),
      recheckOwner: async () => {
        try {
          return await this.#m.client.get(Deployments, objectKey(d));
        } catch (error) {
          if (isApiError(error, 'NotFound')) return undefined;
          throw error;
        }
      },
    });
  }

  /** The Deployment's pods grouped by the uid of the ReplicaSet controlling them (upstream `getPodMapForDeployment`). */
  #podMap(): Map<string, Pod[]> {
    const d = this.#d;
    const map = new Map<string, Pod[]>();
    for (const rs of this.#rsList) map.set(rs.metadata.uid ?? '', []);
    const pods = this.#m.cache(Pods);
    for (const [uid, list] of map) {
      for (const pod of pods.byIndex(CONTROLLER_UID_INDEX, uid)) {
        if (pod.metadata.namespace === d.metadata.namespace && matchesLabelSelector(d.spec.selector, pod.metadata.labels)) list.push(pod);
      }
    }
    return map;
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  async #writeStatus(status: DeploymentStatus): Promise<void> {
    this.#d = await this.#m.client.updateStatus(Deployments, { ...this.#d, status });
  }

  #replace(rs: ReplicaSet): void {
    const i = this.#rsList.findIndex((r) => r.metadata.uid === rs.metadata.uid);
    if (i >= 0) this.#rsList[i] = rs;
    else this.#rsList.push(rs);
  }

  /**
   * Sets the Deployment's revision annotation (upstream `SetDeploymentRevision`) and, when given,
   * the Progressing condition that goes with finding or creating the new ReplicaSet, as upstream
   * `getNewReplicaSet` does: in one `UpdateStatus` of the version this sync read. One write, so a
   * crash never publishes the new revision beside the previous rollout's `NewReplicaSetAvailable`
   * (which upstream then keeps until it sees progress, and never times out). A Deployment's
   * `/status` writes its annotations and leaves `generation` alone (a main-resource write of an
   * annotation moves it). A sync working from a stale cache gets a 409 and retries later instead
   * of carrying on with the fresh object in its second half (which made a sync on a stale cache
   * re-create a ReplicaSet the fresh half had just cleaned up, at one instant, for ever).
   */
  async #setDeploymentRevision(revision: string | undefined, condition?: WorkloadCondition): Promise<void> {
    const d = this.#d;
    const revisionChanges = revision !== undefined && d.metadata.annotations?.[REVISION_ANNOTATION] !== revision;
    if (!revisionChanges && condition === undefined) return;
    const metadata = revisionChanges ? { ...d.metadata, annotations: { ...d.metadata.annotations, [REVISION_ANNOTATION]: revision } } : d.metadata;
    const status = condition === undefined ? d.status : { ...d.status, conditions: [...setCondition(d.status.conditions, condition)] };
    this.#d = await this.#m.client.updateStatus(Deployments, { ...d, metadata, status });
  }

  /**
   * Scales `rs` to `to` and refreshes its replicas annotations (upstream `scaleReplicaSet`);
   * records `ScalingReplicaSet` when the size changed. Returns the ReplicaSet as written.
   */
  async #scaleReplicaSet(rs: ReplicaSet, to: number, operation?: 'up' | 'down'): Promise<ReplicaSet> {
    const d = this.#d;
    const max = d.spec.replicas + maxSurge(d);
    const sizeChanges = rs.spec.replicas !== to;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, d.spec.replicas, max)) return rs;
    const updated = await this.#m.client.update(ReplicaSets, {
      ...rs,
      metadata: { ...rs.metadata, annotations: withReplicasAnnotations(rs.metadata.annotations, d.spec.replicas, max) },
      spec: { ...rs.spec, replicas: to },
    });
    this.#replace(updated);
    if (sizeChanges) this.#event('Normal', 'ScalingReplicaSet', `Scaled ${operation ?? (rs.spec.replicas < to ? 'up' : 'down')} replica set ${rs.metadata.name ?? ''} from ${rs.spec.replicas} to ${to}`);
    return updated;
  }

  /** Scales only when the size changes (upstream `scaleReplicaSetAndRecordEvent`); whether it did. */
  async #scaleAndRecord(rs: ReplicaSet, to: number): Promise<boolean> {
    if (rs.spec.replicas === to) return false;
    await this.#scaleReplicaSet(rs, to);
    return true;
  }

  async #apply(steps: readonly ScaleStep[], always: boolean): Promise<boolean> {
    let scaled = false;
    for (const step of steps) {
      const rs = this.#rsList.find((r) => r.metadata.name === step.name);
      if (rs === undefined) continue;
      if (always) {
        await this.#scaleReplicaSet(rs, step.to);
        scaled ||= step.from !== step.to;
      } else if (await this.#scaleAndRecord(rs, step.to)) scaled = true;
    }
    return scaled;
  }

  // -------------------------------------------------------------------------------------------
  // The new ReplicaSet (upstream `getAllReplicaSetsAndSyncRevision` / `getNewReplicaSet`)

  async #getAllReplicaSetsAndSyncRevision(create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const existing = findNewReplicaSet(this.#d, this.#rsList);
    const oldRSs = findOldReplicaSets(this.#rsList, existing);
    const newRS = await this.#getNewReplicaSet(existing, oldRSs, create);
    return { newRS, oldRSs: findOldReplicaSets(this.#rsList, newRS) };
  }

  async #getNewReplicaSet(existing: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing !== undefined) {
      const { annotations, changed } = newReplicaSetAnnotations(this.#d, existing, newRevision, true);
      const minReadyChanges = (existing.spec.minReadySeconds ?? 0) !== (this.#d.spec.minReadySeconds ?? 0);
      if (changed || minReadyChanges) {
        const updated = await this.#m.client.update(ReplicaSets, {
          ...existing,
          metadata: { ...existing.metadata, annotations: { ...annotations } },
          spec: { ...existing.spec, minReadySeconds: this.#d.spec.minReadySeconds ?? 0 },
        });
        this.#replace(updated);
        return updated;
      }
      const found =
        hasProgressDeadline(this.#d) && getCondition(this.#d.status.conditions, 'Progressing') === undefined
          ? deploymentCondition('Progressing', 'True', DeploymentReasons.foundNewReplicaSet, `Found new replica set "${existing.metadata.name ?? ''}"`, this.#now)
          : undefined;
      await this.#setDeploymentRevision(existing.metadata.annotations?.[REVISION_ANNOTATION], found);
      return existing;
    }
    if (!create) return undefined;

    const d = this.#d;
    const hash = computeHash(d.spec.template, d.status.collisionCount);
    const draft = newReplicaSetFor(d, hash, newRevision, 0);
    const replicas = newReplicaSetReplicas(d, [...oldRSs, draft], draft);
    const wanted: ReplicaSet = { ...draft, spec: { ...draft.spec, replicas } };
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.#m.client.create(ReplicaSets, wanted);
    } catch (error) {
      if (isApiError(error, 'AlreadyExists')) {
        const found = this.#m.cache(ReplicaSets).get(objectKey(wanted)) ?? (await this.#m.client.get(ReplicaSets, objectKey(wanted)));
        if (controllerRef(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, found.spec.template)) {
          created = found;
          alreadyExisted = true;
        } else {
          // A hash collision: bump collisionCount so the next sync hashes differently.
          await this.#writeStatus({ ...d.status, collisionCount: (d.status.collisionCount ?? 0) + 1 });
          throw error;
        }
      } else {
        const message = `Failed to create new replica set "${wanted.metadata.name ?? ''}": ${error instanceof Error ? error.message : String(error)}`;
        const c = deploymentCondition('Progressing', 'False', DeploymentReasons.replicaSetCreateError, message, this.#now);
        if (hasProgressDeadline(d)) {
          try {
            await this.#writeStatus({ ...d.status, conditions: [...setCondition(d.status.conditions, c)] });
          } catch {
            // The create error is the one to report.
          }
        }
        this.#event('Warning', DeploymentReasons.replicaSetCreateError, message);
        throw error;
      }
    }
    this.#replace(created);
    if (!alreadyExisted && replicas > 0) this.#event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name ?? ''} from 0 to ${replicas}`);
    const createdCondition =
      !alreadyExisted && hasProgressDeadline(this.#d)
        ? deploymentCondition('Progressing', 'True', DeploymentReasons.newReplicaSetCreated, `Created new replica set "${created.metadata.name ?? ''}"`, this.#now)
        : undefined;
    await this.#setDeploymentRevision(String(newRevision), createdCondition);
    return created;
  }

  // -------------------------------------------------------------------------------------------
  // Strategies

  /** Paused or scaled: scale only, clean up when paused, publish the status (upstream `sync`). */
  async #sync(): Promise<Result> {
    const { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(false);
    await this.#apply(scalePlan(this.#d, newRS, oldRSs), true);
    const current = this.#current(newRS, oldRSs);
    if (this.#d.spec.paused === true) await this.#cleanup(current.oldRSs);
    await this.#syncDeploymentStatus([...current.oldRSs, current.newRS], current.newRS);
    return done;
  }

  async #rolloutRolling(): Promise<Result> {
    const first = await this.#getAllReplicaSetsAndSyncRevision(true);
    let { newRS, oldRSs } = first;
    if (newRS === undefined) return this.#syncRolloutStatus(oldRSs, newRS);
    const target = rollingNewReplicaSetTarget(this.#d, [...oldRSs, newRS], newRS);
    if (target !== undefined) {
      await this.#scaleAndRecord(newRS, target);
      ({ newRS, oldRSs } = this.#current(newRS, oldRSs));
      return this.#syncRolloutStatus(oldRSs, newRS);
    }
    const plan = rollingOldReplicaSetsPlan(this.#d, [...oldRSs, newRS], activeReplicaSets(oldRSs), newRS);
    if (await this.#apply(plan, false)) {
      ({ newRS, oldRSs } = this.#current(newRS, oldRSs));
      return this.#syncRolloutStatus(oldRSs, newRS);
    }
    if (deploymentComplete(this.#d, this.#d.status)) await this.#cleanup(oldRSs);
    ({ newRS, oldRSs } = this.#current(newRS, oldRSs));
    return this.#syncRolloutStatus(oldRSs, newRS);
  }

  async #rolloutRecreate(): Promise<Result> {
    let { newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(false);
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) if (await this.#scaleAndRecord(rs, 0)) scaledDown = true;
    ({ newRS, oldRSs } = this.#current(newRS, oldRSs));
    if (scaledDown) return this.#syncRolloutStatus(oldRSs, newRS);
    if (oldPodsRunning(newRS, oldRSs, this.#podMap())) return this.#syncRolloutStatus(oldRSs, newRS);
    if (newRS === undefined) ({ newRS, oldRSs } = await this.#getAllReplicaSetsAndSyncRevision(true));
    if (newRS !== undefined) await this.#scaleAndRecord(newRS, this.#d.spec.replicas);
    if (deploymentComplete(this.#d, this.#d.status)) await this.#cleanup(oldRSs);
    ({ newRS, oldRSs } = this.#current(newRS, oldRSs));
    return this.#syncRolloutStatus(oldRSs, newRS);
  }

  /** The latest written versions of `newRS` and `oldRSs`. */
  #current(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const latest = (rs: ReplicaSet): ReplicaSet => this.#rsList.find((r) => r.metadata.uid === rs.metadata.uid) ?? rs;
    return { newRS: newRS === undefined ? undefined : latest(newRS), oldRSs: oldRSs.map(latest) };
  }

  /** Deletes old ReplicaSets beyond `revisionHistoryLimit` (upstream `cleanupDeployment`). */
  async #cleanup(oldRSs: readonly ReplicaSet[]): Promise<void> {
    for (const rs of cleanupPlan(this.#d, oldRSs)) {
      try {
        await this.#m.client.delete(ReplicaSets, objectKey(rs), { preconditions: { uid: rs.metadata.uid ?? '' } });
      } catch (error) {
        if (!isApiError(error, 'NotFound', 'Conflict')) throw error;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Status

  async #syncDeploymentStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(allRSs, newRS, this.#d, this.#now);
    if (!sameStatus(this.#d.status, status)) await this.#writeStatus(status);
  }

  async #syncRolloutStatus(oldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Promise<Result> {
    const now = this.#now;
    const status = rolloutStatus([...oldRSs, newRS], newRS, this.#d, now);
    if (!sameStatus(this.#d.status, status)) await this.#writeStatus(status);
    const after = deadlineRequeueMs(this.#d, status, now);
    return after === undefined ? done : requeueAfter(after);
  }
}

/**
 * ReplicaSet events → the Deployment controlling the ReplicaSet (before and after the change),
 * or for an orphan every Deployment in its namespace whose selector matches it (upstream
 * `addReplicaSet`/`updateReplicaSet`/`deleteReplicaSet`, which look for adopters).
 */
export function replicaSetEventHandler(manager: Manager): EventHandler<ReplicaSet> {
  const owners = (rs: ReplicaSet, into: Map<string, Request>): void => {
    const ns = rs.metadata.namespace ?? '';
    const ref = controllerRef(rs);
    if (ref !== undefined) {
      if (ref.kind === 'Deployment' && ref.apiVersion.startsWith('apps/')) into.set(`${ns}/${ref.name}`, { namespace: ns, name: ref.name });
      return;
    }
    if (rs.metadata.deletionTimestamp !== undefined) return;
    for (const d of manager.cache(Deployments).list(ns)) {
      if (matchesLabelSelector(d.spec.selector, rs.metadata.labels)) into.set(`${ns}/${d.metadata.name ?? ''}`, { namespace: ns, name: d.metadata.name ?? '' });
    }
  };
  return {
    map(event) {
      const out = new Map<string, Request>();
      if (event.type === 'update') owners(event.old, out);
      owners(event.object, out);
      return [...out.values()];
    },
  };
}

/**
 * Pod deletions → the Deployment controlling the pod's ReplicaSet (upstream `deletePod`: a
 * `Recreate` rollout waits for the old pods to be gone before it scales up the new ReplicaSet).
 */
export function podDeletionHandler(manager: Manager): EventHandler<Pod> {
  return {
    map(event) {
      if (event.type !== 'delete') return [];
      const pod: KubeObject = event.object;
      const ref = controllerRef(pod);
      if (ref?.kind !== 'ReplicaSet') return [];
      const ns = pod.metadata.namespace ?? '';
      const rs = manager.cache(ReplicaSets).get({ namespace: ns, name: ref.name });
      const owner = rs === undefined ? undefined : controllerRef(rs);
      if (owner?.kind !== 'Deployment') return [];
      const d = manager.cache(Deployments).get({ namespace: ns, name: owner.name });
      if (d?.spec.strategy.type !== 'Recreate') return [];
      return [{ namespace: ns, name: owner.name }];
    },
  };
}

/** Builds the Deployment controller on a manager. */
export function deploymentController(manager: Manager, options: DeploymentControllerOptions = {}): Controller {
  return controllerFor(manager, Deployments)
    .named(DEPLOYMENT_CONTROLLER_NAME)
    .watches(ReplicaSets, replicaSetEventHandler(manager))
    .watches(Pods, podDeletionHandler(manager))
    .withConcurrency(options.concurrency ?? DEFAULT_DEPLOYMENT_CONCURRENCY)
    .complete(new DeploymentReconciler(manager));
}

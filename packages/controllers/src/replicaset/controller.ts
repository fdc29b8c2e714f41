/**
 * The ReplicaSet controller (upstream `pkg/controller/replicaset/replica_set.go`), generic over
 * the replicated kind so the same code runs ReplicationControllers (upstream
 * `pkg/controller/replication`). The reconcile orchestrates; the decisions are in `decide.ts`
 * and `status.ts`.
 *
 * One sync (upstream `syncReplicaSet`):
 *
 * 1. the owner is gone → forget its expectations, done;
 * 2. claim the active pods of its namespace (adopt matching orphans after a live re-read of the
 *    owner, release controlled pods that no longer match; never touch another controller's);
 * 3. if the expectations are satisfied and the owner is not being deleted, create or delete
 *    pods to reach `spec.replicas` (at most {@link BURST_REPLICAS} per sync, creates in slow-start
 *    batches, deletes ranked by the shared deletion order);
 * 4. write the status when it changed; return the create/delete error (retry with back-off), or
 *    requeue when a ready pod will become available.
 *
 * @module
 */
import { Pods, RequeueAfterError, controllerFor, controllerRef, done, isApiError, keyString, objectKey, parseApiVersion, requeueAfter, uniqueRequests } from '@kubeloop/core';
import type { Controller, EventHandler, InformerEvent, KubeObject, Manager, Pod, Reconciler, Request, Result } from '@kubeloop/core';
import {
  SLOW_START_INITIAL_BATCH_SIZE,
  UidTrackingExpectations,
  claimObjects,
  clientPodControl,
  isPodActive,
  keyOf,
  newControllerRef,
  ownedOrOrphaned,
  podFromTemplate,
  slowStartBatch,
} from '../shared/index.js';
import type { OwnerIdentity, PodControl } from '../shared/index.js';
import { BURST_REPLICAS, choosePodsToDelete, relatedPods, replicaDiff, skippedCreates } from './decide.js';
import { ReplicaSetKind, ReplicationControllerKind } from './kind.js';
import type { ReplicaStatus, ReplicatedKind } from './kind.js';
import { calculateReplicaStatus, nextAvailabilityCheck, replicaStatusUpToDate } from './status.js';

/** Options of the ReplicaSet and ReplicationController controllers. */
export interface ReplicaSetControllerOptions {
  /** Most pods created or deleted by one sync (upstream `BurstReplicas`, default 500). */
  readonly burstReplicas?: number | undefined;
  /** Workers (`--concurrent-replicaset-syncs` / `--concurrent-rc-syncs`, default 5). */
  readonly concurrency?: number | undefined;
  /** Replaces the pod control (default: the manager's client and recorder), e.g. for tests. */
  readonly podControl?: PodControl | undefined;
}

/** Upstream's default number of ReplicaSet workers (`ConcurrentRSSyncs`). */
export const DEFAULT_REPLICASET_CONCURRENCY = 5;

/** What the controller needs from one replicated owner while it syncs. */
function identity<T extends KubeObject>(kind: ReplicatedKind<T>, object: T): OwnerIdentity {
  return { apiVersion: kind.apiVersion, kind: kind.kind, metadata: object.metadata };
}

/**
 * The reconciler of one replicated kind: one call is one upstream `syncReplicaSet`.
 *
 * Guarantees: level-triggered — each sync derives everything from the caches, so missed events
 * or a restart (fresh, empty expectations) only delay convergence; never creates more than
 * `spec.replicas − active` pods nor deletes more than `active − spec.replicas` per sync, and acts
 * only when the expectations of the previous sync were observed (or expired); never writes a
 * pod controlled by another owner.
 *
 * Errors: a failed create or delete is reported on the status (`ReplicaFailure`) and then
 * thrown, so the queue retries with back-off — no later than a ready pod becomes available
 * (`minReadySeconds`), so that `availableReplicas` is not held back by the back-off
 * (core's `RequeueAfterError`); a status write conflict is retried once on a fresh
 * read, then thrown.
 */
export class ReplicatedReconciler<T extends KubeObject> implements Reconciler {
  readonly #manager: Manager;
  readonly #kind: ReplicatedKind<T>;
  readonly #expectations: UidTrackingExpectations;
  readonly #burst: number;
  readonly #podControl: PodControl;

  /** A reconciler on `manager`'s caches and client, tracking `expectations` (shared with the pod event handler). */
  constructor(manager: Manager, kind: ReplicatedKind<T>, expectations: UidTrackingExpectations, options: ReplicaSetControllerOptions = {}) {
    this.#manager = manager;
    this.#kind = kind;
    this.#expectations = expectations;
    this.#burst = options.burstReplicas ?? BURST_REPLICAS;
    this.#podControl = options.podControl ?? clientPodControl(manager.client, manager.recorder(kind.component));
  }

  /** Syncs one owner (see the module documentation for the steps). */
  async reconcile(request: Request): Promise<Result> {
    const kind = this.#kind;
    const key = keyString(request);
    const owner = this.#manager.cache(kind.resource).get(request);
    if (owner === undefined) {
      this.#expectations.delete(key);
      return done;
    }
    // Read the expectations before the pods, as upstream: a pod event between the two reads
    // then errs on the side of waiting.
    const needsSync = this.#expectations.satisfied(key);
    const selector = kind.selector(owner);
    const active = ownedOrOrphaned(this.#manager.cache(Pods), identity(kind, owner)).filter(isPodActive);
    const claimed = await claimObjects(active, {
      client: this.#manager.client,
      resource: Pods,
      owner: identity(kind, owner),
      matches: (pod) => selector.matches(pod.metadata.labels),
      recheckOwner: async () => {
        try {
          return identity(kind, await this.#manager.client.get(kind.resource, request));
        } catch (error) {
          if (isApiError(error, 'NotFound')) return undefined;
          throw error;
        }
      },
    });

    let manageError: unknown;
    if (needsSync && owner.metadata.deletionTimestamp === undefined) manageError = await this.#manageReplicas(owner, key, claimed);

    const now = this.#manager.clock.now();
    const minReadySeconds = kind.minReadySeconds(owner);
    const status = calculateReplicaStatus(
      // Stryker disable next-line OptionalChaining: equivalent, the API server requires a pod template of both kinds, and a template always has metadata
      { status: kind.status(owner), replicas: kind.replicas(owner), minReadySeconds, templateLabels: kind.template(owner)?.metadata?.labels },
      claimed,
      manageError,
      now,
    );
    await this.#writeStatus(owner, status);
    const wait = nextAvailabilityCheck(claimed, minReadySeconds, now);
    // A failed create or delete retries with backoff, but a pod due to become available is
    // still published on time (upstream's updatePod enqueues after minReadySeconds whatever
    // the syncs' failures): the backoff after failed creates under a quota reaches minutes.
    if (manageError !== undefined) throw wait === undefined ? manageError : new RequeueAfterError(manageError, wait);
    return wait === undefined ? done : requeueAfter(wait);
  }

  /** Creates or deletes pods (upstream `manageReplicas`); returns the first error, if any. */
  async #manageReplicas(owner: T, key: string, pods: readonly Pod[]): Promise<unknown> {
    const diff = replicaDiff(pods.length, this.#kind.replicas(owner), this.#burst);
    switch (diff.action) {
      case 'none':
        return undefined;
      case 'create': {
        const template = this.#kind.template(owner);
        if (template === undefined) return new Error(`${this.#kind.kind} ${key} has no pod template`);
        // Expect every create before the first one, so no pod event can arrive unexpected.
        this.#expectations.expectCreations(key, diff.count);
        const ref = newControllerRef(identity(this.#kind, owner));
        const { successes, error } = await slowStartBatch(diff.count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
          await this.#podControl.createPod(podFromTemplate(template, owner, ref), owner);
        });
        // The informer will never show the pods not created: stop waiting for them.
        for (let i = skippedCreates(diff.count, successes); i > 0; i--) this.#expectations.creationObserved(key);
        return error;
      }
      case 'delete': {
        const namespace = owner.metadata.namespace ?? '';
        const ownerRef = controllerRef(owner);
        const siblings =
          ownerRef === undefined
            ? []
            : this.#manager
                .cache(this.#kind.resource)
                .list(namespace)
                .filter((o) => controllerRef(o)?.uid === ownerRef.uid)
                .map((o) => ({ owner: o as KubeObject, selector: this.#kind.selector(o) }));
        // The pods the siblings control (upstream getIndirectlyRelatedPods), through the index.
        const siblingPods = siblings.flatMap((s) => ownedOrOrphaned(this.#manager.cache(Pods), identity(this.#kind, s.owner as T), false));
        const related = relatedPods(owner, siblings, siblingPods, pods);
        const victims = choosePodsToDelete(pods, related, diff.count, this.#manager.clock.now());
        this.#expectations.expectDeletionsOf(key, victims.map(keyOf));
        const results = await Promise.allSettled(victims.map((pod) => this.#podControl.deletePod(namespace, pod.metadata.name ?? '', owner)));
        let first: unknown;
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') return;
          // No delete event will come for a pod we failed to delete (or that was gone already).
          this.#expectations.podDeletionObserved(key, keyOf(victims[i]!));
          if (!isApiError(result.reason, 'NotFound')) first ??= result.reason;
        });
        return first;
      }
    }
  }

  /** Writes `status` unless nothing changed (upstream `updateReplicaSetStatus`, one retry on a fresh read). */
  async #writeStatus(owner: T, status: ReplicaStatus): Promise<void> {
    const { client } = this.#manager;
    const kind = this.#kind;
    let current = owner;
    for (let attempt = 0; ; attempt++) {
      if (replicaStatusUpToDate(kind.status(current), status, current.metadata.generation)) return;
      try {
        await client.updateStatus(kind.resource, kind.withStatus(current, { ...status, observedGeneration: current.metadata.generation }));
        return;
      } catch (error) {
        if (isApiError(error, 'NotFound')) return;
        if (attempt > 0 || !isApiError(error, 'Conflict')) throw error;
      }
      try {
        current = await client.get(kind.resource, objectKey(owner));
      } catch (error) {
        if (isApiError(error, 'NotFound')) return;
        throw error;
      }
      if (current.metadata.uid !== owner.metadata.uid) return;
    }
  }
}

/**
 * The pod event handler (upstream `addPod`/`updatePod`/`deletePod`): records the creations and
 * deletions the expectations wait for and maps each pod event to the owners it concerns.
 *
 * - a new pod: a creation observed for its controlling owner, which is woken; a new pod that is
 *   already being deleted counts as a deletion; an orphan wakes every owner whose selector
 *   matches it (it may be adopted);
 * - an update that sets `deletionTimestamp`: a deletion observed (once per pod, however many
 *   events show it), the owner woken;
 * - a changed controller reference wakes the old and the new owner; an orphan whose labels or
 *   controller reference changed wakes every owner that now matches it;
 * - a deleted pod (or a tombstone after a relist): a deletion observed, the owner woken.
 *
 * Only controller references to this kind, whose owner is in the cache with the same uid,
 * count; pods of other controllers are never mapped to an owner of this kind.
 */
export function podEventHandler<T extends KubeObject>(manager: Manager, kind: ReplicatedKind<T>, expectations: UidTrackingExpectations): EventHandler<Pod> {
  const owners = manager.cache(kind.resource);
  const group = parseApiVersion(kind.apiVersion).group;
  const resolve = (pod: Pod): T | undefined => {
    const ref = controllerRef(pod);
    if (ref === undefined || ref.kind !== kind.kind || parseApiVersion(ref.apiVersion).group !== group) return undefined;
    const owner = owners.get({ namespace: pod.metadata.namespace ?? '', name: ref.name });
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  };
  const matching = (pod: Pod): Request[] =>
    owners
      .list(pod.metadata.namespace ?? '')
      .filter((o) => kind.selector(o).matches(pod.metadata.labels))
      .map((o) => objectKey(o));
  const deleted = (pod: Pod): Request[] => {
    const owner = resolve(pod);
    if (owner === undefined) return [];
    expectations.podDeletionObserved(keyOf(owner), keyOf(pod));
    return [objectKey(owner)];
  };
  return {
    map(event: InformerEvent<Pod>): readonly Request[] {
      switch (event.type) {
        case 'add': {
          const pod = event.object;
          // A restarted controller may see a pod being deleted as new.
          if (pod.metadata.deletionTimestamp !== undefined) return deleted(pod);
          const owner = resolve(pod);
          if (owner !== undefined) {
            expectations.creationObserved(keyOf(owner));
            return [objectKey(owner)];
          }
          return controllerRef(pod) === undefined ? matching(pod) : [];
        }
        case 'update': {
          const { old, object: pod } = event;
          if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return [];
          const labelsChanged = !sameLabels(old.metadata.labels, pod.metadata.labels);
          if (pod.metadata.deletionTimestamp !== undefined) {
            const out = deleted(pod);
            // Its labels changed too: whoever controlled the old version is told as well.
            if (labelsChanged) out.push(...deleted(old));
            return out;
          }
          const out: Request[] = [];
          const oldRef = controllerRef(old);
          const ref = controllerRef(pod);
          const refChanged = oldRef?.uid !== ref?.uid;
          if (refChanged && oldRef !== undefined) {
            const previous = resolve(old);
            if (previous !== undefined) out.push(objectKey(previous));
          }
          if (ref !== undefined) {
            const owner = resolve(pod);
            if (owner !== undefined) out.push(objectKey(owner));
            return out;
          }
          if (labelsChanged || refChanged) out.push(...matching(pod));
          return uniqueRequests(out);
        }
        case 'delete':
          return deleted(event.object);
      }
    },
  };
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

/**
 * Builds the controller of one replicated kind on `manager`: reconciles owners of `kind` on
 * their own changes and on pod events (through {@link podEventHandler}); forgets an owner's
 * expectations when it is deleted (upstream `deleteRS`).
 */
export function replicatedController<T extends KubeObject>(manager: Manager, kind: ReplicatedKind<T>, options: ReplicaSetControllerOptions = {}): Controller {
  const expectations = new UidTrackingExpectations(manager.clock);
  const forgetDeleted: EventHandler<T> = {
    map(event) {
      if (event.type !== 'delete') return [];
      expectations.delete(keyOf(event.object));
      return [objectKey(event.object)];
    },
  };
  return controllerFor(manager, kind.resource)
    .named(kind.controllerName)
    .watches(kind.resource, forgetDeleted)
    .watches(Pods, podEventHandler(manager, kind, expectations))
    .withConcurrency(options.concurrency ?? DEFAULT_REPLICASET_CONCURRENCY)
    .complete(new ReplicatedReconciler(manager, kind, expectations, options));
}

/** Builds the ReplicaSet controller (`replicaset`, events from `replicaset-controller`) on `manager`. */
export function replicaSetController(manager: Manager, options: ReplicaSetControllerOptions = {}): Controller {
  return replicatedController(manager, ReplicaSetKind, options);
}

/** Builds the ReplicationController controller (`replicationcontroller`, events from `replication-controller`) on `manager`. */
export function replicationControllerController(manager: Manager, options: ReplicaSetControllerOptions = {}): Controller {
  return replicatedController(manager, ReplicationControllerKind, options);
}

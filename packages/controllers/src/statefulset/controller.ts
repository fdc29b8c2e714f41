/**
 * The StatefulSet controller's reconcile (upstream `StatefulSetController.sync` and
 * `defaultStatefulSetControl.UpdateStatefulSet`): read the caches, build the history, call the
 * pure decisions of `decide.ts` and `status.ts`, write.
 *
 * @module
 */
import { ControllerRevisions, PersistentVolumeClaims, Pods, StatefulSets, controllerFor, done, isApiError, keyString, matchesLabelSelector, objectKey, requeueAfter } from '@kubeloop/core';
import type { Controller, ControllerRevision, Manager, OwnerReference, Pod, PodTemplateSpec, Reconciler, Request, Result, StatefulSet } from '@kubeloop/core';
import { ConsistencyStore } from '../shared/consistency.js';
import { canonicalJson, computeHash } from '../shared/hash.js';
import { msUntilAvailable } from '../shared/pods.js';
import { podFromTemplate } from '../shared/podcontrol.js';
import { claimObjects, isControlledBy, newControllerRef, ownedOrOrphaned } from '../shared/ownership.js';
import { STATEFULSET_REVISION_LABEL, claimName, podName, podOrdinal, revisionForNewPod, selectRevisions, startOrdinal, statefulPodTemplate, statefulSetStep } from './decide.js';
import { computeStatefulSetStatus } from './status.js';

/** The controller's name (as kube-controller-manager's `statefulset` controller). */
export const STATEFULSET_CONTROLLER_NAME = 'statefulset';
/** The component events are recorded under, as upstream's. */
export const STATEFULSET_CONTROLLER_COMPONENT = 'statefulset-controller';

/** Options of the StatefulSet controller. */
export interface StatefulSetControllerOptions {
  /** Workers (`--concurrent-statefulset-syncs`, default 5). */
  readonly concurrency?: number | undefined;
}

const KIND = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;

function owner(set: StatefulSet): StatefulSet {
  return { ...set, ...KIND };
}

/** The owner reference a claim gets under `whenDeleted: Delete`: the set, not as controller (upstream `setOwnerRef`). */
function setOwnerRef(set: StatefulSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name ?? '', uid: set.metadata.uid ?? '' };
}

/** The `data` of a revision of `set` (upstream `getPatch`): its template, replacing the old one. */
function revisionData(template: PodTemplateSpec): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...(template as unknown as Record<string, unknown>), $patch: 'replace' } } };
}

/** The template a revision holds. */
function revisionTemplate(revision: ControllerRevision): PodTemplateSpec | undefined {
  const data = revision.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const t = data?.spec?.template;
  if (t === undefined) return undefined;
  const { $patch: _ignored, ...template } = t;
  return template as unknown as PodTemplateSpec;
}

/**
 * The StatefulSet reconciler: the pods `<set>-<ordinal>` with their claims, in order
 * (OrderedReady) or all at once (Parallel); rolling updates from the highest ordinal down or
 * OnDelete; history in ControllerRevisions; status.
 *
 * Guarantees: level-triggered; pods have fixed names, so a stale cache can at worst make a
 * create fail with AlreadyExists or a delete with NotFound, both ignored and retried. A sync
 * never decides from caches that do not yet show the writes of the set's earlier syncs
 * (upstream StaleControllerConsistencyStatefulSet, beta and on by default since 1.36): each
 * pod created or deleted and each status written is remembered by its resourceVersion, and
 * the next sync of the set waits until the pod and StatefulSet caches have caught up with
 * them. Without it, a pod cache still showing a pod this controller just deleted as Running
 * and Ready lets an OrderedReady set create the next ordinal while that one is gone.
 *
 * Errors: a failed write is thrown and the set retried with backoff; the status is written
 * even when pod writes failed. A sync whose caches lag its own writes throws a
 * `ConsistencyError` before reading anything, so the set is retried with backoff (upstream
 * requeues it rate-limited, as after an error).
 */
export class StatefulSetReconciler implements Reconciler {
  readonly #manager: Manager;
  /** The revisions of each set's last pod and status writes, until the caches show them. */
  readonly #consistency: ConsistencyStore;

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
    this.#consistency = new ConsistencyStore({ pods: () => manager.cache(Pods), statefulsets: () => manager.cache(StatefulSets) });
  }

  /** One sync of the StatefulSet `request`. */
  async reconcile(request: Request): Promise<Result> {
    const key = keyString(request);
    const cached = this.#manager.cache(StatefulSets).get(request);
    if (cached === undefined) {
      this.#consistency.clear(key);
      return done;
    }
    const stale = this.#consistency.ensureReady(key);
    if (stale !== undefined) throw stale;
    const set = owner(cached);
    if (set.metadata.deletionTimestamp !== undefined) return done;
    const { current, update } = await this.#history(set);
    const pods = await this.#claimPods(set);
    const nowMs = this.#manager.clock.now();
    let firstError: unknown;
    try {
      const step = statefulSetStep({ set, pods, updateRevision: update.hash, nowMs });
      const creations = step.create.map(async (ordinal) => {
        const which = revisionForNewPod(set, ordinal) === 'current' ? current : update;
        await this.#createPod(set, ordinal, which.template, which.hash);
      });
      // Upstream processReplica: a Pending pod gets the claims it misses (one deleted under it
      // while it waited, e.g. a stale claim the garbage collector took).
      const start = startOrdinal(set);
      const inRange = (p: Pod): boolean => podOrdinal(set, p) >= start && podOrdinal(set, p) < start + set.spec.replicas;
      const pending = pods.filter((p) => p.status?.phase === 'Pending' && p.metadata.deletionTimestamp === undefined && inRange(p));
      creations.push(...pending.map((p) => this.#createMissingClaims(set, podOrdinal(set, p), p.metadata.name ?? '')));
      const deletions = step.delete.map(async ({ pod, reason }) => {
        if (reason === 'failed') {
          const ns = set.metadata.namespace ?? '';
          const failed = pod.status?.phase === 'Failed';
          void this.#manager
            .recorder(STATEFULSET_CONTROLLER_COMPONENT)
            .event(set, failed ? 'Warning' : 'Normal', failed ? 'RecreatingFailedPod' : 'RecreatingTerminatedPod', `StatefulSet ${ns}/${set.metadata.name ?? ''} is recreating ${failed ? 'failed' : 'terminated'} Pod ${pod.metadata.name ?? ''}`);
        }
        if (reason === 'condemned' && set.spec.persistentVolumeClaimRetentionPolicy.whenScaled === 'Delete') await this.#claimsOwnedByPod(set, pod);
        await this.#deletePod(set, pod);
      });
      const results = await Promise.allSettled([...creations, ...deletions]);
      for (const r of results) if (r.status === 'rejected') firstError ??= r.reason;
    } catch (error) {
      firstError = error;
    }
    await this.#updateStatus(set, current.hash, update.hash);
    if (firstError !== undefined) throw firstError;
    const minReady = set.spec.minReadySeconds ?? 0;
    if (minReady > 0) {
      const waits = pods.map((p) => msUntilAvailable(p, minReady, nowMs)).filter((ms): ms is number => ms !== undefined && ms > 0);
      if (waits.length > 0) return requeueAfter(Math.min(...waits));
    }
    return done;
  }

  // ------------------------------------------------------------------------------- history

  /** The current and update revisions of `set` (upstream `getStatefulSetRevisions`), creating the update revision when new. */
  async #history(set: StatefulSet): Promise<{ current: { hash: string; template: PodTemplateSpec }; update: { hash: string; template: PodTemplateSpec } }> {
    const { client } = this.#manager;
    const namespace = set.metadata.namespace ?? 'default';
    const revisions = await claimObjects(this.#manager.cache(ControllerRevisions).list(namespace), {
      client,
      resource: ControllerRevisions,
      owner: set,
      matches: (r) => matchesLabelSelector(set.spec.selector, r.metadata.labels),
      recheckOwner: () => this.#recheck(set),
    });
    const wanted = canonicalJson(revisionData(set.spec.template));
    const hashOf = (r: ControllerRevision): string => r.metadata.labels?.[STATEFULSET_REVISION_LABEL] ?? r.metadata.name ?? '';
    const selected = selectRevisions(revisions, (r) => canonicalJson(r.data) === wanted, hashOf, set.status.currentRevision);
    let updateRev = selected.update;
    if (updateRev === undefined) {
      const hash = computeHash(set.spec.template, set.status.collisionCount);
      const revision: ControllerRevision = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${set.metadata.name ?? ''}-${hash}`,
          namespace,
          labels: { ...(set.spec.template.metadata?.labels ?? {}), [STATEFULSET_REVISION_LABEL]: hash },
          ownerReferences: [newControllerRef(set)],
        },
        data: revisionData(set.spec.template),
        revision: selected.updateNumber,
      };
      try {
        updateRev = await client.create(ControllerRevisions, revision);
      } catch (error) {
        if (!isApiError(error, 'AlreadyExists')) throw error;
        const existing = await client.get(ControllerRevisions, objectKey(revision));
        if (canonicalJson(existing.data) !== wanted || !isControlledBy(existing, set)) {
          // A different template under the same name: bump collisionCount so the next hash differs.
          const bumped = await client.updateStatus(StatefulSets, { ...set, status: { ...set.status, collisionCount: (set.status.collisionCount ?? 0) + 1 } });
          this.#wrote(set, 'statefulsets', bumped.metadata.resourceVersion);
          throw error;
        }
        updateRev = existing;
      }
    } else if (updateRev.revision !== selected.updateNumber) {
      // Back to an older template (a rollback): it becomes the newest revision, as upstream.
      updateRev = await client.update(ControllerRevisions, { ...updateRev, revision: selected.updateNumber });
    }
    const update = { hash: hashOf(updateRev), template: set.spec.template };
    const currentRev = selected.current;
    const currentTemplate = currentRev === undefined ? undefined : revisionTemplate(currentRev);
    const current = currentRev === undefined || currentTemplate === undefined ? update : { hash: hashOf(currentRev), template: currentTemplate };
    await this.#cleanupHistory(set, [...revisions.filter((r) => r !== updateRev && r.metadata.name !== updateRev.metadata.name)], new Set([current.hash, update.hash]));
    return { current, update };
  }

  /** Deletes the oldest revisions beyond `revisionHistoryLimit` no live pod uses (upstream `truncateHistory`). */
  async #cleanupHistory(set: StatefulSet, old: readonly ControllerRevision[], keep: Set<string>): Promise<void> {
    const live = new Set(keep);
    for (const pod of ownedOrOrphaned(this.#manager.cache(Pods), set, false)) live.add(pod.metadata.labels?.[STATEFULSET_REVISION_LABEL] ?? '');
    const candidates = old.filter((r) => !live.has(r.metadata.labels?.[STATEFULSET_REVISION_LABEL] ?? '')).sort((a, b) => a.revision - b.revision);
    const excess = candidates.length - Math.max(0, set.spec.revisionHistoryLimit);
    for (const r of candidates.slice(0, Math.max(0, excess))) await this.#ignoreGone(this.#manager.client.delete(ControllerRevisions, objectKey(r)));
  }

  // ---------------------------------------------------------------------------------- pods

  async #claimPods(set: StatefulSet): Promise<Pod[]> {
    return claimObjects(ownedOrOrphaned(this.#manager.cache(Pods), set), {
      client: this.#manager.client,
      resource: Pods,
      owner: set,
      matches: (p) => matchesLabelSelector(set.spec.selector, p.metadata.labels),
      recheckOwner: () => this.#recheck(set),
    });
  }

  async #recheck(set: StatefulSet): Promise<StatefulSet | undefined> {
    try {
      return owner(await this.#manager.client.get(StatefulSets, objectKey(set)));
    } catch (error) {
      if (isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  /**
   * Creates the ordinal's missing claims, then its pod (upstream `CreateStatefulPod`), with
   * upstream's events. Under `whenScaled: Delete`, a claim still owned by an earlier pod of the
   * ordinal is stale (upstream `PodClaimIsStale`): nothing is created until the garbage
   * collector has taken it (its deletion requeues the set).
   */
  async #createPod(set: StatefulSet, ordinal: number, template: PodTemplateSpec, hash: string): Promise<void> {
    const { client } = this.#manager;
    const recorder = this.#manager.recorder(STATEFULSET_CONTROLLER_COMPONENT);
    const setName = set.metadata.name ?? '';
    const name = podName(set, ordinal);
    if (this.#claimIsStale(set, ordinal)) return;
    await this.#createMissingClaims(set, ordinal, name);
    const request = podFromTemplate(statefulPodTemplate(set, template, ordinal, hash), set, newControllerRef(set));
    const { generateName: _unused, ...meta } = request.metadata as { generateName?: string };
    try {
      const created = await client.create(Pods, { ...request, metadata: { ...meta, name } } as never);
      this.#wrote(set, 'pods', created.metadata.resourceVersion);
      void recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${setName} successful`);
    } catch (error) {
      if (isApiError(error, 'AlreadyExists')) return;
      void recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${setName} failed error: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  /** Upstream `PodClaimIsStale` for a pod not created yet: under `whenScaled: Delete`, one of its claims is owned by a pod. */
  #claimIsStale(set: StatefulSet, ordinal: number): boolean {
    if (set.spec.persistentVolumeClaimRetentionPolicy.whenScaled !== 'Delete') return false;
    const namespace = set.metadata.namespace ?? 'default';
    return (set.spec.volumeClaimTemplates ?? []).some((t) => {
      const claim = this.#manager.cache(PersistentVolumeClaims).get({ namespace, name: claimName(set, t, ordinal) });
      return (claim?.metadata.ownerReferences ?? []).some((r) => r.kind === 'Pod');
    });
  }

  /** Creates the claims of the pod `name` with `ordinal` that do not exist (upstream `createPersistentVolumeClaims`), with upstream's events. */
  async #createMissingClaims(set: StatefulSet, ordinal: number, name: string): Promise<void> {
    const { client } = this.#manager;
    const recorder = this.#manager.recorder(STATEFULSET_CONTROLLER_COMPONENT);
    const namespace = set.metadata.namespace ?? 'default';
    const setName = set.metadata.name ?? '';
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const cname = claimName(set, t, ordinal);
      if (this.#manager.cache(PersistentVolumeClaims).get({ namespace, name: cname }) !== undefined) continue;
      try {
        await client.create(PersistentVolumeClaims, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: cname,
            namespace,
            labels: { ...(t.metadata.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) },
            ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
            ...(set.spec.persistentVolumeClaimRetentionPolicy.whenDeleted === 'Delete' ? { ownerReferences: [setOwnerRef(set)] } : {}),
          },
          spec: t.spec,
        } as never);
        void recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${cname} Pod ${name} in StatefulSet ${setName} success`);
      } catch (error) {
        if (isApiError(error, 'AlreadyExists')) continue;
        void recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${cname} for Pod ${name} in StatefulSet ${setName} failed error: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    }
  }

  /**
   * Before a pod is removed by a scale-down under `whenScaled: Delete`, its claims get the pod
   * as their owner instead of the set (upstream `updateClaimOwnerRefForSetAndPod`), so the
   * garbage collector deletes them with it.
   */
  async #claimsOwnedByPod(set: StatefulSet, pod: Pod): Promise<void> {
    const ordinal = podOrdinal(set, pod);
    const namespace = set.metadata.namespace ?? 'default';
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const claim = this.#manager.cache(PersistentVolumeClaims).get({ namespace, name: claimName(set, t, ordinal) });
      if (claim === undefined || (claim.metadata.ownerReferences ?? []).some((r) => r.uid === pod.metadata.uid)) continue;
      const ref: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
      // The set's reference goes (a claim is deleted only once all its owners are).
      const others = (claim.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid);
      await this.#ignoreGone(this.#manager.client.update(PersistentVolumeClaims, { ...claim, metadata: { ...claim.metadata, ownerReferences: [...others, ref] } }));
    }
  }

  /** Deletes a pod (upstream `DeleteStatefulPod`), with upstream's events. */
  async #deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    const recorder = this.#manager.recorder(STATEFULSET_CONTROLLER_COMPONENT);
    const name = pod.metadata.name ?? '';
    const setName = set.metadata.name ?? '';
    try {
      const deleted = await this.#manager.client.delete(Pods, objectKey(pod));
      this.#wrote(set, 'pods', deleted.metadata.resourceVersion);
      void recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${name} in StatefulSet ${setName} successful`);
    } catch (error) {
      if (isApiError(error, 'NotFound')) return;
      void recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${name} in StatefulSet ${setName} failed error: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  // -------------------------------------------------------------------------------- status

  async #updateStatus(set: StatefulSet, currentHash: string, updateHash: string): Promise<void> {
    const pods = ownedOrOrphaned(this.#manager.cache(Pods), set, false).filter((p) => isControlledBy(p, set));
    const status = computeStatefulSetStatus(set, pods, currentHash, updateHash, this.#manager.clock.now());
    if (canonicalJson(status) === canonicalJson(set.status)) return;
    const { client } = this.#manager;
    try {
      const written = await client.updateStatus(StatefulSets, { ...set, status });
      this.#wrote(set, 'statefulsets', written.metadata.resourceVersion);
    } catch (error) {
      if (isApiError(error, 'NotFound')) return;
      if (!isApiError(error, 'Conflict')) throw error;
      const fresh = owner(await client.get(StatefulSets, objectKey(set)));
      const written = await client.updateStatus(StatefulSets, { ...fresh, status: computeStatefulSetStatus(fresh, pods, currentHash, updateHash, this.#manager.clock.now()) });
      this.#wrote(set, 'statefulsets', written.metadata.resourceVersion);
    }
  }

  /** Remembers a write of `resource` for `set` at `resourceVersion`, for its next sync to wait for (upstream `consistencyStore.WroteAt`). */
  #wrote(set: StatefulSet, resource: 'pods' | 'statefulsets', resourceVersion: string | undefined): void {
    this.#consistency.wroteAt({ key: keyString(objectKey(set)), uid: set.metadata.uid ?? '' }, resource, resourceVersion);
  }

  async #ignoreGone(write: Promise<unknown>): Promise<void> {
    try {
      await write;
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
  }
}

/** Builds the StatefulSet controller on a manager: StatefulSets, their pods and ControllerRevisions. */
export function statefulSetController(manager: Manager, options: StatefulSetControllerOptions = {}): Controller {
  return controllerFor(manager, StatefulSets)
    .named(STATEFULSET_CONTROLLER_NAME)
    .owns(Pods)
    .owns(ControllerRevisions)
    .watches(PersistentVolumeClaims, {
      // A claim's change or deletion (a stale claim taken, a claim missing under a Pending pod)
      // requeues the sets whose templates name it: <template>-<set>-<ordinal>.
      map(event) {
        const claim = event.object;
        const name = claim.metadata.name ?? '';
        return manager
          .cache(StatefulSets)
          .list(claim.metadata.namespace ?? '')
          .filter((set) => (set.spec.volumeClaimTemplates ?? []).some((t) => name.startsWith(`${t.metadata.name ?? ''}-${set.metadata.name ?? ''}-`)))
          .map((set) => objectKey(set));
      },
    })
    .withConcurrency(options.concurrency ?? 5)
    .complete(new StatefulSetReconciler(manager));
}

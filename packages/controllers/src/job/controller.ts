/**
 * The Job controller (upstream `pkg/controller/job/job_controller.go`). The reconcile
 * orchestrates; the decisions are in `decide.ts` and `status.ts`.
 *
 * One sync (upstream `syncJob`):
 *
 * 1. the Job is gone → forget it, and take the tracking finalizer off the pods it left behind;
 *    a finished Job → forget its back-off, take the finalizer off any pod still carrying it;
 * 2. claim its pods (adopt matching orphans, which get the tracking finalizer; release pods that
 *    no longer match);
 * 3. count the pods finished since the status was written (those still carrying the finalizer),
 *    judge the Job: a `FailJob` rule of the pod failure policy, `backoffLimit`,
 *    `activeDeadlineSeconds`, failed indexes, the success policy;
 * 4. a Job that must finish deletes its active pods; otherwise create or delete pods to reach
 *    the wanted number of active pods (after the back-off since the last failures), and keep the
 *    `Suspended` condition;
 * 5. finalizer-based tracking (upstream `trackJobStatusAndRemoveFinalizers`): write the uids of
 *    newly finished pods to `status.uncountedTerminatedPods` (and the interim `FailureTarget` /
 *    `SuccessCriteriaMet` condition), remove their finalizers, move them into `succeeded` /
 *    `failed`, and once nothing is uncounted and no pod is terminating, write `Complete` or
 *    `Failed`.
 *
 * Deviations from upstream: pod events enqueue the Job at once (upstream batches them for 1 s);
 * the excess pods go in the shared deletion order (upstream's `ActivePods` order without the
 * logarithmic buckets); a pod left by a Job that was replaced by another Job of the same name
 * keeps its finalizer until a later event about it.
 *
 * @module
 */
import { Jobs, Pods, controllerFor, controllerRef, done, formatTime, isApiError, keyString, matchesLabelSelector, objectKey, requeueAfter } from '@kubeloop/core';
import type { Controller, EventHandler, InformerEvent, Job, JobStatus, Manager, Pod, Reconciler, Request, Result } from '@kubeloop/core';
import { SLOW_START_INITIAL_BATCH_SIZE, UidTrackingExpectations, claimObjects, clientPodControl, isPodActive, isPodReady, isPodTerminating, keyOf, newControllerRef, ownedOrOrphaned, podFromTemplate, slowStartBatch } from '../shared/index.js';
import type { OwnerIdentity, PodControl, PodRequest } from '../shared/index.js';
import {
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_TRACKING_FINALIZER,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  MAX_UNCOUNTED_PODS,
  NO_BACKOFF,
  activeDeadline,
  activePodsForRemoval,
  completionIndex,
  failedIndexes,
  finishedIndexCount,
  firstPendingIndexes,
  hasTrackingFinalizer,
  hasValidIndex,
  indexesOf,
  isIndexedJob,
  isPodFailed,
  matchPodFailurePolicy,
  matchSuccessPolicy,
  newIndexFailureCounts,
  nextBackoffRecord,
  onlyReplaceFailedPods,
  pastBackoffLimitOnFailure,
  podGenerateNameWithIndex,
  podsWithDelayedDeletionPerIndex,
  remainingBackoffMs,
  remainingBackoffPerIndexMs,
  succeededIndexes,
  terminatingIndexes,
  wantActive,
} from './decide.js';
import type { BackoffRecord } from './decide.js';
import { countIndexes, formatIndexes, hasIndex, withIndexes } from './indexes.js';
import type { OrderedIntervals } from './indexes.js';
import { JobConditionTypes, JobMessages, JobReasons, ensureJobCondition, isJobFinished, newJobCondition, trueCondition } from './status.js';

/** Options of the Job controller. */
export interface JobControllerOptions {
  /** Workers (`--concurrent-job-syncs`, default 5). */
  readonly concurrency?: number | undefined;
  /** Replaces the pod control (default: the manager's client and recorder), e.g. for tests. */
  readonly podControl?: PodControl | undefined;
}

/** Upstream's default number of Job workers (`ConcurrentJobSyncs`). */
export const DEFAULT_JOB_CONCURRENCY = 5;

/** The component Job events come from. */
export const JOB_CONTROLLER_COMPONENT = 'job-controller';

/** The `spec.managedBy` value of Jobs this controller manages (also when absent). */
export const JOB_CONTROLLER_MANAGED_BY = 'kubernetes.io/job-controller';

const identity = (job: Job): OwnerIdentity => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata });

/**
 * The pods whose tracking finalizer a sync removed and the informer has not yet shown without it
 * (upstream `uidTrackingExpectations` of finalizers, per Job key): a sync must not count them
 * again. Shared by the reconciler (which expects) and the pod event handler (which observes).
 */
export class JobFinalizerExpectations {
  readonly #byJob = new Map<string, Set<string>>();
  /** Expects the finalizers of the pods `uids` of the Job `key` to be removed. */
  expect(key: string, uids: readonly string[]): void {
    const set = this.#byJob.get(key) ?? new Set<string>();
    for (const u of uids) set.add(u);
    this.#byJob.set(key, set);
  }
  /** The informer showed the pod `uid` of the Job `key` without its finalizer (or deleted). */
  observed(key: string, uid: string): void {
    const set = this.#byJob.get(key);
    if (set === undefined) return;
    set.delete(uid);
    if (set.size === 0) this.#byJob.delete(key);
  }
  /** The uids of the Job `key` still expected. */
  expected(key: string): ReadonlySet<string> {
    return this.#byJob.get(key) ?? new Set();
  }
  /** Forgets the Job `key`. */
  delete(key: string): void {
    this.#byJob.delete(key);
  }
}

/** The interim or final condition a sync decided the Job reaches. */
interface Finish {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

/** What one sync knows (upstream `syncJobCtx`). */
interface SyncContext {
  job: Job;
  readonly key: string;
  readonly pods: readonly Pod[];
  readonly active: readonly Pod[];
  ready: number;
  terminating: number;
  readonly uncounted: { readonly succeeded: ReadonlySet<string>; readonly failed: ReadonlySet<string> };
  readonly expectedRemovals: ReadonlySet<string>;
  succeeded: number;
  prevSucceededIndexes: OrderedIntervals;
  succeededIndexes: OrderedIntervals;
  failedIndexes: OrderedIntervals | undefined;
  delayedDeletion: ReadonlyMap<number, Pod>;
  finish: Finish | undefined;
  backoff: BackoffRecord;
  requeueMs: number | undefined;
}

function minDelay(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * The Job reconciler: one call is one upstream `syncJob`.
 *
 * Guarantees: level-triggered (everything is derived from the caches, the status and the
 * finalizers; missed events or a restart only delay convergence — a restarted controller forgets
 * its back-off record, as upstream); a pod is counted in `succeeded`/`failed` exactly once — its
 * uid goes to `status.uncountedTerminatedPods` before its finalizer is removed, and it is
 * counted when the finalizer is gone; never more active pods than `parallelism` nor than the
 * remaining completions are created; creates wait for the expectations of the previous sync.
 *
 * Errors: a failed create or delete is thrown after the status was written (retried with
 * back-off); a status write conflict is thrown (the next sync starts from the new version).
 */
export class JobReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #expectations: UidTrackingExpectations;
  readonly #finalizers: JobFinalizerExpectations;
  readonly #backoff = new Map<string, BackoffRecord>();
  readonly #podControl: PodControl;

  /** A reconciler on `manager`'s caches and client, with the expectations it shares with the pod event handler. */
  constructor(manager: Manager, expectations: UidTrackingExpectations, finalizers: JobFinalizerExpectations, options: JobControllerOptions = {}) {
    this.#manager = manager;
    this.#expectations = expectations;
    this.#finalizers = finalizers;
    this.#podControl = options.podControl ?? clientPodControl(manager.client, manager.recorder(JOB_CONTROLLER_COMPONENT));
  }

  /** Syncs one Job (see the module documentation for the steps). */
  async reconcile(request: Request): Promise<Result> {
    const key = keyString(request);
    const job = this.#manager.cache(Jobs).get(request);
    if (job === undefined) {
      this.#expectations.delete(key);
      this.#finalizers.delete(key);
      this.#backoff.delete(key);
      await this.#releaseLeftPods(request, undefined);
      return done;
    }
    if (job.spec.managedBy !== undefined && job.spec.managedBy !== JOB_CONTROLLER_MANAGED_BY) return done;
    if (isJobFinished(job)) {
      this.#backoff.delete(key);
      await this.#releaseLeftPods(request, job);
      return done;
    }
    const now = this.#manager.clock.now();
    // Expectations before pods, as upstream: a pod event in between errs on the side of waiting.
    const satisfied = this.#expectations.satisfied(key);
    const pods = await this.#podsForJob(job);
    const active = pods.filter(isPodActive);
    const uncountedStatus = job.status.uncountedTerminatedPods ?? {};
    const ctx: SyncContext = {
      job,
      key,
      pods,
      active,
      ready: active.filter(isPodReady).length,
      terminating: pods.filter(isPodTerminating).length,
      uncounted: { succeeded: new Set(uncountedStatus.succeeded ?? []), failed: new Set(uncountedStatus.failed ?? []) },
      expectedRemovals: new Set(this.#finalizers.expected(key)),
      succeeded: 0,
      prevSucceededIndexes: [],
      succeededIndexes: [],
      failedIndexes: undefined,
      delayedDeletion: new Map(),
      finish: undefined,
      backoff: NO_BACKOFF,
      requeueMs: undefined,
    };
    let activeCount = active.length;
    const newSucceeded = this.#trackedPods(ctx, ctx.uncounted.succeeded, (p) => p.status?.phase === 'Succeeded');
    const newFailed = this.#trackedPods(ctx, ctx.uncounted.failed, (p) => isPodFailed(p, job));
    ctx.succeeded = (job.status.succeeded ?? 0) + newSucceeded.length + ctx.uncounted.succeeded.size;
    const nonIgnoredFailed = job.spec.podFailurePolicy === undefined ? newFailed.length : newFailed.filter((p) => matchPodFailurePolicy(job.spec.podFailurePolicy, p).countFailed).length;
    const failed = (job.status.failed ?? 0) + nonIgnoredFailed + ctx.uncounted.failed.size;

    let status: JobStatus = { ...job.status, uncountedTerminatedPods: { succeeded: [...(uncountedStatus.succeeded ?? [])], failed: [...(uncountedStatus.failed ?? [])] } };
    if (status.startTime === undefined && !job.spec.suspend) status = { ...status, startTime: formatTime(now) };
    ctx.job = { ...job, status };
    ctx.backoff = nextBackoffRecord(this.#backoff.get(key) ?? NO_BACKOFF, newSucceeded, newFailed);

    // Judge the Job.
    const successCriteria = trueCondition(job, JobConditionTypes.SuccessCriteriaMet);
    if (successCriteria !== undefined) ctx.finish = { type: JobConditionTypes.SuccessCriteriaMet, reason: successCriteria.reason ?? '', message: successCriteria.message ?? '' };
    if (ctx.finish === undefined) {
      const target = trueCondition(job, JobConditionTypes.FailureTarget);
      if (target !== undefined) {
        ctx.finish = { type: JobConditionTypes.Failed, reason: target.reason ?? '', message: target.message ?? '' };
      } else if (job.spec.podFailurePolicy !== undefined) {
        for (const p of pods) {
          if (!isPodFailed(p, job)) continue;
          const message = matchPodFailurePolicy(job.spec.podFailurePolicy, p).failJobMessage;
          if (message !== undefined) {
            ctx.finish = { type: JobConditionTypes.FailureTarget, reason: JobReasons.PodFailurePolicy, message };
            break;
          }
        }
      }
    }
    if (ctx.finish === undefined) {
      const deadline = activeDeadline(ctx.job, now);
      if (failed > (job.spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finish = { type: JobConditionTypes.FailureTarget, reason: JobReasons.BackoffLimitExceeded, message: JobMessages.BackoffLimitExceeded };
      } else if (deadline.past) {
        ctx.finish = { type: JobConditionTypes.FailureTarget, reason: JobReasons.DeadlineExceeded, message: JobMessages.DeadlineExceeded };
      } else {
        ctx.requeueMs = minDelay(ctx.requeueMs, deadline.remainingMs);
      }
    }
    if (isIndexedJob(job)) {
      const completions = job.spec.completions ?? 0;
      const indexes = succeededIndexes(job, pods);
      ctx.prevSucceededIndexes = indexes.previous;
      ctx.succeededIndexes = indexes.current;
      ctx.succeeded = countIndexes(indexes.current);
      if (job.spec.backoffLimitPerIndex !== undefined) {
        ctx.failedIndexes = failedIndexes(job, pods);
        if (ctx.finish === undefined) {
          const failedCount = countIndexes(ctx.failedIndexes);
          if (job.spec.maxFailedIndexes !== undefined && failedCount > job.spec.maxFailedIndexes) {
            ctx.finish = { type: JobConditionTypes.FailureTarget, reason: JobReasons.MaxFailedIndexesExceeded, message: JobMessages.MaxFailedIndexesExceeded };
          } else if (failedCount > 0 && finishedIndexCount(ctx.succeededIndexes, ctx.failedIndexes) >= completions) {
            ctx.finish = { type: JobConditionTypes.FailureTarget, reason: JobReasons.FailedIndexes, message: JobMessages.FailedIndexes };
          }
        }
        const tracked = this.#trackedPods(ctx, new Set(), () => true);
        ctx.delayedDeletion = podsWithDelayedDeletionPerIndex(job, tracked, active, ctx.succeededIndexes, ctx.failedIndexes);
      }
      if (ctx.finish === undefined) {
        const message = matchSuccessPolicy(job.spec.successPolicy, completions, ctx.succeededIndexes);
        if (message !== undefined) ctx.finish = { type: JobConditionTypes.SuccessCriteriaMet, reason: JobReasons.SuccessPolicy, message };
      }
    }

    let manageError: unknown;
    let suspendChanged = false;
    if (ctx.finish !== undefined) {
      // The Job will finish: delete its active pods (their finalizers go once they are counted).
      const { deleted, deletedReady, error } = await this.#deleteActivePods(job, active);
      if (deleted !== active.length || !satisfied) ctx.finish = undefined;
      activeCount -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      manageError = error;
    } else {
      let manageCalled = false;
      if (satisfied && job.metadata.deletionTimestamp === undefined) {
        const managed = await this.#manageJob(ctx, now);
        activeCount = managed.active;
        manageError = managed.error;
        manageCalled = true;
      }
      const completions = job.spec.completions;
      const complete = completions === undefined ? ctx.succeeded > 0 && activeCount === 0 : ctx.succeeded >= completions && activeCount === 0;
      if (complete) {
        ctx.finish = { type: JobConditionTypes.SuccessCriteriaMet, reason: JobReasons.CompletionsReached, message: JobMessages.CompletionsReached };
      } else if (manageCalled) {
        const suspend = job.spec.suspend === true;
        const r = suspend
          ? ensureJobCondition(ctx.job.status.conditions, JobConditionTypes.Suspended, 'True', JobReasons.JobSuspended, JobMessages.JobSuspended, now)
          : ensureJobCondition(ctx.job.status.conditions, JobConditionTypes.Suspended, 'False', JobReasons.JobResumed, JobMessages.JobResumed, now);
        if (r.changed) {
          suspendChanged = true;
          ctx.job = { ...ctx.job, status: { ...ctx.job.status, conditions: r.conditions, ...(suspend ? {} : { startTime: formatTime(now) }) } };
          this.#event(job, 'Normal', suspend ? 'Suspended' : 'Resumed', suspend ? JobMessages.JobSuspended : JobMessages.JobResumed);
        }
      }
    }

    const needsUpdate = suspendChanged || activeCount !== (job.status.active ?? 0) || ctx.ready !== job.status.ready || ctx.terminating !== job.status.terminating;
    ctx.job = { ...ctx.job, status: { ...ctx.job.status, active: activeCount, ready: ctx.ready, terminating: ctx.terminating } };
    await this.#trackStatusAndRemoveFinalizers(ctx, needsUpdate, now);
    if (manageError !== undefined) throw manageError;
    return ctx.requeueMs === undefined ? done : requeueAfter(Math.max(1, ctx.requeueMs));
  }

  /**
   * The pods the Job still tracks (upstream `getValidPodsWithFilter`): with the finalizer, not in
   * `uncounted`, not awaiting the removal of their finalizer, with a valid index for an Indexed
   * Job, and passing `filter`.
   */
  #trackedPods(ctx: SyncContext, uncounted: ReadonlySet<string>, filter: (p: Pod) => boolean): Pod[] {
    const indexed = isIndexedJob(ctx.job);
    return ctx.pods.filter((p) => {
      const uid = p.metadata.uid ?? '';
      if (!hasTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRemovals.has(uid)) return false;
      if (indexed && !hasValidIndex(ctx.job, p)) return false;
      return filter(p);
    });
  }

  /** The Job's pods, after adopting matching orphans (which get the finalizer) and releasing the ones that no longer match. */
  async #podsForJob(job: Job): Promise<Pod[]> {
    const { client } = this.#manager;
    const candidates = ownedOrOrphaned(this.#manager.cache(Pods), identity(job));
    const owned = new Set(candidates.filter((p) => controllerRef(p)?.uid === job.metadata.uid).map((p) => p.metadata.uid));
    const claimed = await claimObjects(candidates, {
      client,
      resource: Pods,
      owner: identity(job),
      matches: (pod) => matchesLabelSelector(job.spec.selector, pod.metadata.labels),
      recheckOwner: async () => {
        try {
          const fresh = await client.get(Jobs, objectKey(job));
          return fresh.metadata.uid === job.metadata.uid ? identity(fresh) : undefined;
        } catch (error) {
          if (isApiError(error, 'NotFound')) return undefined;
          throw error;
        }
      },
    });
    const out: Pod[] = [];
    for (const pod of claimed) {
      if (owned.has(pod.metadata.uid) || hasTrackingFinalizer(pod)) {
        out.push(pod);
        continue;
      }
      // Adopted: track it like the Job's own pods (upstream adds the finalizer with the owner reference).
      try {
        out.push(await client.patch(Pods, objectKey(pod), { type: 'merge', body: { metadata: { uid: pod.metadata.uid, finalizers: [...(pod.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER] } } }));
      } catch (error) {
        if (!isApiError(error, 'NotFound', 'Conflict', 'Invalid')) throw error;
      }
    }
    return out;
  }

  /** Creates or deletes pods towards the wanted active count (upstream `manageJob`); returns the active count after it. */
  async #manageJob(ctx: SyncContext, now: number): Promise<{ active: number; error?: unknown }> {
    const job = ctx.job;
    const key = ctx.key;
    const active = ctx.active.length;
    if (job.spec.suspend) {
      const victims = activePodsForRemoval(job, ctx.active, active, now);
      const { deleted, deletedReady, error } = await this.#deleteJobPods(job, key, victims);
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      return { active: active - deleted, error };
    }
    const want = wantActive(job.spec, active, ctx.succeeded);
    let victims = activePodsForRemoval(job, ctx.active, Math.max(0, active - want), now);
    if (victims.length > MAX_POD_CREATE_DELETE_PER_SYNC) victims = victims.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (victims.length > 0) {
      // Deletions and creations never in the same sync; deletions first (as upstream).
      const { deleted, deletedReady, error } = await this.#deleteJobPods(job, key, victims);
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      return { active: active - deleted, error };
    }
    const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
    let diff = want - terminating - active;
    if (diff <= 0) return { active };
    const perIndex = job.spec.backoffLimitPerIndex !== undefined;
    if (!perIndex) {
      const wait = remainingBackoffMs(ctx.backoff, now);
      if (wait > 0) {
        ctx.requeueMs = minDelay(ctx.requeueMs, wait);
        return { active: 0 };
      }
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] = [];
    if (isIndexedJob(job)) {
      indexes = firstPendingIndexes(
        { succeeded: ctx.succeededIndexes, active: indexesOf(ctx.active), failed: ctx.failedIndexes ?? [], terminating: onlyReplaceFailedPods(job) ? terminatingIndexes(ctx.pods) : [] },
        diff,
        job.spec.completions ?? 0,
      );
      if (perIndex) {
        const ready: number[] = [];
        let minWait: number | undefined;
        for (const ix of indexes) {
          const wait = remainingBackoffPerIndexMs(ctx.delayedDeletion.get(ix), now);
          if (wait === 0) ready.push(ix);
          else minWait = minDelay(minWait, wait);
        }
        if (ready.length === 0 && minWait !== undefined) {
          ctx.requeueMs = minDelay(ctx.requeueMs, minWait);
          return { active: 0 };
        }
        indexes = ready;
      }
      diff = indexes.length;
    }
    if (diff <= 0) return { active };
    this.#expectations.expectCreations(key, diff);
    const ref = newControllerRef(identity(job));
    let attempted = 0;
    const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, async (i) => {
      attempted++;
      const ix = indexes[i];
      try {
        await this.#podControl.createPod(this.#podRequest(job, ref, ix, ix === undefined ? undefined : ctx.delayedDeletion.get(ix)), job);
      } catch (e) {
        // The informer will never show this pod.
        this.#expectations.creationObserved(key);
        if (isApiError(e, 'Forbidden') && /being terminated/.test(String((e as Error).message))) return;
        throw e;
      }
    });
    // Slow start stopped early: the creates never attempted will never be observed either.
    for (let i = attempted; i < diff; i++) this.#expectations.creationObserved(key);
    return { active: active + successes, error };
  }

  /** The pod to create (upstream: the template with the tracking finalizer, and for an Indexed Job its index everywhere). */
  #podRequest(job: Job, ref: ReturnType<typeof newControllerRef>, index: number | undefined, replaced: Pod | undefined): PodRequest {
    const base = podFromTemplate(job.spec.template, job, ref);
    const metadata = { ...base.metadata, finalizers: [...(base.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER] };
    if (index === undefined) return { ...base, metadata } as PodRequest;
    const annotations: Record<string, string> = { ...base.metadata?.annotations, [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) };
    if (job.spec.backoffLimitPerIndex !== undefined) {
      const [failures, ignored] = newIndexFailureCounts(job, replaced);
      annotations[JOB_INDEX_FAILURE_COUNT_ANNOTATION] = String(failures);
      if (ignored > 0) annotations[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(ignored);
    }
    const spec = job.spec.template.spec;
    const withEnv = <C extends { readonly name: string; readonly env?: readonly { readonly name: string }[] | undefined }>(c: C): C =>
      c.env?.some((e) => e.name === JOB_COMPLETION_INDEX_ENV)
        ? c
        : { ...c, env: [...(c.env ?? []), { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } }] };
    return {
      ...base,
      metadata: {
        ...metadata,
        generateName: podGenerateNameWithIndex(job.metadata.name ?? '', index),
        annotations,
        labels: { ...base.metadata?.labels, [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) },
      },
      spec: {
        ...spec,
        hostname: `${job.metadata.name ?? ''}-${index}`,
        containers: spec.containers.map(withEnv),
        ...(spec.initContainers ? { initContainers: spec.initContainers.map(withEnv) } : {}),
      },
    } as PodRequest;
  }

  /** Deletes the active pods of a Job that must finish, keeping their finalizers (upstream `deleteActivePods`). */
  async #deleteActivePods(job: Job, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    const namespace = job.metadata.namespace ?? '';
    const results = await Promise.allSettled(pods.map((p) => this.#podControl.deletePod(namespace, p.metadata.name ?? '', job)));
    return deletionTally(pods, results);
  }

  /** Removes the finalizer of, then deletes, surplus pods (upstream `deleteJobPods`), expecting their deletions. */
  async #deleteJobPods(job: Job, key: string, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    if (pods.length === 0) return { deleted: 0, deletedReady: 0 };
    const namespace = job.metadata.namespace ?? '';
    this.#expectations.expectDeletionsOf(key, pods.map(keyOf));
    const results = await Promise.allSettled(
      pods.map(async (p) => {
        try {
          await this.#removeFinalizer(p);
          await this.#podControl.deletePod(namespace, p.metadata.name ?? '', job);
        } catch (e) {
          this.#expectations.podDeletionObserved(key, keyOf(p));
          throw e;
        }
      }),
    );
    return deletionTally(pods, results);
  }

  /** Takes the tracking finalizer off a pod (a JSON patch that fails if its finalizers changed meanwhile). */
  async #removeFinalizer(pod: Pod): Promise<void> {
    const finalizers = pod.metadata.finalizers ?? [];
    if (!finalizers.includes(JOB_TRACKING_FINALIZER)) return;
    await this.#manager.client.patch(Pods, objectKey(pod), {
      type: 'json',
      body: [
        { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
        { op: 'test', path: '/metadata/finalizers', value: finalizers },
        { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== JOB_TRACKING_FINALIZER) },
      ],
    });
  }

  /** Takes the finalizer off the pods a deleted or finished Job left (upstream `cleanupPodFinalizers` / orphan queue). */
  async #releaseLeftPods(request: Request, job: Job | undefined): Promise<void> {
    const cache = this.#manager.cache(Pods);
    const candidates =
      job !== undefined
        ? ownedOrOrphaned(cache, identity(job), false)
        : cache.list(request.namespace ?? '').filter((p) => {
            const ref = controllerRef(p);
            return ref?.kind === 'Job' && ref.name === request.name && ref.apiVersion.startsWith('batch/');
          });
    const left = candidates.filter(hasTrackingFinalizer);
    const results = await Promise.allSettled(left.map((p) => this.#removeFinalizer(p)));
    for (const r of results) if (r.status === 'rejected' && !isApiError(r.reason, 'NotFound')) throw r.reason;
  }

  /**
   * Finalizer-based tracking (upstream `trackJobStatusAndRemoveFinalizers` and
   * `flushUncountedAndRemoveFinalizers`): see the module documentation, step 5.
   */
  async #trackStatusAndRemoveFinalizers(ctx: SyncContext, needsFlushIn: boolean, now: number): Promise<void> {
    let needsFlush = needsFlushIn;
    const job = ctx.job;
    const indexed = isIndexedJob(job);
    const completions = job.spec.completions ?? 0;
    const pods = indexed ? [...ctx.pods].sort((a, b) => (completionIndex(a) ?? -1) - (completionIndex(b) ?? -1)) : ctx.pods;
    const withFinalizer = new Set<string>();
    for (const p of pods) if (hasTrackingFinalizer(p) && !ctx.expectedRemovals.has(p.metadata.uid ?? '')) withFinalizer.add(p.metadata.uid ?? '');
    let status: JobStatus = { ...job.status };
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const clean = (): boolean => {
      const s = uncounted.succeeded.filter((u) => withFinalizer.has(u));
      const f = uncounted.failed.filter((u) => withFinalizer.has(u));
      if (s.length === uncounted.succeeded.length && f.length === uncounted.failed.length) return false;
      status = { ...status, succeeded: (status.succeeded ?? 0) + uncounted.succeeded.length - s.length, failed: (status.failed ?? 0) + uncounted.failed.length - f.length };
      uncounted.succeeded = s;
      uncounted.failed = f;
      return true;
    };
    if (clean()) needsFlush = true;
    const toRemove: Pod[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    const finishFailing = ctx.finish !== undefined && ctx.finish.type !== JobConditionTypes.SuccessCriteriaMet;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!hasTrackingFinalizer(pod) || ctx.expectedRemovals.has(uid)) continue;
      const considerFailed = isPodFailed(pod, job);
      if (!this.#canRemoveFinalizer(ctx, pod, considerFailed)) continue;
      toRemove.push(pod);
      if (pod.status?.phase === 'Succeeded' && !ctx.uncounted.failed.has(uid)) {
        if (indexed) {
          const ix = completionIndex(pod);
          if (ix !== undefined && ix < completions && !hasIndex(ctx.prevSucceededIndexes, ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!ctx.uncounted.succeeded.has(uid)) {
          needsFlush = true;
          uncounted.succeeded.push(uid);
        }
      } else if (considerFailed || finishFailing) {
        // Once the Job is finishing, every pod that did not succeed counts as failed.
        const ix = completionIndex(pod);
        if (!ctx.uncounted.failed.has(uid) && (!indexed || (ix !== undefined && ix < completions))) {
          if (job.spec.podFailurePolicy === undefined || matchPodFailurePolicy(job.spec.podFailurePolicy, pod).countFailed) {
            needsFlush = true;
            uncounted.failed.push(uid);
          }
        }
      }
      if (newSucceededIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= MAX_UNCOUNTED_PODS) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      const succeeded = withIndexes(ctx.succeededIndexes, newSucceededIndexes);
      const text = formatIndexes(succeeded);
      if (text !== (job.status.completedIndexes ?? '')) needsFlush = true;
      status = { ...status, succeeded: countIndexes(succeeded), completedIndexes: text };
      if (ctx.failedIndexes !== undefined) {
        const failedText = formatIndexes(ctx.failedIndexes);
        if (failedText !== status.failedIndexes) {
          status = { ...status, failedIndexes: failedText };
          needsFlush = true;
        }
      }
    }
    let finish = ctx.finish;
    if (finish !== undefined && finish.type === JobConditionTypes.FailureTarget) {
      status = { ...status, conditions: [...(status.conditions ?? []), newJobCondition(JobConditionTypes.FailureTarget, 'True', finish.reason, finish.message, now)] };
      needsFlush = true;
      finish = { ...finish, type: JobConditionTypes.Failed };
    }
    if (finish !== undefined && finish.type === JobConditionTypes.SuccessCriteriaMet) {
      if (!(status.conditions ?? []).some((c) => c.type === JobConditionTypes.SuccessCriteriaMet && c.status === 'True')) {
        status = { ...status, conditions: [...(status.conditions ?? []), newJobCondition(JobConditionTypes.SuccessCriteriaMet, 'True', finish.reason, finish.message, now)] };
        needsFlush = true;
      }
      finish = { ...finish, type: JobConditionTypes.Complete };
    }

    // Flush the uncounted uids (and interim conditions) before any finalizer goes.
    let current = job;
    // Empty lists are left out, as upstream's JSON (omitempty) shows them: `uncountedTerminatedPods: {}`.
    const withUncounted = (): JobStatus => ({
      ...status,
      uncountedTerminatedPods: { ...(uncounted.succeeded.length > 0 ? { succeeded: [...uncounted.succeeded] } : {}), ...(uncounted.failed.length > 0 ? { failed: [...uncounted.failed] } : {}) },
    });
    if (needsFlush) {
      current = await this.#writeStatus(current, withUncounted());
      this.#backoff.set(ctx.key, ctx.backoff);
      needsFlush = false;
    }
    let removeError: unknown;
    if (toRemove.length > 0) {
      this.#finalizers.expect(ctx.key, toRemove.map((p) => p.metadata.uid ?? ''));
      const results = await Promise.allSettled(toRemove.map((p) => this.#removeFinalizer(p)));
      results.forEach((r, i) => {
        const uid = toRemove[i]!.metadata.uid ?? '';
        if (r.status === 'fulfilled') {
          withFinalizer.delete(uid);
          return;
        }
        if (isApiError(r.reason, 'NotFound')) {
          // Gone already: the expectation stays until the informer shows the deletion, so a
          // lagging pod cache that still lists the pod with its finalizer does not count it
          // again (a deep run counted one failed pod a thousand times at one instant).
          withFinalizer.delete(uid);
          return;
        }
        this.#finalizers.observed(ctx.key, uid);
        removeError ??= r.reason;
      });
    }
    if (clean()) needsFlush = true;
    if (removeError !== undefined) {
      if (needsFlush) await this.#writeStatus(current, withUncounted());
      throw removeError;
    }
    // Finished once nothing is uncounted and no pod is still terminating (upstream `enactJobFinished`).
    let finished = false;
    if (!reachedMax && finish !== undefined && uncounted.succeeded.length + uncounted.failed.length === 0 && ctx.terminating === 0) {
      const r = ensureJobCondition(status.conditions, finish.type, 'True', finish.reason, finish.message, now);
      status = { ...status, conditions: r.conditions };
      if (finish.type === JobConditionTypes.Complete) status = { ...status, completionTime: r.conditions.find((c) => c.type === JobConditionTypes.Complete)?.lastTransitionTime ?? formatTime(now) };
      finished = true;
      needsFlush = true;
    }
    if (!needsFlush) return;
    const written = await this.#writeStatus(current, withUncounted());
    if (!finished) return;
    if (finish!.type === JobConditionTypes.Complete) {
      const completionsSpec = written.spec.completions;
      if (completionsSpec !== undefined && (written.status.succeeded ?? 0) > completionsSpec) this.#event(written, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      this.#event(written, 'Normal', 'Completed', 'Job completed');
    } else {
      this.#event(written, 'Warning', finish!.reason, finish!.message);
    }
  }

  /** Upstream `canRemoveFinalizer`. */
  #canRemoveFinalizer(ctx: SyncContext, pod: Pod, considerFailed: boolean): boolean {
    if (ctx.job.metadata.deletionTimestamp !== undefined || ctx.finish !== undefined || pod.status?.phase === 'Succeeded') return true;
    if (!considerFailed) return false;
    if (ctx.job.spec.backoffLimitPerIndex !== undefined) {
      const ix = completionIndex(pod);
      if (ix !== undefined && ctx.delayedDeletion.get(ix)?.metadata.uid === pod.metadata.uid) return false;
    }
    return true;
  }

  /** Writes the Job's status (an `updateStatus` on the version read; a conflict is thrown). */
  async #writeStatus(job: Job, status: JobStatus): Promise<Job> {
    return this.#manager.client.updateStatus(Jobs, { ...job, status });
  }

  #event(job: Job, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.#manager.recorder(JOB_CONTROLLER_COMPONENT).event(job, type, reason, message);
  }
}

/**
 * The pod event handler (upstream `addPod`/`updatePod`/`deletePod`): records the creations,
 * deletions and finalizer removals the expectations wait for, and maps each pod event to the
 * Jobs it concerns: its controlling Job; for an orphan, every unfinished Job whose selector
 * matches it; for a pod with the tracking finalizer whose Job is gone, that Job's key (so the
 * sync takes the finalizer off).
 */
export function jobPodEventHandler(manager: Manager, expectations: UidTrackingExpectations, finalizers: JobFinalizerExpectations): EventHandler<Pod> {
  const jobs = manager.cache(Jobs);
  const refOf = (pod: Pod) => {
    const ref = controllerRef(pod);
    return ref !== undefined && ref.kind === 'Job' && ref.apiVersion.startsWith('batch/') ? ref : undefined;
  };
  const resolve = (pod: Pod): Job | undefined => {
    const ref = refOf(pod);
    if (ref === undefined) return undefined;
    const job = jobs.get({ namespace: pod.metadata.namespace ?? '', name: ref.name });
    return job?.metadata.uid === ref.uid ? job : undefined;
  };
  const matching = (pod: Pod): Request[] =>
    jobs
      .list(pod.metadata.namespace ?? '')
      .filter((j) => !isJobFinished(j) && matchesLabelSelector(j.spec.selector, pod.metadata.labels))
      .map((j) => objectKey(j));
  const forPod = (pod: Pod): Request[] => {
    const job = resolve(pod);
    if (job !== undefined) return [objectKey(job)];
    const ref = refOf(pod);
    if (ref !== undefined) return hasTrackingFinalizer(pod) ? [{ namespace: pod.metadata.namespace ?? '', name: ref.name }] : [];
    return controllerRef(pod) === undefined ? matching(pod) : [];
  };
  const deleted = (pod: Pod, final: boolean): void => {
    const job = resolve(pod);
    if (job === undefined) return;
    expectations.podDeletionObserved(keyOf(job), keyOf(pod));
    if (final || !hasTrackingFinalizer(pod)) finalizers.observed(keyOf(job), pod.metadata.uid ?? '');
  };
  return {
    map(event: InformerEvent<Pod>): readonly Request[] {
      switch (event.type) {
        case 'add': {
          const pod = event.object;
          if (pod.metadata.deletionTimestamp !== undefined) deleted(pod, false);
          else {
            const job = resolve(pod);
            if (job !== undefined) expectations.creationObserved(keyOf(job));
          }
          return forPod(pod);
        }
        case 'update': {
          const { old, object: pod } = event;
          if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return [];
          if (pod.metadata.deletionTimestamp !== undefined) deleted(pod, false);
          else if (hasTrackingFinalizer(old) && !hasTrackingFinalizer(pod)) {
            const job = resolve(pod);
            if (job !== undefined) finalizers.observed(keyOf(job), pod.metadata.uid ?? '');
          }
          const out = forPod(pod);
          if (controllerRef(old)?.uid !== controllerRef(pod)?.uid) out.push(...forPod(old));
          return out;
        }
        case 'delete':
          deleted(event.object, true);
          return forPod(event.object);
      }
    },
  };
}

/**
 * Builds the Job controller (`job`, events from `job-controller`) on `manager`: reconciles Jobs
 * on their own changes and on pod events (through {@link jobPodEventHandler}); forgets a Job's
 * expectations when it is deleted.
 */
export function jobController(manager: Manager, options: JobControllerOptions = {}): Controller {
  const expectations = new UidTrackingExpectations(manager.clock);
  const finalizers = new JobFinalizerExpectations();
  const forgetDeleted: EventHandler<Job> = {
    map(event) {
      if (event.type !== 'delete') return [];
      expectations.delete(keyOf(event.object));
      return [objectKey(event.object)];
    },
  };
  return controllerFor(manager, Jobs)
    .named('job')
    .watches(Jobs, forgetDeleted)
    .watches(Pods, jobPodEventHandler(manager, expectations, finalizers))
    .withConcurrency(options.concurrency ?? DEFAULT_JOB_CONCURRENCY)
    .complete(new JobReconciler(manager, expectations, finalizers, options));
}

/**
 * What a batch of pod deletions achieved: a pod already gone counts as deleted (upstream
 * ignores NotFound), `deletedReady` counts the deleted pods that were ready, and `error` is the
 * first other failure.
 */
function deletionTally(pods: readonly Pod[], results: readonly PromiseSettledResult<unknown>[]): { deleted: number; deletedReady: number; error?: unknown } {
  let deleted = 0;
  let deletedReady = 0;
  let error: unknown;
  results.forEach((r, i) => {
    if (r.status === 'rejected' && !isApiError(r.reason, 'NotFound')) {
      error ??= r.reason;
      return;
    }
    deleted++;
    if (isPodReady(pods[i]!)) deletedReady++;
  });
  return { deleted, deletedReady, error };
}

/**
 * The Job controller's pure decisions (upstream `pkg/controller/job`: `backoff_utils.go`,
 * `pod_failure_policy.go`, `success_policy.go`, `indexed_job_utils.go` and the helpers of
 * `job_controller.go`): the back-off between pod failures, which pod failures count and which
 * fail the Job, success policies, the indexes still to run, the pods to remove, how many pods
 * should be active. Everything here reads its inputs and returns a value; `controller.ts` acts.
 *
 * @module
 */
import { parseTime } from '@kubeloop/core';
import type { Job, Pod, PodFailurePolicyRule } from '@kubeloop/core';
import { isPodTerminating, podsToDelete } from '../shared/index.js';
import { countIndexes, hasIndex, mergeIndexes, parseIndexes, withIndexes } from './indexes.js';
import type { OrderedIntervals } from './indexes.js';

/** The finalizer a Job puts on its pods until it has counted them (upstream `batch.JobTrackingFinalizer`). */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** The annotation (and label) with a pod's completion index in an Indexed Job. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The annotation with the failures counted so far for a pod's index (`backoffLimitPerIndex`). */
export const JOB_INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
/** The annotation with the failures of a pod's index that a pod failure policy ignored. */
export const JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';
/** The environment variable an Indexed Job's containers read their index from. */
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** The first back-off after a pod failure (upstream `DefaultJobPodFailureBackOff`, 10 s). */
export const DEFAULT_JOB_POD_FAILURE_BACKOFF_MS = 10_000;
/**
 * The longest back-off between pod failures (upstream `MaxJobPodFailureBackOff`, 10 minutes in
 * the controller's code since 1.26; the kubernetes.io page still says six minutes, the value of
 * the older `MaxJobBackOff`).
 */
export const MAX_JOB_POD_FAILURE_BACKOFF_MS = 600_000;
/** Most pods one sync creates or deletes (upstream `MaxPodCreateDeletePerSync`). */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
/** Most pod uids `status.uncountedTerminatedPods` holds (upstream `MaxUncountedPods`). */
export const MAX_UNCOUNTED_PODS = 500;

// Pods

/** Whether the Job is Indexed. */
export function isIndexedJob(job: Job): boolean {
  return job.spec.completionMode === 'Indexed';
}

/** The pod's completion index (upstream `getCompletionIndex`): undefined when absent, not a number or negative. */
export function completionIndex(pod: Pod): number | undefined {
  const text = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^\+?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Whether the pod's index is valid for the Job: present and below `spec.completions`. */
export function hasValidIndex(job: Job, pod: Pod): boolean {
  const ix = completionIndex(pod);
  return ix !== undefined && ix < (job.spec.completions ?? 0);
}

/** Whether the pod carries the {@link JOB_TRACKING_FINALIZER}. */
export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) === true;
}

/**
 * Whether the Job replaces only pods that reached `Failed` (upstream `onlyReplaceFailedPods`):
 * `podReplacementPolicy: Failed`, which is also what a pod failure policy implies.
 */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec.podReplacementPolicy === 'Failed' || job.spec.podFailurePolicy !== undefined;
}

/**
 * Whether the pod counts as failed (upstream `isPodFailed`): phase `Failed`; or, unless the Job
 * replaces only failed pods, being deleted without having succeeded (a pod deleted before it
 * could fail is counted as a failure).
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return pod.metadata.deletionTimestamp !== undefined && pod.status?.phase !== 'Succeeded';
}

function time(text: string | null | undefined): number | undefined {
  if (text === undefined || text === null) return undefined;
  const ms = parseTime(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When the pod finished, in ms (upstream `getFinishedTime`): the latest `finishedAt` of its
 * containers when all have terminated; else when its Ready condition turned False; else its
 * `deletionTimestamp` less the grace period; else its creation.
 */
export function podFinishedTime(pod: Pod): number {
  const statuses = pod.status?.containerStatuses ?? [];
  let latest: number | undefined;
  let all = statuses.length > 0;
  for (const s of statuses) {
    const at = time(s.state?.terminated?.finishedAt);
    if (at === undefined) {
      all = false;
      break;
    }
    if (latest === undefined || at > latest) latest = at;
  }
  if (all && latest !== undefined) return latest;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const readyFalse = ready?.status === 'False' ? time(ready.lastTransitionTime) : undefined;
  if (readyFalse !== undefined) return readyFalse;
  const deletion = time(pod.metadata.deletionTimestamp);
  if (deletion !== undefined) return deletion - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return time(pod.metadata.creationTimestamp) ?? 0;
}

// Back-off between pod failures

/**
 * The back-off after `failures` consecutive pod failures (upstream
 * `getRemainingTimeForFailuresCount` before the elapsed time is taken off): none after 0, 10 s
 * after the first, doubling each time, capped at {@link MAX_JOB_POD_FAILURE_BACKOFF_MS}.
 *
 * @example
 * ```ts
 * podFailureBackoffMs(1); // 10 000
 * podFailureBackoffMs(4); // 80 000
 * podFailureBackoffMs(7); // 600 000 (640 s capped at 10 min)
 * ```
 */
export function podFailureBackoffMs(failures: number, baseMs = DEFAULT_JOB_POD_FAILURE_BACKOFF_MS, maxMs = MAX_JOB_POD_FAILURE_BACKOFF_MS): number {
  if (failures <= 0) return 0;
  let backoff = baseMs;
  for (let i = 1; i < failures; i++) {
    backoff *= 2;
    if (backoff >= maxMs) return maxMs;
  }
  return Math.min(backoff, maxMs);
}

/**
 * What the controller remembers of a Job's recent failures (upstream `backoffRecord`): the pod
 * failures since the last success, and when the last of them finished.
 */
export interface BackoffRecord {
  /** Failures counted since the last success. */
  readonly failuresAfterLastSuccess: number;
  /** When the last counted failure finished (ms); undefined with no failure. */
  readonly lastFailureTime?: number | undefined;
}

/** The record of a Job with no failure. */
export const NO_BACKOFF: BackoffRecord = Object.freeze({ failuresAfterLastSuccess: 0 });

/**
 * The record after a sync counted `newSucceeded` and `newFailed` pods (upstream
 * `newBackoffRecord`): failures add up; a success resets the count to the failures that
 * finished after the last success.
 */
export function nextBackoffRecord(previous: BackoffRecord, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
  const failedTimes = newFailed.map(podFinishedTime).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return previous;
    return { failuresAfterLastSuccess: previous.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1] };
  }
  const lastSuccess = Math.max(...newSucceeded.map(podFinishedTime));
  const after = failedTimes.filter((t) => t > lastSuccess);
  return after.length === 0 ? NO_BACKOFF : { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1] };
}

/**
 * How long before the Job may create a pod again (upstream `getRemainingTime`): the back-off of
 * {@link podFailureBackoffMs} for the failure count, less the time since the last failure; 0
 * once it has passed.
 */
export function remainingBackoffMs(record: BackoffRecord, nowMs: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  const backoff = podFailureBackoffMs(record.failuresAfterLastSuccess);
  const elapsed = nowMs - record.lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

// Pod failure policy

/** What a pod failure policy says of one failed pod (upstream `matchPodFailurePolicy`). */
export interface PodFailurePolicyMatch {
  /** The message of the Job's failure when a `FailJob` rule matched. */
  readonly failJobMessage?: string | undefined;
  /** Whether the failure counts towards `backoffLimit` (false for `Ignore`). */
  readonly countFailed: boolean;
  /** The action of the matching rule; undefined when none matched (the failure counts). */
  readonly action?: PodFailurePolicyRule['action'] | undefined;
}

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function exitCodeMatches(statuses: readonly ContainerStatus[] | undefined, rule: NonNullable<PodFailurePolicyRule['onExitCodes']>): ContainerStatus | undefined {
  for (const s of statuses ?? []) {
    const terminated = s.state?.terminated;
    if (terminated === undefined) continue;
    if (rule.containerName !== undefined && rule.containerName !== s.name) continue;
    if (terminated.exitCode === 0) continue;
    const listed = rule.values.includes(terminated.exitCode);
    if (rule.operator === 'In' ? listed : !listed) return s;
  }
  return undefined;
}

/**
 * Matches a failed pod against the rules in order; the first rule that matches decides
 * (upstream `matchPodFailurePolicy`). `onExitCodes` looks at terminated containers with a
 * non-zero exit code (containers first, then init containers); `onPodConditions` at the pod's
 * conditions by type and status. No policy, or no matching rule: the failure counts.
 *
 * @example
 * ```ts
 * // rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } }]
 * matchPodFailurePolicy(policy, podExited42);
 * // { failJobMessage: 'Container main for pod default/job-pod-failure-policy-example-abcde failed with exit code 42 matching FailJob rule at index 0', countFailed: true, action: 'FailJob' }
 * ```
 */
export function matchPodFailurePolicy(policy: Job['spec']['podFailurePolicy'], pod: Pod): PodFailurePolicyMatch {
  if (policy === undefined) return { countFailed: true };
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  for (const [index, rule] of policy.rules.entries()) {
    let what: string | undefined;
    if (rule.onExitCodes !== undefined) {
      const status = exitCodeMatches(pod.status?.containerStatuses, rule.onExitCodes) ?? exitCodeMatches(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (status === undefined) continue;
      what = `Container ${status.name} for pod ${namespace}/${name} failed with exit code ${status.state?.terminated?.exitCode ?? 0}`;
    } else if (rule.onPodConditions !== undefined) {
      const condition = (pod.status?.conditions ?? []).find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (condition === undefined) continue;
      what = `Pod ${namespace}/${name} has condition ${condition.type}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'FailIndex':
        return { countFailed: true, action: 'FailIndex' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailJob':
        return { failJobMessage: `${what} matching FailJob rule at index ${index}`, countFailed: true, action: 'FailJob' };
    }
  }
  return { countFailed: true };
}

// Success policy

/**
 * Whether the succeeded indexes meet the Job's success policy (upstream `matchSuccessPolicy`):
 * the message `Matched rules at index <i>` of the first rule met, or undefined. A rule with
 * `succeededIndexes` is met when all of those indexes succeeded (or, with `succeededCount`, at
 * least that many of them); a rule with only `succeededCount` when that many indexes
 * succeeded. A rule whose `succeededIndexes` select nothing below `completions` is skipped.
 *
 * @example
 * ```ts
 * matchSuccessPolicy({ rules: [{ succeededIndexes: '0-2', succeededCount: 2 }] }, 5, parseIndexes('1,2,4', 5)); // 'Matched rules at index 0'
 * ```
 */
export function matchSuccessPolicy(policy: Job['spec']['successPolicy'], completions: number, succeeded: OrderedIntervals): string | undefined {
  if (policy === undefined || succeeded.length === 0) return undefined;
  for (const [index, rule] of policy.rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      if (required.length === 0) continue;
      const contained = overlap(required, succeeded);
      const met = rule.succeededCount === undefined ? contained === countIndexes(required) : contained >= rule.succeededCount;
      if (met) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && countIndexes(succeeded) >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}

/** How many indexes two interval sets share. */
function overlap(a: OrderedIntervals, b: OrderedIntervals): number {
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const shared = Math.min(x.last, y.last) - Math.max(x.first, y.first) + 1;
    if (shared > 0) n += shared;
    if (y.last < x.last) j++;
    else i++;
  }
  return n;
}

// Indexes

/**
 * The succeeded indexes before and after this sync (upstream `calculateSucceededIndexes`):
 * `status.completedIndexes` (within `completions`), then with the indexes of succeeded pods that
 * still carry the tracking finalizer.
 */
export function succeededIndexes(job: Job, pods: readonly Pod[]): { readonly previous: OrderedIntervals; readonly current: OrderedIntervals } {
  const completions = job.spec.completions ?? 0;
  const previous = parseIndexes(job.status.completedIndexes, completions);
  const added: number[] = [];
  for (const p of pods) {
    const ix = completionIndex(p);
    if (p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && ix !== undefined && ix < completions) added.push(ix);
  }
  return { previous, current: withIndexes(previous, added) };
}

/** The annotation's count, 0 when absent, unparsable, negative or beyond int32 (upstream `parseInt32`). */
function annotationCount(pod: Pod, annotation: string): number {
  const text = pod.metadata.annotations?.[annotation];
  if (text === undefined || !/^\d+$/.test(text)) return 0;
  const n = Number(text);
  return n > 2147483647 ? 0 : n;
}

/** The failures of the pod's index before it (its {@link JOB_INDEX_FAILURE_COUNT_ANNOTATION}). */
export function indexFailureCount(pod: Pod): number {
  return annotationCount(pod, JOB_INDEX_FAILURE_COUNT_ANNOTATION);
}

/** Counted and ignored failures of the pod's index before it (upstream `getIndexAbsoluteFailureCount`). */
export function indexAbsoluteFailureCount(pod: Pod): number {
  return indexFailureCount(pod) + annotationCount(pod, JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
}

/**
 * Whether this pod fails its index (upstream `isIndexFailed`): a `FailIndex` rule matched it, or
 * its failure counts and its index had already failed `backoffLimitPerIndex` times before it.
 */
export function isIndexFailed(job: Job, pod: Pod): boolean {
  if (!isPodFailed(pod, job)) return false;
  let counted = true;
  if (job.spec.podFailurePolicy !== undefined) {
    const match = matchPodFailurePolicy(job.spec.podFailurePolicy, pod);
    if (match.action === 'FailIndex') return true;
    counted = match.countFailed;
  }
  return counted && indexFailureCount(pod) >= (job.spec.backoffLimitPerIndex ?? 0);
}

/**
 * The failed indexes (upstream `calculateFailedIndexes`): `status.failedIndexes` with the indexes
 * of pods that fail their index and still carry the tracking finalizer.
 */
export function failedIndexes(job: Job, pods: readonly Pod[]): OrderedIntervals {
  const completions = job.spec.completions ?? 0;
  const previous = parseIndexes(job.status.failedIndexes, completions);
  const added: number[] = [];
  for (const p of pods) {
    if (!isIndexFailed(job, p)) continue;
    const ix = completionIndex(p);
    if (ix !== undefined && ix < completions && hasTrackingFinalizer(p)) added.push(ix);
  }
  return withIndexes(previous, added);
}

/**
 * For `backoffLimitPerIndex`: per index still to run, the last failed pod whose removal waits
 * until its replacement is created (upstream `getPodsWithDelayedDeletionPerIndex`), so the
 * replacement inherits its failure count. `pods` are the ones the controller still tracks (with
 * the finalizer, not awaiting its removal).
 */
export function podsWithDelayedDeletionPerIndex(job: Job, pods: readonly Pod[], active: readonly Pod[], succeeded: OrderedIntervals, failed: OrderedIntervals): ReadonlyMap<number, Pod> {
  const completions = job.spec.completions ?? 0;
  const activeIndexes = new Set(active.map(completionIndex).filter((i) => i !== undefined));
  const out = new Map<number, Pod>();
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    const ix = completionIndex(p);
    if (ix === undefined || ix >= completions) continue;
    if (hasIndex(succeeded, ix) || hasIndex(failed, ix) || activeIndexes.has(ix)) continue;
    const last = out.get(ix);
    if (last === undefined || (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(p) && podFinishedTime(p) >= podFinishedTime(last))) out.set(ix, p);
  }
  return out;
}

/**
 * The failure counts the replacement of `replaced` starts with (upstream
 * `getNewIndexFailureCounts`): the replaced pod's counts plus its own failure, as counted or
 * ignored by the pod failure policy; `[0, 0]` for the first pod of an index.
 */
export function newIndexFailureCounts(job: Job, replaced: Pod | undefined): readonly [failures: number, ignored: number] {
  if (replaced === undefined) return [0, 0];
  const failures = indexFailureCount(replaced);
  const ignored = annotationCount(replaced, JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
  const counted = job.spec.podFailurePolicy === undefined || matchPodFailurePolicy(job.spec.podFailurePolicy, replaced).countFailed;
  return counted ? [failures + 1, ignored] : [failures, ignored + 1];
}

/**
 * How long before the index of `lastFailed` may get a new pod (upstream
 * `getRemainingTimePerIndex`): the back-off for its absolute failure count plus one, from when
 * it finished; 0 without a failed pod.
 */
export function remainingBackoffPerIndexMs(lastFailed: Pod | undefined, nowMs: number): number {
  if (lastFailed === undefined) return 0;
  return remainingBackoffMs({ failuresAfterLastSuccess: indexAbsoluteFailureCount(lastFailed) + 1, lastFailureTime: podFinishedTime(lastFailed) }, nowMs);
}

/**
 * The lowest `count` indexes below `completions` that are pending (upstream
 * `firstPendingIndexes`): neither succeeded, nor held by an active pod, nor failed, nor — when
 * the Job replaces only failed pods — held by a terminating pod.
 *
 * @example
 * ```ts
 * firstPendingIndexes({ succeeded: parseIndexes('0,2', 6), active: [1], failed: [], terminating: [] }, 2, 6); // [3, 4]
 * ```
 */
export function firstPendingIndexes(nonPending: { readonly succeeded: OrderedIntervals; readonly active: Iterable<number>; readonly failed: OrderedIntervals; readonly terminating: Iterable<number> }, count: number, completions: number): number[] {
  if (count <= 0) return [];
  const taken = mergeIndexes(withIndexes(withIndexes(nonPending.succeeded, nonPending.active), nonPending.terminating), nonPending.failed);
  const out: number[] = [];
  let candidate = 0;
  for (const interval of taken) {
    for (; candidate < completions && out.length < count && candidate < interval.first; candidate++) out.push(candidate);
    if (candidate < interval.last + 1) candidate = interval.last + 1;
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

/** The indexes of `pods` (those that have one). */
export function indexesOf(pods: readonly Pod[]): number[] {
  return pods.map(completionIndex).filter((i): i is number => i !== undefined);
}

/** The indexes held by terminating pods, which a Job that replaces only failed pods waits for. */
export function terminatingIndexes(pods: readonly Pod[]): number[] {
  return indexesOf(pods.filter(isPodTerminating));
}

// Active pods

/**
 * How many pods should be active (upstream `manageJob`): without `completions`, `parallelism`
 * until a pod succeeded, then no new ones (the ones running finish); with `completions`, the
 * remaining completions, at most `parallelism`.
 *
 * @example
 * ```ts
 * wantActive({ completions: 10, parallelism: 5 }, 3, 8); // 2
 * ```
 */
export function wantActive(spec: { readonly completions?: number | undefined; readonly parallelism?: number | undefined }, active: number, succeeded: number): number {
  const parallelism = spec.parallelism ?? 1;
  if (spec.completions === undefined) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(spec.completions - succeeded, parallelism));
}

/**
 * The active pods to delete (upstream `activePodsForRemoval`): for an Indexed Job first the pods
 * without a valid index and all but one pod of each repeated index; then, if that is fewer than
 * `rmAtLeast`, the first of the rest in deletion order (unscheduled, pending, not ready, newer
 * first — the shared ranking).
 */
export function activePodsForRemoval(job: Job, active: readonly Pod[], rmAtLeast: number, nowMs: number): Pod[] {
  const rm: Pod[] = [];
  let left: Pod[] = [...active];
  if (isIndexedJob(job)) {
    const completions = job.spec.completions ?? 0;
    const byIndex = new Map<number, Pod[]>();
    left = [];
    for (const p of active) {
      const ix = completionIndex(p);
      if (ix === undefined || ix >= completions) {
        rm.push(p);
        continue;
      }
      byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
      const same = byIndex.get(ix)!;
      if (same.length === 1) {
        left.push(same[0]!);
        continue;
      }
      // Keep the pod furthest along (the last one in deletion order).
      const ordered = podsToDelete(same, [], same.length - 1, nowMs);
      const removed = new Set(ordered);
      rm.push(...ordered);
      left.push(...same.filter((p) => !removed.has(p)));
    }
  }
  if (rm.length < rmAtLeast) rm.push(...podsToDelete(left, [], rmAtLeast - rm.length, nowMs));
  return rm;
}

/**
 * Whether the container restarts of a Job with `restartPolicy: OnFailure` exceed its back-off
 * limit (upstream `pastBackoffLimitOnFailure`): the restarts of all containers of its pending
 * and running pods, at least `backoffLimit` (more than 0 when the limit is 0).
 */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec.template.spec.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of p.status?.initContainerStatuses ?? []) restarts += s.restartCount;
    for (const s of p.status?.containerStatuses ?? []) restarts += s.restartCount;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Longest `generateName` whose generated name still fits 63 characters (upstream `MaxGeneratedNameLength`). */
const MAX_GENERATED_NAME_LENGTH = 58;

/**
 * The `generateName` of an Indexed Job's pod (upstream `podGenerateNameWithIndex`):
 * `<job>-<index>-`, the Job's name cut so the whole fits 58 characters.
 *
 * @example
 * ```ts
 * podGenerateNameWithIndex('indexed-job', 3); // 'indexed-job-3-'
 * ```
 */
export function podGenerateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > MAX_GENERATED_NAME_LENGTH ? jobName.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix : prefix;
}

/**
 * Whether the Job ran longer than `activeDeadlineSeconds` since `status.startTime` (upstream
 * `pastActiveDeadline`); never while suspended. Returns the ms left otherwise (undefined without
 * a deadline).
 */
export function activeDeadline(job: Job, nowMs: number): { readonly past: boolean; readonly remainingMs?: number | undefined } {
  const seconds = job.spec.activeDeadlineSeconds;
  const start = time(job.status.startTime);
  if (seconds === undefined || start === undefined || job.spec.suspend) return { past: false };
  const remaining = seconds * 1000 - (nowMs - start);
  return remaining <= 0 ? { past: true } : { past: false, remainingMs: remaining };
}

/** Failed and succeeded indexes of an Indexed Job together (for the failed-indexes check). */
export function finishedIndexCount(succeeded: OrderedIntervals, failed: OrderedIntervals): number {
  return countIndexes(succeeded) + countIndexes(failed);
}

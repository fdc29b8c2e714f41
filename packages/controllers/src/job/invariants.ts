/**
 * Invariants of Jobs over cluster states, stated from the Job API's rules in their own code
 * (they never call the controller's decisions): a NonIndexed Job never counts more successes
 * than completions; each index of an Indexed Job succeeds at most once; never more active pods
 * than `parallelism`; a finished Job has no active pods.
 *
 * Upstream's guarantees are narrower than the slogans, and each invariant states what upstream
 * guarantees:
 * - a NonIndexed Job's `status.succeeded` may exceed `completions` by pods that were already
 *   running in parallel when the count was reached and succeeded too (upstream then records
 *   `TooManySucceededPods`), so the bound is `completions + parallelism - 1`; counting one pod
 *   twice breaks it (see {@link succeededWithinCompletions});
 * - "never more active pods than parallelism" is a rule on creations: upstream counts only
 *   active pods (a terminating one may be replaced before it is gone) and a Job whose
 *   `parallelism` was lowered deletes the surplus later, so a Job creates a pod only while its
 *   active pods are fewer than `parallelism` (see {@link jobNotOvercreatedInvariant}).
 *
 * @module
 */
import { activeMs, controllerRef, invariant, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, Job, Pod } from '@kubeloop/core';

/** A pod that counts as active for its Job: not Succeeded, not Failed, not being deleted. */
function active(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp === undefined && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function finished(job: Job): boolean {
  return (job.status.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function jobUid(pod: Pod): string | undefined {
  const ref = controllerRef(pod);
  return ref?.kind === 'Job' ? ref.uid : undefined;
}

function podsByJob(pods: readonly Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    const uid = jobUid(p);
    if (uid === undefined) continue;
    const list = out.get(uid);
    if (list === undefined) out.set(uid, [p]);
    else list.push(p);
  }
  return out;
}

/** The completed indexes of the text form `1,3-5,7`, each as many times as the text names it. */
function listIndexes(text: string | undefined): number[] {
  if (text === undefined || text === '') return [];
  const out: number[] = [];
  for (const item of text.split(',')) {
    const [a, b] = item.split('-');
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (!Number.isInteger(first) || !Number.isInteger(last)) continue;
    for (let i = first; i <= last && i - first < 100_000; i++) out.push(i);
  }
  return out;
}

/** The state the invariants read. */
export interface JobState {
  /** Every Job. */
  readonly jobs: readonly Job[];
  /** Every pod. */
  readonly pods: readonly Pod[];
}

function jobState(state: ClusterState): JobState {
  return { jobs: state.of<Job>('Job'), pods: state.of<Pod>('Pod') };
}

/**
 * A NonIndexed Job with `completions` counts at most `completions` successes, except for the
 * pods already running when the count was reached that later succeeded too — at most
 * `parallelism - 1` of them: `status.succeeded ≤ completions + parallelism - 1` (and `≤
 * completions` when `parallelism` is 1). Counting one pod twice breaks it.
 */
export function succeededWithinCompletions(state: JobState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const job of state.jobs) {
    if (job.spec.completionMode === 'Indexed' || job.spec.completions === undefined) continue;
    const bound = job.spec.completions + Math.max(0, (job.spec.parallelism ?? 1) - 1);
    const succeeded = job.status.succeeded ?? 0;
    if (succeeded > bound) out.push({ message: `status.succeeded ${succeeded} exceeds completions ${job.spec.completions} (+ ${bound - job.spec.completions} pods running in parallel)`, objects: [refOf(job)] });
  }
  return out;
}

/**
 * Each index of an Indexed Job succeeds at most once: `status.completedIndexes` names no index
 * twice and none at or beyond `completions`, `status.succeeded` is the number it names, and no
 * index is both completed and failed.
 */
export function indexesSucceedOnce(state: JobState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const job of state.jobs) {
    if (job.spec.completionMode !== 'Indexed') continue;
    const completions = job.spec.completions ?? 0;
    const done = listIndexes(job.status.completedIndexes);
    const seen = new Set<number>();
    const problems: string[] = [];
    for (const i of done) {
      if (seen.has(i)) problems.push(`index ${i} is completed twice in "${job.status.completedIndexes}"`);
      if (i >= completions) problems.push(`completed index ${i} is not below completions ${completions}`);
      seen.add(i);
    }
    if ((job.status.succeeded ?? 0) !== seen.size) problems.push(`status.succeeded ${job.status.succeeded ?? 0}, completed indexes ${seen.size}`);
    for (const i of listIndexes(job.status.failedIndexes ?? undefined)) if (seen.has(i)) problems.push(`index ${i} is both completed and failed`);
    for (const message of problems) out.push({ message, objects: [refOf(job)] });
  }
  return out;
}

/** A Job that has finished (`Complete` or `Failed`) controls no active pod. */
export function finishedJobHasNoActivePods(state: JobState): InvariantViolation[] {
  const byJob = podsByJob(state.pods);
  const out: InvariantViolation[] = [];
  for (const job of state.jobs) {
    if (!finished(job)) continue;
    for (const p of byJob.get(job.metadata.uid ?? '') ?? []) if (active(p)) out.push({ message: `Job ${job.metadata.name} has finished but its pod ${p.metadata.name} is active (${p.status?.phase ?? 'Pending'})`, objects: [refOf(job), refOf(p)] });
  }
  return out;
}

/** Safety: {@link succeededWithinCompletions}. */
export const succeededWithinCompletionsInvariant: Invariant = invariant(
  'jobSucceededWithinCompletions',
  'A NonIndexed Job never counts more successes than completions (plus the pods that were running in parallel when the count was reached).',
  (state) => succeededWithinCompletions(jobState(state)),
  'safety',
);

/** Safety: {@link indexesSucceedOnce}. */
export const indexesSucceedOnceInvariant: Invariant = invariant('jobIndexesSucceedOnce', 'Each index of an Indexed Job succeeds at most once, and only indexes below completions.', (state) => indexesSucceedOnce(jobState(state)), 'safety');

/** Safety: {@link finishedJobHasNoActivePods}. */
export const finishedJobHasNoActivePodsInvariant: Invariant = invariant('finishedJobHasNoActivePods', 'A Job that is Complete or Failed controls no active pod.', (state) => finishedJobHasNoActivePods(jobState(state)), 'safety');

/** How far back (ms the cluster ran, clock jumps left out: see `activeMs`) a Job version still justifies a creation: a controller may act on a Job as its cache showed it that long ago. */
const WINDOW_MS = 60_000;

/** Per Job uid: the largest `parallelism` and the fewest successes of the versions seen from `since` on. */
interface Leeway {
  readonly parallelism: Map<string, number>;
  readonly succeeded: Map<string, number>;
}

function succeededOf(job: Job): number {
  return job.spec.completionMode === 'Indexed' ? new Set(listIndexes(job.status.completedIndexes)).size : (job.status.succeeded ?? 0);
}

function noteJob(leeway: Leeway, job: Job): void {
  const uid = job.metadata.uid ?? '';
  leeway.parallelism.set(uid, Math.max(leeway.parallelism.get(uid) ?? 0, job.spec.parallelism ?? 1));
  leeway.succeeded.set(uid, Math.min(leeway.succeeded.get(uid) ?? Number.POSITIVE_INFINITY, succeededOf(job)));
}

function recentVersions(state: ClusterState, since: number): Leeway {
  const leeway: Leeway = { parallelism: new Map(), succeeded: new Map() };
  let s: ClusterState = state;
  while (activeMs(s) >= since && s.previous !== undefined) {
    for (const c of s.changes) if (c.object.kind === 'Job' && activeMs(s, c.t ?? s.t) >= since) noteJob(leeway, c.object as Job);
    s = s.previous;
  }
  for (const j of s.of<Job>('Job')) noteJob(leeway, j);
  return leeway;
}

/**
 * Transition (safety): a Job creates a pod only while it controls fewer active pods than its
 * `parallelism`, and, with `completions`, fewer active pods than the completions still missing
 * (from its `status.succeeded`, or its completed indexes). Each bound is the most lenient of the
 * Job versions of the last minute (the controller may act on a lagging cache). Terminating pods
 * do not count: upstream starts replacements while they stop (unless `podReplacementPolicy:
 * Failed`). Every pod creation between the two states is replayed in order.
 */
export const jobNotOvercreatedInvariant: Invariant = transitionInvariant(
  'jobPodsWithinParallelism',
  'A Job creates a pod only while it has fewer active pods than parallelism and than the completions still missing.',
  (previous, state) => {
    const first = state.changes.find((c) => c.type === 'ADDED' && c.object.kind === 'Pod');
    if (first === undefined) return [];
    const leeway = recentVersions(previous, activeMs(state, first.t ?? state.t) - WINDOW_MS);
    const jobs = new Map<string, Job>(previous.of<Job>('Job').map((j) => [j.metadata.uid ?? '', j]));
    const pods = new Map<string, Pod>(previous.of<Pod>('Pod').map((p) => [p.metadata.uid ?? '', p]));
    const out: InvariantViolation[] = [];
    for (const c of state.changes) {
      if (c.object.kind === 'Job') {
        if (c.type !== 'DELETED') {
          jobs.set(c.object.metadata.uid ?? '', c.object as Job);
          noteJob(leeway, c.object as Job);
        }
        continue;
      }
      if (c.object.kind !== 'Pod') continue;
      const pod = c.object as Pod;
      const uid = pod.metadata.uid ?? '';
      if (c.type === 'DELETED') {
        pods.delete(uid);
        continue;
      }
      const owner = c.type === 'ADDED' ? jobUid(pod) : undefined;
      const job = owner === undefined ? undefined : jobs.get(owner);
      if (owner !== undefined && job !== undefined) {
        let activeCount = 0;
        for (const p of pods.values()) if (jobUid(p) === owner && active(p)) activeCount++;
        const parallelism = leeway.parallelism.get(owner) ?? job.spec.parallelism ?? 1;
        if (activeCount >= parallelism) out.push({ message: `Job ${job.metadata.name} created pod ${pod.metadata.name} while it had ${activeCount} active pods (parallelism ${parallelism})`, objects: [refOf(job), refOf(pod)] });
        else if (job.spec.completions !== undefined) {
          const missing = job.spec.completions - (leeway.succeeded.get(owner) ?? succeededOf(job));
          if (activeCount >= missing) out.push({ message: `Job ${job.metadata.name} created pod ${pod.metadata.name} while it had ${activeCount} active pods and ${Math.max(0, missing)} completions missing`, objects: [refOf(job), refOf(pod)] });
        }
      }
      pods.set(uid, pod);
    }
    return out;
  },
);



/**
 * After settling, no pod of a finished Job, or of a Job that is gone, still carries the
 * `batch.kubernetes.io/job-tracking` finalizer, and a finished Job has no uncounted pods
 * (`status.uncountedTerminatedPods` empty): finalizer-based tracking let go of every pod.
 */
export function trackingFinalizersReleased(state: JobState): InvariantViolation[] {
  const jobs = new Map(state.jobs.map((j) => [j.metadata.uid ?? '', j]));
  const out: InvariantViolation[] = [];
  for (const p of state.pods) {
    if (!(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')) continue;
    const uid = jobUid(p);
    const job = uid === undefined ? undefined : jobs.get(uid);
    if (job === undefined) out.push({ message: `pod ${p.metadata.name} keeps the job-tracking finalizer of a Job that is gone`, objects: [refOf(p)] });
    else if (finished(job)) out.push({ message: `pod ${p.metadata.name} keeps the job-tracking finalizer of finished Job ${job.metadata.name}`, objects: [refOf(p), refOf(job)] });
  }
  for (const j of state.jobs) {
    const u = j.status.uncountedTerminatedPods;
    const n = (u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0);
    if (finished(j) && n > 0) out.push({ message: `finished Job ${j.metadata.name} still has ${n} uncounted pods`, objects: [refOf(j)] });
  }
  return out;
}

/** Liveness: {@link trackingFinalizersReleased}. */
export const trackingFinalizersReleasedInvariant: Invariant = invariant(
  'jobTrackingFinalizersReleased',
  'After settling, no pod of a finished or deleted Job keeps the job-tracking finalizer, and a finished Job has no uncounted pods.',
  (state) => trackingFinalizersReleased(jobState(state)),
);

/** The invariants the Job plugin registers. */
export const JOB_INVARIANTS: readonly Invariant[] = [succeededWithinCompletionsInvariant, indexesSucceedOnceInvariant, finishedJobHasNoActivePodsInvariant, jobNotOvercreatedInvariant, trackingFinalizersReleasedInvariant];

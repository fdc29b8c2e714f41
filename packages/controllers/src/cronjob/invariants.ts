/**
 * Invariants of CronJobs and the Jobs they create, stated from the Kubernetes documentation in
 * their own code: the schedule times are computed here with croner directly (in the CronJob's
 * zone), never with the controller's `schedule.ts` or `decide.ts`.
 *
 * @module
 */
import { invariant, parseTime, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, CronJob, Invariant, InvariantViolation, Job, KubeObject } from '@kubeloop/core';
import { Cron } from 'croner';

const SCHEDULED_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

function ownerUid(job: KubeObject): string | undefined {
  const ref = job.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref?.kind === 'CronJob' ? ref.uid : undefined;
}

function finished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/**
 * Safety: a CronJob with `concurrencyPolicy: Forbid` never has two active Jobs — Jobs it
 * controls that have no `Complete` or `Failed` condition and are not being deleted ("if it is
 * time for a new Job run and the previous Job run hasn't finished yet, the CronJob skips the new
 * Job run").
 */
export function forbidConcurrentJobs(cronJobs: readonly CronJob[], jobs: readonly Job[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const cj of cronJobs) {
    if (cj.spec.concurrencyPolicy !== 'Forbid') continue;
    const running = jobs.filter((j) => ownerUid(j) === cj.metadata.uid && !finished(j) && j.metadata.deletionTimestamp === undefined);
    if (running.length > 1) out.push({ message: `concurrencyPolicy is Forbid and ${running.length} Jobs are active: ${running.map((j) => j.metadata.name).join(', ')}`, objects: [refOf(cj), ...running.map(refOf)] });
  }
  return out;
}

/** Whether `ms` is a time `schedule` names in `timeZone`, by croner's reading of the five fields; undefined when croner cannot tell (a descriptor such as `@every`, a syntax it lacks). */
function scheduleNames(schedule: string, timeZone: string | undefined, ms: number): boolean | undefined {
  if (/^(CRON_)?TZ=/.test(schedule) || schedule.startsWith('@every')) return undefined;
  let cron: Cron;
  try {
    cron = new Cron(schedule.replaceAll('?', '*'), { timezone: timeZone ?? 'UTC', mode: '5-part' });
  } catch {
    return undefined;
  }
  return ms % 60_000 === 0 && cron.match(new Date(ms));
}

/**
 * Safety: every Job a CronJob controls is for a time its schedule names: it carries the
 * `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation; that instant is a whole minute
 * whose wall-clock time in `spec.timeZone` (UTC when unset) matches `spec.schedule`, after the
 * CronJob's creation and not after the Job's; and the Job's name is `<cronjob>-<that time in
 * minutes since the epoch>`.
 *
 * Caveats: Jobs are judged against the CronJob's current schedule and zone, so a run that
 * edits them sees the Jobs of the old schedule flagged; `@every` schedules and `TZ=` prefixes
 * are not judged (croner has no reading of them).
 */
export function jobsOnSchedule(cronJobs: readonly CronJob[], jobs: readonly Job[]): InvariantViolation[] {
  const byUid = new Map(cronJobs.map((c) => [c.metadata.uid, c]));
  const out: InvariantViolation[] = [];
  for (const job of jobs) {
    const uid = ownerUid(job);
    const cj = uid === undefined ? undefined : byUid.get(uid);
    if (cj === undefined) continue;
    const text = job.metadata.annotations?.[SCHEDULED_ANNOTATION];
    const fail = (why: string) => out.push({ message: `Job ${job.metadata.name} of CronJob ${cj.metadata.name} (${cj.spec.schedule}): ${why}`, objects: [refOf(job), refOf(cj)] });
    if (text === undefined) {
      fail(`has no ${SCHEDULED_ANNOTATION} annotation`);
      continue;
    }
    const t = parseTime(text);
    if (Number.isNaN(t)) {
      fail(`scheduled timestamp ${text} is not RFC 3339`);
      continue;
    }
    if (job.metadata.name !== `${cj.metadata.name}-${Math.floor(t / 60_000)}`) fail(`name is not ${cj.metadata.name}-${Math.floor(t / 60_000)} for ${text}`);
    if (t <= parseTime(cj.metadata.creationTimestamp ?? '')) fail(`scheduled time ${text} is not after the CronJob's creation ${cj.metadata.creationTimestamp}`);
    if (t > parseTime(job.metadata.creationTimestamp ?? '')) fail(`scheduled time ${text} is after the Job's creation ${job.metadata.creationTimestamp}`);
    if (scheduleNames(cj.spec.schedule, cj.spec.timeZone, t) === false) fail(`the schedule does not name ${text} in ${cj.spec.timeZone ?? 'UTC'}`);
  }
  return out;
}

const FORBID = 'A CronJob with concurrencyPolicy Forbid never has two active (unfinished, not deleted) Jobs.';
const ON_SCHEDULE = "Every Job a CronJob controls is named and annotated for a time its schedule names, in its time zone, after the CronJob's creation.";
const ONE_PER_TIME = 'A CronJob creates at most one Job per schedule time, over the whole run.';

/** {@link forbidConcurrentJobs} over a cluster state (safety). */
export const cronJobForbidConcurrencyInvariant: Invariant = invariant('cronJobForbidConcurrency', FORBID, (s) => forbidConcurrentJobs(s.of<CronJob>('CronJob'), s.of<Job>('Job')), 'safety');

/** {@link jobsOnSchedule} over a cluster state (safety). */
export const cronJobJobsOnScheduleInvariant: Invariant = invariant('cronJobJobsOnSchedule', ON_SCHEDULE, (s) => jobsOnSchedule(s.of<CronJob>('CronJob'), s.of<Job>('Job')), 'safety');

function creations(state: ClusterState): { owner: string; time: string; job: Job }[] {
  const out: { owner: string; time: string; job: Job }[] = [];
  for (const c of state.changes) {
    if (c.type !== 'ADDED' || c.object.kind !== 'Job') continue;
    const owner = ownerUid(c.object);
    const time = c.object.metadata.annotations?.[SCHEDULED_ANNOTATION];
    if (owner !== undefined && time !== undefined) out.push({ owner, time: String(parseTime(time)), job: c.object as Job });
  }
  return out;
}

/**
 * Transition (safety): a CronJob creates at most one Job per schedule time over the whole run —
 * a Job created for a time for which the same CronJob (by uid) created a Job before, in this
 * step or any earlier one, even one deleted since by the history limits, is a violation (a time
 * run twice).
 */
export const cronJobOneJobPerTimeInvariant: Invariant = transitionInvariant('cronJobOneJobPerTime', ONE_PER_TIME, (previous, state) => {
  const now = creations(state);
  if (now.length === 0) return [];
  const seen = new Map<string, Job>();
  const out: InvariantViolation[] = [];
  const note = (c: { owner: string; time: string; job: Job }, mine: boolean) => {
    const key = `${c.owner}@${c.time}`;
    const before = seen.get(key);
    if (before !== undefined && mine) {
      out.push({ message: `Job ${c.job.metadata.name} is a second Job for the scheduled time ${c.job.metadata.annotations?.[SCHEDULED_ANNOTATION]} (after ${before.metadata.name})`, objects: [refOf(c.job), refOf(before)] });
    }
    if (before === undefined) seen.set(key, c.job);
  };
  const earlier: ClusterState[] = [];
  for (let s: ClusterState | undefined = previous; s !== undefined; s = s.previous) earlier.push(s);
  for (const s of earlier.reverse()) for (const c of creations(s)) note(c, false);
  // The objects of the first state were created before any change was recorded.
  const first = earlier[0];
  if (first !== undefined) {
    for (const job of first.of<Job>('Job')) {
      const owner = ownerUid(job);
      const time = job.metadata.annotations?.[SCHEDULED_ANNOTATION];
      if (owner !== undefined && time !== undefined && !seen.has(`${owner}@${parseTime(time)}`)) seen.set(`${owner}@${parseTime(time)}`, job);
    }
  }
  for (const c of now) note(c, true);
  return out;
});

/**
 * Liveness: once the cluster has settled, each CronJob's `status.active` lists exactly the
 * Jobs it controls that have not finished and are not being deleted (by uid), and nothing
 * else.
 */
export function activeMatchesJobs(cronJobs: readonly CronJob[], jobs: readonly Job[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const cj of cronJobs) {
    const running = jobs.filter((j) => ownerUid(j) === cj.metadata.uid && !finished(j) && j.metadata.deletionTimestamp === undefined);
    const want = running.map((j) => j.metadata.name ?? '').sort();
    const listed = (cj.status.active ?? []).map((a) => a.name ?? '').sort();
    const uids = new Set(running.map((j) => j.metadata.uid));
    const staleUid = (cj.status.active ?? []).some((a) => !uids.has(a.uid));
    if (want.join(',') !== listed.join(',') || staleUid) out.push({ message: `status.active lists [${listed.join(', ')}], the active Jobs are [${want.join(', ')}]`, objects: [refOf(cj)] });
  }
  return out;
}

/** {@link activeMatchesJobs} over a cluster state (liveness). */
export const cronJobActiveMatchesJobsInvariant: Invariant = invariant(
  'cronJobActiveMatchesJobs',
  "After settling, a CronJob's status.active lists exactly its unfinished Jobs.",
  (s) => activeMatchesJobs(s.of<CronJob>('CronJob'), s.of<Job>('Job')),
);

/** The invariants the CronJob plugin registers. */
export const CRONJOB_INVARIANTS: readonly Invariant[] = [cronJobForbidConcurrencyInvariant, cronJobJobsOnScheduleInvariant, cronJobOneJobPerTimeInvariant, cronJobActiveMatchesJobsInvariant];

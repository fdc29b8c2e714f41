/**
 * The CronJob controller (upstream `pkg/controller/cronjob/cronjob_controllerv2.go`): creates a
 * Job for each time a CronJob's schedule names, as the concurrency policy, the starting
 * deadline and `suspend` allow, keeps `status.active`, `lastScheduleTime` and
 * `lastSuccessfulTime`, deletes finished Jobs beyond the history limits, and wakes itself at
 * the next schedule time. The reconcile orchestrates; the decisions are in `decide.ts`,
 * `status.ts` and `schedule.ts`.
 *
 * One sync (upstream `sync` and `syncCronJob`):
 *
 * 1. the CronJob is gone → done;
 * 2. bring `status.active` up to date with the Jobs it controls (`SawCompletedJob`,
 *    `UnexpectedJob`, `MissingJob` after a live read), and `lastSuccessfulTime`; an unfinished
 *    Job it controls that `active` does not list (even on a live read) is added to it, and
 *    `lastScheduleTime` moved up to its time ({@link adoptUnexpected});
 * 3. being deleted, an unknown time zone (`UnknownTimeZone`), a schedule that does not parse
 *    (`UnparseableSchedule`) or `suspend` → only the status;
 * 4. decide about the most recent due schedule time ({@link decideSchedule}); to start it,
 *    claim it (write `lastScheduleTime` first, see below), delete the active Jobs under
 *    `Replace`, create the Job (an `AlreadyExists` of its own Job is adopted into `active`;
 *    another failure gives the claim back);
 * 5. delete the oldest finished Jobs beyond the history limits; write the status when it
 *    changed; requeue at the next schedule time (+100 ms).
 *
 * @module
 */
import { CronJobs, Jobs, controllerFor, controllerRef, done, formatTime, isApiError, objectKey, requeueAfter } from '@kubeloop/core';
import type { Controller, CronJob, CronJobStatus, EventRecorder, Job, Manager, Reconciler, Request, Result } from '@kubeloop/core';
import { decideSchedule, formatInZone, jobFromTemplate, jobReference, jobsBeyondHistoryLimits, nextScheduleDelay } from './decide.js';
import type { CronJobEvent } from './decide.js';
import { CronScheduleError, parseCronSchedule } from './schedule.js';
import type { CronSchedule } from './schedule.js';
import { adoptUnexpected, cronJobStatusEqual, reconcileActive } from './status.js';

/** The controller's name (`--controllers=cronjob`). */
export const CRONJOB_CONTROLLER_NAME = 'cronjob';
/** The component of its events (upstream `cronjob-controller`). */
export const CRONJOB_CONTROLLER_COMPONENT = 'cronjob-controller';

/** Options of the CronJob controller. */
export interface CronJobControllerOptions {
  /** Workers (`--concurrent-cron-job-syncs`, default 5). */
  readonly concurrency?: number | undefined;
}

/** Upstream's default number of CronJob workers (`ConcurrentCronJobSyncs`). */
export const DEFAULT_CRONJOB_CONCURRENCY = 5;

/** The Jobs `cronJob` controls (by controller reference uid), from `jobs` of its namespace. */
function controlledJobs(cronJob: CronJob, jobs: readonly Job[]): Job[] {
  return jobs.filter((j) => {
    const ref = controllerRef(j);
    return ref?.kind === 'CronJob' && ref.uid === cronJob.metadata.uid;
  });
}

/**
 * The CronJob reconciler: one call is one upstream `sync`.
 *
 * Guarantees: level-triggered — everything is derived from the caches, `status.lastScheduleTime`
 * and live reads, so a missed event or a restart only delays a Job; a Job's name is its
 * schedule time in minutes, so a schedule time is never run twice whatever the controller
 * missed (a second create is `AlreadyExists`, and is adopted into `active`); all time is the
 * manager's clock.
 *
 * Errors: a failed create, replace or status write is thrown after the status write it allows,
 * so the queue retries with back-off; a broken schedule or zone is an event, not an error (the
 * CronJob waits for a change, as upstream).
 */
export class CronJobReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #recorder: EventRecorder;

  /** A reconciler on `manager`'s caches, client and clock. */
  constructor(manager: Manager) {
    this.#manager = manager;
    this.#recorder = manager.recorder(CRONJOB_CONTROLLER_COMPONENT);
  }

  async #record(cronJob: CronJob, events: readonly CronJobEvent[]): Promise<void> {
    for (const e of events) await this.#recorder.event(cronJob, e.type, e.reason, e.message);
  }

  /** Syncs one CronJob (see the module documentation for the steps). */
  async reconcile(request: Request): Promise<Result> {
    const { client, clock } = this.#manager;
    let cronJob = this.#manager.cache(CronJobs).get(request);
    if (cronJob === undefined) return done;
    const jobs = controlledJobs(cronJob, this.#manager.cache(Jobs).list(request.namespace ?? ''));

    let seen = reconcileActive(cronJob, jobs);
    if (seen.unexpected.length > 0) {
      // The cache may not show our own last status write yet: ask the server.
      let fresh: CronJob;
      try {
        fresh = await client.get(CronJobs, request);
      } catch (error) {
        if (isApiError(error, 'NotFound')) return done;
        throw error;
      }
      if (fresh.metadata.uid !== cronJob.metadata.uid) return done;
      const listed = new Set((fresh.status.active ?? []).map((a) => a.uid));
      if (seen.unexpected.some((j) => listed.has(j.metadata.uid))) {
        cronJob = fresh;
        seen = reconcileActive(cronJob, jobs);
      }
      for (const j of seen.unexpected) {
        await this.#recorder.event(cronJob, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name ?? ''}`);
      }
    }
    await this.#record(cronJob, seen.events);
    // Deviation: upstream only warns about these; counting them as active keeps a Forbid
    // CronJob from starting a second Job after a crash between a create and its status write.
    let status: CronJobStatus = adoptUnexpected(seen.status, seen.unexpected);
    for (const ref of seen.missing) {
      try {
        await client.get(Jobs, { namespace: ref.namespace ?? '', name: ref.name ?? '' });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        await this.#recorder.event(cronJob, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
        status = { ...status, active: (status.active ?? []).filter((a) => a.uid !== ref.uid) };
      }
    }

    const outcome = await this.#schedule({ ...cronJob, status }, clock.now());
    status = outcome.status;
    // The stored version the final write builds on (and is compared with): the claim's, when
    // the sync made one, else the one read (from the cache, or live after an unexpected Job).
    const base = outcome.claimed ?? cronJob;
    const current: CronJob = { ...cronJob, status };
    if (outcome.error === undefined) {
      for (const job of jobsBeyondHistoryLimits(current, jobs)) {
        if (await this.#deleteJob(current, job)) status = { ...status, active: (status.active ?? []).filter((a) => a.uid !== job.metadata.uid) };
      }
    }
    if (!cronJobStatusEqual(base.status, status)) {
      try {
        await client.updateStatus(CronJobs, { ...base, status });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        return done;
      }
    }
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.requeueMs === undefined ? done : requeueAfter(Math.max(0, outcome.requeueMs));
  }

  /**
   * The schedule half of a sync; returns the status to write, when to look again, the error to
   * retry on, and the CronJob as its claim of a schedule time stored it.
   */
  async #schedule(cronJob: CronJob, now: number): Promise<ScheduleOutcome> {
    const status = cronJob.status;
    if (cronJob.metadata.deletionTimestamp !== undefined) return { status };
    let schedule: CronSchedule;
    try {
      schedule = parseCronSchedule(cronJob.spec.schedule, cronJob.spec.timeZone);
    } catch (error) {
      if (!(error instanceof CronScheduleError)) throw error;
      if (error.code === 'timeZone') {
        await this.#recorder.event(cronJob, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(cronJob.spec.timeZone ?? '')}: ${error.message}`);
      } else if (!cronJob.spec.suspend) {
        await this.#recorder.event(cronJob, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cronJob.spec.schedule)} : ${error.message}`);
      }
      return { status };
    }
    if (cronJob.spec.suspend) return { status };
    if (cronJob.spec.schedule.includes('TZ')) {
      await this.#recorder.event(
        cronJob,
        'Warning',
        'UnsupportedSchedule',
        `CRON_TZ or TZ used in schedule ${JSON.stringify(cronJob.spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      );
    }
    const decision = decideSchedule(cronJob, now, schedule);
    await this.#record(cronJob, decision.events);
    switch (decision.action) {
      case 'stop':
        return { status };
      case 'wait':
        return { status, requeueMs: decision.requeueMs };
      case 'start':
        break;
    }
    const scheduled = decision.scheduledTime;
    // Deviation: claim the time (write lastScheduleTime, under the cached resourceVersion) before
    // creating its Job. Upstream writes it after, so a crash in between followed by the Job's
    // deletion, or a sync on a CronJob cache that lags its own last write, runs a time twice
    // (kubernetes.io: "two jobs might be created"); claimed first, a lagging cache conflicts
    // (409, retried on fresh state) and a crash skips the time at worst. A failed create gives
    // the claim back.
    let claimed: CronJob;
    try {
      claimed = await this.#manager.client.updateStatus(CronJobs, { ...cronJob, status: { ...status, lastScheduleTime: formatTime(scheduled) } });
    } catch (error) {
      return { status, error };
    }
    let active = status.active ?? [];
    for (const ref of decision.replace) {
      let job: Job;
      try {
        job = await this.#manager.client.get(Jobs, { namespace: ref.namespace ?? '', name: ref.name ?? '' });
      } catch (error) {
        await this.#recorder.event(cronJob, 'Warning', 'FailedGet', `Get job: ${message(error)}`);
        return { status: { ...status, active }, error, claimed };
      }
      if (!(await this.#deleteJob(cronJob, job))) {
        return { status: { ...status, active }, error: new Error(`could not replace job ${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}`), claimed };
      }
      active = active.filter((a) => a.uid !== job.metadata.uid);
    }
    const request = jobFromTemplate(cronJob, scheduled, formatInZone(scheduled, schedule.timeZone));
    let created: Job;
    try {
      created = await this.#manager.client.create(Jobs, request);
      await this.#recorder.event(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name ?? ''}`);
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) {
        if (!isApiError(error, 'Forbidden') || !message(error).includes('being terminated')) {
          await this.#recorder.event(cronJob, 'Warning', 'FailedCreate', `Error creating job: ${message(error)}`);
        }
        return { status: { ...status, active }, error, claimed };
      }
      // Ours from a sync whose status write was lost? Then it belongs in `active`.
      const lastScheduleTime = claimed.status.lastScheduleTime;
      try {
        created = await this.#manager.client.get(Jobs, objectKey(request));
      } catch (getError) {
        return { status: { ...status, active, lastScheduleTime }, error: getError, claimed };
      }
      if (controllerRef(created)?.uid !== cronJob.metadata.uid || active.some((a) => a.uid === created.metadata.uid)) return { status: { ...status, active, lastScheduleTime }, claimed };
    }
    const next: CronJobStatus = { ...status, active: [...active, jobReference(created)], lastScheduleTime: claimed.status.lastScheduleTime };
    return { status: next, requeueMs: nextScheduleDelay({ ...cronJob, status: next }, now, schedule), claimed };
  }

  /**
   * Deletes a Job in the background (upstream `deleteJob`); false (after a `FailedDelete` event)
   * when that failed. A Job already gone (a stale cache) counts as deleted, without an event.
   */
  async #deleteJob(cronJob: CronJob, job: Job): Promise<boolean> {
    try {
      await this.#manager.client.delete(Jobs, objectKey(job), { propagationPolicy: 'Background' });
    } catch (error) {
      if (isApiError(error, 'NotFound')) return true;
      await this.#recorder.event(cronJob, 'Warning', 'FailedDelete', `Deleted job: ${message(error)}`);
      return false;
    }
    await this.#recorder.event(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name ?? ''}`);
    return true;
  }
}

/** What the schedule half of a sync did. */
interface ScheduleOutcome {
  /** The status to write. */
  readonly status: CronJobStatus;
  /** When to look again (ms), if at all. */
  readonly requeueMs?: number | undefined;
  /** The error to retry on, after the status write. */
  readonly error?: unknown;
  /** The CronJob as the claim of a schedule time stored it (its resourceVersion is the one to write on). */
  readonly claimed?: CronJob | undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Builds the CronJob controller (`cronjob`, events from `cronjob-controller`) on `manager`:
 * reconciles CronJobs on their own changes and on the events of the Jobs they control, and at
 * each CronJob's next schedule time.
 */
export function cronJobController(manager: Manager, options: CronJobControllerOptions = {}): Controller {
  return controllerFor(manager, CronJobs)
    .named(CRONJOB_CONTROLLER_NAME)
    .owns(Jobs)
    .withConcurrency(options.concurrency ?? DEFAULT_CRONJOB_CONCURRENCY)
    .complete(new CronJobReconciler(manager));
}

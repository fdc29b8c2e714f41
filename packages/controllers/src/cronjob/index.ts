/**
 * The CronJob controller — upstream's `pkg/controller/cronjob` (the v2 controller): a Job for
 * each time a CronJob's schedule names, in its `spec.timeZone`, as `concurrencyPolicy`
 * (Allow, Forbid, Replace), `startingDeadlineSeconds` and `suspend` allow; upstream's handling
 * of missed schedule times (the most recent is run; more than 100 is `TooManyMissedTimes`);
 * Jobs named `<cronjob>-<scheduled time in minutes>` with the
 * `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation; `status.active`,
 * `lastScheduleTime`, `lastSuccessfulTime`; the history limits; upstream's events. Schedules are
 * checked as robfig/cron's `ParseStandard` checks them and computed with croner, across
 * daylight-saving transitions as robfig does.
 *
 * Deviations from upstream:
 * - without `spec.timeZone` a schedule runs in UTC (upstream: kube-controller-manager's local
 *   zone);
 * - `lastSuccessfulTime` is set in the sync that sees a Job succeed (upstream: the next one);
 * - a schedule time is claimed (`lastScheduleTime` written, under the cached resourceVersion)
 *   before its Job is created, and given back if the create fails; upstream writes it after,
 *   so a crash in between, or a cache one write behind, runs a time twice if its Job is
 *   deleted meanwhile (kubernetes.io: "two jobs might be created"); here a crash may skip a
 *   time instead (kubernetes.io: "or no job might be created");
 * - an unfinished Job the CronJob controls that `status.active` does not list (a crash between
 *   creating it and writing the status, with the next schedule time come meanwhile) is added
 *   to `active` after the `UnexpectedJob` warning, `lastScheduleTime` moved up to its time;
 *   upstream only warns, so a Forbid CronJob may then run two Jobs at once, which its own
 *   documentation calls possible.
 *
 * Caveat: the `MissSchedule` check is upstream's (a due time older than
 * `startingDeadlineSeconds`), and as upstream's it cannot fire: the search for due times
 * already starts at `now − startingDeadlineSeconds`, so such times are never found; they are
 * skipped silently.
 *
 * @module
 */

// Registration
export { cronJobPlugin, CRONJOB_PLUGIN_NAME } from './plugin.js';
export type { CronJobPluginOptions } from './plugin.js';
export { cronJobScheduleAdmission, CRONJOB_SCHEDULE_ADMISSION } from './admission.js';

// The controller
export { CRONJOB_CONTROLLER_COMPONENT, CRONJOB_CONTROLLER_NAME, CronJobReconciler, DEFAULT_CRONJOB_CONCURRENCY, cronJobController } from './controller.js';
export type { CronJobControllerOptions } from './controller.js';

// Schedules
export { CRON_DESCRIPTORS, CronScheduleError, instantsAt, parseCronSchedule, timeZoneProblem, validateCronSchedule, wallClockMs } from './schedule.js';
export type { CronFieldProblem, CronSchedule } from './schedule.js';

// Decisions
export {
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  MAX_MISSED_SCHEDULES,
  NEXT_SCHEDULE_DELTA_MS,
  cronJobJobName,
  decideSchedule,
  finishedCondition,
  formatInZone,
  formatRfc1123z,
  jobFromTemplate,
  jobReference,
  jobsBeyondHistoryLimits,
  mostRecentScheduleTime,
  nextScheduleDelay,
  oldestJobsBeyond,
} from './decide.js';
export type { CronJobEvent, MissedSchedules, MostRecentSchedule, ScheduleDecision } from './decide.js';
export { adoptUnexpected, cronJobStatusEqual, reconcileActive } from './status.js';
export type { ActiveReconciliation } from './status.js';

// Invariants
export { CRONJOB_INVARIANTS, activeMatchesJobs, cronJobActiveMatchesJobsInvariant, cronJobForbidConcurrencyInvariant, cronJobJobsOnScheduleInvariant, cronJobOneJobPerTimeInvariant, forbidConcurrentJobs, jobsOnSchedule } from './invariants.js';

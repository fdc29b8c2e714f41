/**
 * The CronJob schedule and time-zone checks of upstream's API server
 * (`pkg/apis/batch/validation`: `validateScheduleFormat`, `validateTimeZone`), as an admission
 * hook the CronJob plugin installs: core's CronJob kind only checks the shape of a schedule, the
 * cron parser lives with the controller.
 *
 * @module
 */
import type { AdmissionHook, AdmissionRequest, CronJob, FieldError } from '@kubeloop/core';
import { validateCronSchedule } from './schedule.js';

/** The hook's name. */
export const CRONJOB_SCHEDULE_ADMISSION = 'CronJobSchedule';

/**
 * Refuses a CronJob whose schedule or time zone upstream refuses, with the field path and
 * upstream's detail: `spec.schedule: Invalid value: "61 * * * *": end of range (61) above
 * maximum (59): 61`, `spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or
 * CRON_TZ in schedule, use timeZone field instead`, `spec.timeZone: Invalid value: "Mars/Base":
 * unknown time zone Mars/Base`.
 *
 * On update, only a changed schedule or zone is checked, and a `TZ=` prefix the CronJob already
 * had stays allowed (upstream's `AllowTZInSchedule` for objects stored before the rule); status
 * writes are not checked.
 */
export function cronJobScheduleAdmission(): AdmissionHook {
  return {
    name: CRONJOB_SCHEDULE_ADMISSION,
    resources: ['cronjobs.batch'],
    operations: ['CREATE', 'UPDATE'],
    validate(request: AdmissionRequest): readonly FieldError[] {
      if (request.subresource !== undefined) return [];
      const cj = request.object as CronJob;
      const old = request.oldObject as CronJob | undefined;
      if (old !== undefined && old.spec.schedule === cj.spec.schedule && old.spec.timeZone === cj.spec.timeZone) return [];
      const allowTZ = old !== undefined && old.spec.schedule.includes('TZ');
      return validateCronSchedule(cj.spec.schedule, cj.spec.timeZone)
        .filter((p) => !(allowTZ && p.detail.startsWith('cannot use TZ')))
        .map((p) => ({ type: 'FieldValueInvalid', field: p.field, value: p.value, detail: p.detail }));
    },
  };
}

/**
 * The batch/v1 kinds: Job and CronJob, with the defaults of pkg/apis/batch/v1/defaults.go
 * and the rules of pkg/apis/batch/validation.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { ObjectReferenceSchema, PodTemplateSpecSchema, defaultPodTemplate } from './pod.js';
import { immutable, invalidValue, nonNegative, positive, required } from './internal.js';
import { validateSelectorAndTemplate } from './workload.js';

/** A Job condition (`Complete`, `Failed`, `Suspended`, `FailureTarget`, `SuccessCriteriaMet`). */
export const JobConditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  lastProbeTime: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A Job condition. */
export type JobCondition = z.infer<typeof JobConditionSchema>;

/** A rule of a pod failure policy (modelled as written; the job controller interprets it). */
export const PodFailurePolicyRuleSchema = z.object({
  action: z.enum(['FailJob', 'FailIndex', 'Ignore', 'Count']),
  onExitCodes: z
    .object({ containerName: z.string().optional(), operator: z.enum(['In', 'NotIn']), values: z.array(z.number().int()) })
    .optional(),
  onPodConditions: z.array(z.object({ type: z.string(), status: z.enum(['True', 'False', 'Unknown']).default('True') })).optional(),
});
/** A rule of a pod failure policy. */
export type PodFailurePolicyRule = z.infer<typeof PodFailurePolicyRuleSchema>;

/**
 * The Job spec. `completions`, `parallelism` and `backoffLimit` are defaulted by the kind's
 * `defaults` hook because they depend on each other (both counts 1 when neither is set,
 * backoffLimit 6); `completionMode` NonIndexed, `suspend` false and `manualSelector` false
 * are plain defaults.
 */
export const JobSpecSchema = z.object({
  parallelism: z.number().int().optional(),
  completions: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  podFailurePolicy: z.object({ rules: z.array(PodFailurePolicyRuleSchema) }).optional(),
  successPolicy: z
    .object({ rules: z.array(z.object({ succeededIndexes: z.string().optional(), succeededCount: z.number().int().optional() })) })
    .optional(),
  backoffLimit: z.number().int().optional(),
  backoffLimitPerIndex: z.number().int().optional(),
  maxFailedIndexes: z.number().int().optional(),
  selector: LabelSelectorSchema.optional(),
  manualSelector: z.boolean().optional(),
  template: PodTemplateSpecSchema,
  ttlSecondsAfterFinished: z.number().int().optional(),
  completionMode: z.enum(['NonIndexed', 'Indexed']).default('NonIndexed'),
  suspend: z.boolean().default(false),
  podReplacementPolicy: z.enum(['TerminatingOrFailed', 'Failed']).optional(),
  managedBy: z.string().optional(),
});
/** The Job spec. */
export type JobSpec = z.infer<typeof JobSpecSchema>;

/** The Job status, as the job controller computes it. */
export const JobStatusSchema = z.object({
  conditions: z.array(JobConditionSchema).optional(),
  startTime: z.string().optional(),
  completionTime: z.string().optional(),
  active: z.number().int().optional(),
  succeeded: z.number().int().optional(),
  failed: z.number().int().optional(),
  terminating: z.number().int().optional(),
  ready: z.number().int().optional(),
  completedIndexes: z.string().optional(),
  failedIndexes: z.string().optional(),
  uncountedTerminatedPods: z.object({ succeeded: z.array(z.string()).optional(), failed: z.array(z.string()).optional() }).optional(),
});
/** The Job status. */
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** A Job (batch/v1). */
export const JobSchema = z.object({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('Job'),
  metadata: ObjectMetaSchema,
  spec: JobSpecSchema,
  status: JobStatusSchema.prefault({}),
});
/** A Job. */
export type Job = z.infer<typeof JobSchema>;

/** The label a Job puts on its pods and selects them by, with the Job's uid (upstream `batch.kubernetes.io/controller-uid`). */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** The label a Job puts on its pods with its name (upstream `batch.kubernetes.io/job-name`). */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/**
 * Upstream's Job defaults (`SetDefaults_Job`): completions and parallelism 1 when neither is
 * set, parallelism 1 otherwise, backoffLimit 6 (unbounded with backoffLimitPerIndex),
 * podReplacementPolicy by podFailurePolicy, the Job's labels from the template's; and the
 * generated selector of {@link generateJobSelector} when the Job already has a uid.
 */
export function defaultJob(job: Job): Job {
  const spec = { ...job.spec, template: defaultPodTemplate(job.spec.template) };
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.podReplacementPolicy ??= spec.podFailurePolicy !== undefined ? 'Failed' : 'TerminatingOrFailed';
  const out = generateJobSelector({ ...job, spec });
  const templateLabels = out.spec.template.metadata.labels;
  if (templateLabels !== undefined && Object.keys(out.metadata.labels ?? {}).length === 0) {
    return { ...out, metadata: { ...out.metadata, labels: { ...templateLabels } } };
  }
  return out;
}

/**
 * Upstream's Job registry `generateSelector`, run on create: unless `manualSelector` is true,
 * the template gets the `controller-uid` and `job-name` labels (legacy and
 * `batch.kubernetes.io/` forms; labels the user set are kept, a conflict is then rejected by
 * validation) and the selector gets `batch.kubernetes.io/controller-uid=<uid>` in its
 * `matchLabels` (a selector the user gave without `manualSelector` is kept and narrowed to this
 * Job). Needs `metadata.uid`, so it is the Jobs definition's `prepareForCreate`, which the store
 * runs after assigning the uid; a Job without uid is returned unchanged. Idempotent.
 */
export function generateJobSelector(job: Job): Job {
  const uid = job.metadata.uid;
  if (job.spec.manualSelector === true || uid === undefined || uid === '') return job;
  const name = job.metadata.name ?? '';
  const generated: Record<string, string> = { 'controller-uid': uid, 'job-name': name, [JOB_CONTROLLER_UID_LABEL]: uid, [JOB_NAME_LABEL]: name };
  const current = job.spec.template.metadata.labels ?? {};
  const missing = Object.entries(generated).filter(([k]) => !(k in current));
  const selector = job.spec.selector ?? {};
  const selected = selector.matchLabels?.[JOB_CONTROLLER_UID_LABEL] !== undefined;
  if (missing.length === 0 && selected && job.spec.selector !== undefined) return job;
  const labels = { ...current, ...Object.fromEntries(missing) };
  const template = { ...job.spec.template, metadata: { ...job.spec.template.metadata, labels } };
  const metadata = Object.keys(job.metadata.labels ?? {}).length === 0 ? { ...job.metadata, labels: { ...labels } } : job.metadata;
  const matchLabels = selected ? selector.matchLabels : { ...selector.matchLabels, [JOB_CONTROLLER_UID_LABEL]: uid };
  return { ...job, metadata, spec: { ...job.spec, selector: { ...selector, matchLabels }, template } };
}

/**
 * Upstream `ValidateGeneratedSelector`: without `manualSelector`, the selector and the template
 * must carry this Job's uid (a user who set another `controller-uid` is told the selector was
 * not auto-generated).
 */
function validateGeneratedSelector(job: Job): FieldError[] {
  const uid = job.metadata.uid;
  if (job.spec.manualSelector === true || uid === undefined || uid === '' || job.spec.selector === undefined) return [];
  const errs: FieldError[] = [];
  const selected = job.spec.selector.matchLabels?.[JOB_CONTROLLER_UID_LABEL];
  if (selected !== undefined && selected !== uid) errs.push(invalidValue('spec.selector', JSON.stringify(job.spec.selector), '`selector` not auto-generated'));
  return errs;
}

/** Validates a Job spec at `field` (shared with CronJob job templates). */
function validateJobSpec(spec: JobSpec, field: string, requireSelector: boolean): FieldError[] {
  const errs: FieldError[] = [
    ...nonNegative(`${field}.parallelism`, spec.parallelism),
    ...nonNegative(`${field}.completions`, spec.completions),
    ...nonNegative(`${field}.backoffLimit`, spec.backoffLimit),
    ...nonNegative(`${field}.ttlSecondsAfterFinished`, spec.ttlSecondsAfterFinished),
    ...nonNegative(`${field}.backoffLimitPerIndex`, spec.backoffLimitPerIndex),
    ...nonNegative(`${field}.maxFailedIndexes`, spec.maxFailedIndexes),
    ...positive(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds),
  ];
  if (spec.completionMode === 'Indexed') {
    if (spec.completions === undefined) errs.push(required(`${field}.completions`, 'when completion mode is Indexed'));
  } else if (spec.backoffLimitPerIndex !== undefined) {
    errs.push(invalidValue(`${field}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, 'requires indexed completion mode'));
  }
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) {
    errs.push(required(`${field}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  if (requireSelector || spec.selector !== undefined) {
    errs.push(
      ...validateSelectorAndTemplate(spec.selector, spec.template, {
        kind: 'job',
        restartPolicies: ['OnFailure', 'Never'],
        allowEmptySelector: true,
      }, field),
    );
  } else {
    // Without a selector (a CronJob's template, or a Job before its selector is generated)
    // only the template itself is checked.
    errs.push(
      ...validateSelectorAndTemplate({ matchLabels: {} }, spec.template, {
        kind: 'job',
        restartPolicies: ['OnFailure', 'Never'],
        allowEmptySelector: true,
      }, field),
    );
  }
  if (spec.podFailurePolicy && spec.template.spec.restartPolicy !== 'Never') {
    errs.push(
      invalidValue(`${field}.template.spec.restartPolicy`, spec.template.spec.restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'),
    );
  }
  return errs;
}

/**
 * Jobs (batch/v1): upstream's defaults (one completion at parallelism 1 unless told, backoff
 * limit 6, a generated `controller-uid` selector unless `manualSelector`), `ValidateJob`
 * (restartPolicy OnFailure or Never, non-negative counts, Indexed jobs need completions, the
 * selector matches the template) and `ValidateJobUpdate` (selector, completionMode and,
 * unless suspended, the template are immutable).
 */
export const Jobs = defineResource({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
  schema: JobSchema,
  subresources: { status: true },
  defaults: defaultJob,
  prepareForCreate: generateJobSelector,
  validate(job) {
    return [...validateGeneratedSelector(job), ...validateJobSpec(job.spec, 'spec', job.spec.manualSelector === true)];
  },
  validateUpdate(job, old) {
    const errs = [
      ...immutable('spec.selector', job.spec.selector, old.spec.selector),
      ...immutable('spec.completionMode', job.spec.completionMode, old.spec.completionMode),
    ];
    // Upstream lets a suspended job that has not started change its pod template's scheduling.
    const mayMutateTemplate = old.spec.suspend && old.status.startTime === undefined;
    if (!mayMutateTemplate) errs.push(...immutable('spec.template', job.spec.template, old.spec.template));
    if (job.spec.completionMode !== 'Indexed' || job.spec.completions !== job.spec.parallelism) {
      errs.push(...immutable('spec.completions', job.spec.completions, old.spec.completions));
    }
    return errs;
  },
  fieldSelectors: { 'status.successful': { get: (j) => String(j.status.succeeded ?? 0) } },
});

/** The template of the Jobs a CronJob creates. */
export const JobTemplateSpecSchema = z.object({
  metadata: ObjectMetaSchema.prefault({}),
  spec: JobSpecSchema,
});
/** The template of the Jobs a CronJob creates. */
export type JobTemplateSpec = z.infer<typeof JobTemplateSpecSchema>;

/**
 * The CronJob spec, with upstream's defaults: concurrencyPolicy Allow, suspend false,
 * successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1.
 */
export const CronJobSpecSchema = z.object({
  schedule: z.string(),
  timeZone: z.string().optional(),
  startingDeadlineSeconds: z.number().int().optional(),
  concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).default('Allow'),
  suspend: z.boolean().default(false),
  // `as typeof`: the built .d.ts then names the Job template's schema instead of inlining it.
  // Inlined, CronJob's type nested a pod spec so deep that TypeScript gave up inferring it and
  // typed the innermost fields (a projected downwardAPI item's fieldRef) Record<string, unknown>.
  jobTemplate: JobTemplateSpecSchema as typeof JobTemplateSpecSchema,
  successfulJobsHistoryLimit: z.number().int().default(3),
  failedJobsHistoryLimit: z.number().int().default(1),
});
/** The CronJob spec. */
export type CronJobSpec = z.infer<typeof CronJobSpecSchema>;

/** The CronJob status: running jobs and the last schedule times. */
export const CronJobStatusSchema = z.object({
  active: z.array(ObjectReferenceSchema).optional(),
  lastScheduleTime: z.string().optional(),
  lastSuccessfulTime: z.string().optional(),
});
/** The CronJob status. */
export type CronJobStatus = z.infer<typeof CronJobStatusSchema>;

/** A CronJob (batch/v1). */
export const CronJobSchema = z.object({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('CronJob'),
  metadata: ObjectMetaSchema,
  spec: CronJobSpecSchema as typeof CronJobSpecSchema, // named in the .d.ts, as jobTemplate above
  status: CronJobStatusSchema.prefault({}),
});
/** A CronJob. */
export type CronJob = z.infer<typeof CronJobSchema>;

const CRON_DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * A shallow check of a cron schedule: a descriptor (`@hourly`, `@every 5m`) or five fields,
 * and no `TZ=` prefix (use `timeZone`). Field contents are not parsed.
 */
function validateSchedule(schedule: string, field: string): FieldError[] {
  const s = schedule.trim();
  if (s === '') return [required(field)];
  if (/^(CRON_)?TZ=/.test(s)) {
    return [invalidValue(field, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead')];
  }
  if (s.startsWith('@')) {
    if (CRON_DESCRIPTORS.has(s) || /^@every\s+\S+$/.test(s)) return [];
    return [invalidValue(field, schedule, `unrecognized descriptor: ${s}`)];
  }
  const fields = s.split(/\s+/);
  // robfig/cron's wording, fields printed as a Go slice: `found 4: [* * * *]`.
  return fields.length === 5 ? [] : [invalidValue(field, schedule, `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`)];
}

/**
 * CronJobs (batch/v1, `cj`): upstream's defaults (Allow, not suspended, history limits 3 and
 * 1) and `ValidateCronJob` (a schedule, non-negative limits and deadline, a valid job template
 * with restartPolicy OnFailure or Never; the name at most 52 characters so that job names fit).
 */
export const CronJobs = defineResource({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  shortNames: ['cj'],
  namespaced: true,
  schema: CronJobSchema,
  subresources: { status: true },
  defaults(cj) {
    const template = defaultPodTemplate(cj.spec.jobTemplate.spec.template);
    if (template === cj.spec.jobTemplate.spec.template) return cj;
    const jobTemplate = { ...cj.spec.jobTemplate, spec: { ...cj.spec.jobTemplate.spec, template } };
    return { ...cj, spec: { ...cj.spec, jobTemplate } };
  },
  validate(cj) {
    const spec = cj.spec;
    const errs: FieldError[] = [
      ...validateSchedule(spec.schedule, 'spec.schedule'),
      ...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds),
      ...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit),
      ...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit),
      ...validateJobSpec(spec.jobTemplate.spec, 'spec.jobTemplate.spec', spec.jobTemplate.spec.manualSelector === true),
    ];
    const name = cj.metadata.name ?? '';
    if (name.length > 52) errs.push(invalidValue('metadata.name', name, 'must be no more than 52 characters'));
    if (spec.timeZone !== undefined && /\s/.test(spec.timeZone)) {
      errs.push(invalidValue('spec.timeZone', spec.timeZone, 'unknown time zone'));
    }
    return errs;
  },
});

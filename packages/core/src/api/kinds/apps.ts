/**
 * The apps/v1 kinds: ReplicaSet, Deployment, StatefulSet, DaemonSet and ControllerRevision,
 * with the defaults of pkg/apis/apps/v1/defaults.go and the rules of
 * pkg/apis/apps/validation.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema, LabelSelectorSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { PersistentVolumeClaimSpecSchema, PodTemplateSpecSchema, defaultPodTemplate, type PodTemplateSpec } from './pod.js';
import { PersistentVolumeClaimStatusSchema, validatePersistentVolumeClaimSpec } from './volume.js';
import {
  IntOrStringSchema,
  checkDns1123Label,
  equalExcept,
  duplicate,
  forbidden,
  immutable,
  intOrPercent,
  intOrPercentValue,
  invalidValue,
  nonNegative,
  notMoreThan100Percent,
  required,
} from './internal.js';
import { noActiveDeadline, validateSelectorAndTemplate } from './workload.js';

/** A workload condition (`Available`, `Progressing`, `ReplicaFailure`) with its update time. */
export const WorkloadConditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  lastUpdateTime: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A workload condition. */
export type WorkloadCondition = z.infer<typeof WorkloadConditionSchema>;

const ALWAYS = ['Always'] as const;

/** Applies the pod-spec defaults to a workload's `spec.template`, returning the same object if nothing changed. */
function withTemplateDefaults<T extends { spec: { template: PodTemplateSpec } }>(obj: T): T {
  const template = defaultPodTemplate(obj.spec.template);
  return template === obj.spec.template ? obj : { ...obj, spec: { ...obj.spec, template } };
}

/** The rolling-update parameters shared by Deployments and DaemonSets: both ≥ 0, not both 0, at most 100%. */
function validateRollingUpdate(
  maxUnavailable: number | string | undefined,
  maxSurge: number | string | undefined,
  field: string,
): FieldError[] {
  const errs = [
    ...intOrPercent(`${field}.maxUnavailable`, maxUnavailable),
    ...intOrPercent(`${field}.maxSurge`, maxSurge),
  ];
  if ((intOrPercentValue(maxUnavailable) ?? 0) === 0 && (intOrPercentValue(maxSurge) ?? 0) === 0) {
    errs.push(invalidValue(`${field}.maxUnavailable`, maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...notMoreThan100Percent(`${field}.maxUnavailable`, maxUnavailable));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// ReplicaSet

/** The ReplicaSet spec; `replicas` defaults to 1. */
export const ReplicaSetSpecSchema = z.object({
  replicas: z.number().int().default(1),
  minReadySeconds: z.number().int().optional(),
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema,
});
/** The ReplicaSet spec. */
export type ReplicaSetSpec = z.infer<typeof ReplicaSetSpecSchema>;

/** The ReplicaSet status, as the ReplicaSet controller computes it. */
export const ReplicaSetStatusSchema = z.object({
  replicas: z.number().int().default(0),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  terminatingReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(WorkloadConditionSchema).optional(),
});
/** The ReplicaSet status. */
export type ReplicaSetStatus = z.infer<typeof ReplicaSetStatusSchema>;

/** A ReplicaSet (apps/v1). */
export const ReplicaSetSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ReplicaSet'),
  metadata: ObjectMetaSchema,
  spec: ReplicaSetSpecSchema,
  status: ReplicaSetStatusSchema.prefault({}),
});
/** A ReplicaSet. */
export type ReplicaSet = z.infer<typeof ReplicaSetSchema>;

/**
 * ReplicaSets (apps/v1, `rs`): replicas 1 by default; `ValidateReplicaSet` (a non-empty valid
 * selector matching the template's labels, restartPolicy Always, non-negative replicas and
 * minReadySeconds); the selector is immutable; status and scale subresources.
 */
export const ReplicaSets = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  shortNames: ['rs'],
  namespaced: true,
  schema: ReplicaSetSchema,
  subresources: {
    status: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
  },
  defaults: withTemplateDefaults,
  validate(rs) {
    return [
      ...nonNegative('spec.replicas', rs.spec.replicas),
      ...nonNegative('spec.minReadySeconds', rs.spec.minReadySeconds),
      ...validateSelectorAndTemplate(rs.spec.selector, rs.spec.template, { kind: 'replicaset', restartPolicies: ALWAYS }),
      ...noActiveDeadline(rs.spec.template, 'ReplicaSet'),
    ];
  },
  validateUpdate(rs, old) {
    return immutable('spec.selector', rs.spec.selector, old.spec.selector);
  },
  fieldSelectors: { 'status.replicas': { get: (rs) => String(rs.status.replicas) } },
});

// ---------------------------------------------------------------------------------------------
// Deployment

/** The rolling update parameters of a Deployment (both default to 25%). */
export const RollingUpdateDeploymentSchema = z.object({
  maxUnavailable: IntOrStringSchema.optional(),
  maxSurge: IntOrStringSchema.optional(),
});
/** The rolling update parameters of a Deployment. */
export type RollingUpdateDeployment = z.infer<typeof RollingUpdateDeploymentSchema>;

/**
 * How a Deployment replaces pods: `RollingUpdate` (the default, 25% surge / 25% unavailable)
 * or `Recreate`.
 */
export const DeploymentStrategySchema = z.object({
  type: z.enum(['RollingUpdate', 'Recreate']).default('RollingUpdate'),
  rollingUpdate: RollingUpdateDeploymentSchema.optional(),
});
/** How a Deployment replaces pods. */
export type DeploymentStrategy = z.infer<typeof DeploymentStrategySchema>;

/**
 * The Deployment spec, with upstream's defaults: replicas 1, strategy RollingUpdate 25%/25%,
 * revisionHistoryLimit 10, progressDeadlineSeconds 600.
 */
export const DeploymentSpecSchema = z.object({
  replicas: z.number().int().default(1),
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema,
  strategy: DeploymentStrategySchema.prefault({}),
  minReadySeconds: z.number().int().optional(),
  revisionHistoryLimit: z.number().int().default(10),
  paused: z.boolean().optional(),
  progressDeadlineSeconds: z.number().int().default(600),
});
/** The Deployment spec. */
export type DeploymentSpec = z.infer<typeof DeploymentSpecSchema>;

/** The Deployment status, as the deployment controller computes it. */
export const DeploymentStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  unavailableReplicas: z.number().int().optional(),
  terminatingReplicas: z.number().int().optional(),
  conditions: z.array(WorkloadConditionSchema).optional(),
  collisionCount: z.number().int().optional(),
});
/** The Deployment status. */
export type DeploymentStatus = z.infer<typeof DeploymentStatusSchema>;

/** A Deployment (apps/v1). */
export const DeploymentSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: ObjectMetaSchema,
  spec: DeploymentSpecSchema,
  status: DeploymentStatusSchema.prefault({}),
});
/** A Deployment. */
export type Deployment = z.infer<typeof DeploymentSchema>;

/** The rolling update a Deployment gets when it names none (upstream `SetDefaults_Deployment`). */
export const DEFAULT_DEPLOYMENT_ROLLING_UPDATE = { maxUnavailable: '25%', maxSurge: '25%' } as const;

/**
 * Deployments (apps/v1, `deploy`): upstream's defaults (replicas 1, RollingUpdate with 25%
 * maxSurge and maxUnavailable, revisionHistoryLimit 10, progressDeadlineSeconds 600) and
 * `ValidateDeployment` (selector rules as ReplicaSets, maxSurge and maxUnavailable not both 0,
 * no rollingUpdate with Recreate, progressDeadlineSeconds > minReadySeconds); the selector is
 * immutable; status and scale subresources.
 */
export const Deployments = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  generation: 'spec-and-annotations',
  statusWritesAnnotations: true,
  plural: 'deployments',
  shortNames: ['deploy'],
  namespaced: true,
  schema: DeploymentSchema,
  subresources: {
    status: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
  },
  defaults(d) {
    const out = withTemplateDefaults(d);
    const strategy = out.spec.strategy;
    if (strategy.type !== 'RollingUpdate') return out;
    const ru = strategy.rollingUpdate ?? {};
    if (ru.maxSurge !== undefined && ru.maxUnavailable !== undefined) return out;
    const rollingUpdate = {
      maxUnavailable: ru.maxUnavailable ?? DEFAULT_DEPLOYMENT_ROLLING_UPDATE.maxUnavailable,
      maxSurge: ru.maxSurge ?? DEFAULT_DEPLOYMENT_ROLLING_UPDATE.maxSurge,
    };
    return { ...out, spec: { ...out.spec, strategy: { ...strategy, rollingUpdate } } };
  },
  validate(d) {
    const spec = d.spec;
    const errs: FieldError[] = [
      ...nonNegative('spec.replicas', spec.replicas),
      ...validateSelectorAndTemplate(spec.selector, spec.template, { kind: 'deployment', restartPolicies: ALWAYS }),
      ...noActiveDeadline(spec.template, 'ReplicaSet'),
      ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
      ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit),
    ];
    if (spec.strategy.type === 'Recreate' && spec.strategy.rollingUpdate !== undefined) {
      errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    }
    if (spec.strategy.type === 'RollingUpdate' && spec.strategy.rollingUpdate) {
      const ru = spec.strategy.rollingUpdate;
      errs.push(...validateRollingUpdate(ru.maxUnavailable, ru.maxSurge, 'spec.strategy.rollingUpdate'));
    }
    errs.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalidValue('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
    return errs;
  },
  validateUpdate(d, old) {
    return immutable('spec.selector', d.spec.selector, old.spec.selector);
  },
});

// ---------------------------------------------------------------------------------------------
// StatefulSet

/** A claim template of a StatefulSet (`spec.volumeClaimTemplates[]`): a PVC without identity. */
export const PersistentVolumeClaimTemplateSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema.prefault({}),
  spec: PersistentVolumeClaimSpecSchema.prefault({}),
  status: PersistentVolumeClaimStatusSchema.prefault({}),
});
/** A claim template of a StatefulSet. */
export type PersistentVolumeClaimTemplate = z.infer<typeof PersistentVolumeClaimTemplateSchema>;

/** How a StatefulSet updates its pods: `RollingUpdate` (partition 0 by default) or `OnDelete`. */
export const StatefulSetUpdateStrategySchema = z.object({
  type: z.enum(['RollingUpdate', 'OnDelete']).default('RollingUpdate'),
  rollingUpdate: z.object({ partition: z.number().int().default(0), maxUnavailable: IntOrStringSchema.optional() }).optional(),
});
/** How a StatefulSet updates its pods. */
export type StatefulSetUpdateStrategy = z.infer<typeof StatefulSetUpdateStrategySchema>;

/** Whether a StatefulSet's claims are kept (`Retain`, the default) or deleted when the set is deleted or scaled down. */
export const StatefulSetPersistentVolumeClaimRetentionPolicySchema = z.object({
  whenDeleted: z.enum(['Retain', 'Delete']).default('Retain'),
  whenScaled: z.enum(['Retain', 'Delete']).default('Retain'),
});
/** What happens to a StatefulSet's claims. */
export type StatefulSetPersistentVolumeClaimRetentionPolicy = z.infer<typeof StatefulSetPersistentVolumeClaimRetentionPolicySchema>;

/**
 * The StatefulSet spec, with upstream's defaults: replicas 1, podManagementPolicy
 * OrderedReady, updateStrategy RollingUpdate (partition 0), revisionHistoryLimit 10, claims
 * retained when deleted and when scaled.
 */
export const StatefulSetSpecSchema = z.object({
  replicas: z.number().int().default(1),
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema,
  volumeClaimTemplates: z.array(PersistentVolumeClaimTemplateSchema).optional(),
  serviceName: z.string().optional(),
  podManagementPolicy: z.enum(['OrderedReady', 'Parallel']).default('OrderedReady'),
  updateStrategy: StatefulSetUpdateStrategySchema.prefault({}),
  revisionHistoryLimit: z.number().int().default(10),
  minReadySeconds: z.number().int().optional(),
  persistentVolumeClaimRetentionPolicy: StatefulSetPersistentVolumeClaimRetentionPolicySchema.prefault({}),
  ordinals: z.object({ start: z.number().int().default(0) }).optional(),
});
/** The StatefulSet spec. */
export type StatefulSetSpec = z.infer<typeof StatefulSetSpecSchema>;

/** The StatefulSet status, as the StatefulSet controller computes it. */
export const StatefulSetStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().default(0),
  readyReplicas: z.number().int().optional(),
  currentReplicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  currentRevision: z.string().optional(),
  updateRevision: z.string().optional(),
  collisionCount: z.number().int().optional(),
  conditions: z.array(WorkloadConditionSchema).optional(),
});
/** The StatefulSet status. */
export type StatefulSetStatus = z.infer<typeof StatefulSetStatusSchema>;

/** A StatefulSet (apps/v1). */
export const StatefulSetSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('StatefulSet'),
  metadata: ObjectMetaSchema,
  spec: StatefulSetSpecSchema,
  status: StatefulSetStatusSchema.prefault({}),
});
/** A StatefulSet. */
export type StatefulSet = z.infer<typeof StatefulSetSchema>;

const STATEFULSET_MUTABLE: ReadonlySet<string> = new Set([
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
]);
const STATEFULSET_UPDATE_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/**
 * StatefulSets (apps/v1, `sts`): upstream's defaults (OrderedReady, RollingUpdate partition 0,
 * Retain/Retain claim retention, revisionHistoryLimit 10) and `ValidateStatefulSet` (selector
 * rules, restartPolicy Always, valid claim templates, partition ≥ 0, no rollingUpdate with
 * OnDelete); on update only replicas, ordinals, template, updateStrategy,
 * revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
 */
export const StatefulSets = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  shortNames: ['sts'],
  namespaced: true,
  schema: StatefulSetSchema,
  subresources: {
    status: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
  },
  defaults(sts) {
    const out = withTemplateDefaults(sts);
    const us = out.spec.updateStrategy;
    if (us.type === 'RollingUpdate' && us.rollingUpdate === undefined) {
      return { ...out, spec: { ...out.spec, updateStrategy: { ...us, rollingUpdate: { partition: 0 } } } };
    }
    return out;
  },
  validate(sts) {
    const spec = sts.spec;
    const errs: FieldError[] = [
      ...nonNegative('spec.replicas', spec.replicas),
      ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
      ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit),
      // Upstream skips the pod spec checks here because mounts may name claim templates; we
      // check the spec with those names counted as volumes.
      ...validateSelectorAndTemplate(spec.selector, spec.template, {
        kind: 'statefulset',
        restartPolicies: ALWAYS,
        extraVolumeNames: (spec.volumeClaimTemplates ?? []).flatMap((t) => (t.metadata.name ? [t.metadata.name] : [])),
      }),
      ...noActiveDeadline(spec.template, 'StatefulSet'),
    ];
    if (spec.serviceName) errs.push(...checkDns1123Label('spec.serviceName', spec.serviceName));
    const us = spec.updateStrategy;
    if (us.type === 'OnDelete' && us.rollingUpdate !== undefined) {
      errs.push(invalidValue('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
    }
    if (us.rollingUpdate) {
      errs.push(...nonNegative('spec.updateStrategy.rollingUpdate.partition', us.rollingUpdate.partition));
      const mu = us.rollingUpdate.maxUnavailable;
      if (mu !== undefined) {
        errs.push(...intOrPercent('spec.updateStrategy.rollingUpdate.maxUnavailable', mu));
        if (intOrPercentValue(mu) === 0) errs.push(invalidValue('spec.updateStrategy.rollingUpdate.maxUnavailable', mu, 'must be greater than 0'));
        errs.push(...notMoreThan100Percent('spec.updateStrategy.rollingUpdate.maxUnavailable', mu));
      }
    }
    if (spec.ordinals) errs.push(...nonNegative('spec.ordinals.start', spec.ordinals.start));
    const templates = spec.volumeClaimTemplates ?? [];
    templates.forEach((t, i) => {
      const f = `spec.volumeClaimTemplates[${i}]`;
      const name = t.metadata.name ?? '';
      if (name === '') errs.push(required(`${f}.metadata.name`));
      else errs.push(...checkDns1123Label(`${f}.metadata.name`, name));
      errs.push(...validatePersistentVolumeClaimSpec(t.spec, `${f}.spec`));
    });
    errs.push(
      ...templates
        .map((t, i) => ({ name: t.metadata.name, i }))
        .filter((x, _, all) => x.name !== undefined && all.findIndex((y) => y.name === x.name) < x.i)
        .map((x) => duplicate(`spec.volumeClaimTemplates[${x.i}].metadata.name`, x.name)),
    );
    return errs;
  },
  validateUpdate(sts, old) {
    return equalExcept(sts.spec, old.spec, STATEFULSET_MUTABLE) ? [] : [forbidden('spec', STATEFULSET_UPDATE_FORBIDDEN)];
  },
});

// ---------------------------------------------------------------------------------------------
// DaemonSet

/** The label with the hash of the ControllerRevision a pod was made from (`apps.DefaultDaemonSetUniqueLabelKey`, also StatefulSets'). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label with the DaemonSet's template generation a pod was made from (`extensions.DaemonSetTemplateGenerationKey`). */
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The DaemonSet annotation the API server keeps the template generation in (apps/v1's `spec.templateGeneration`). */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** How a DaemonSet updates its pods: `RollingUpdate` (maxUnavailable 1, maxSurge 0) or `OnDelete`. */
export const DaemonSetUpdateStrategySchema = z.object({
  type: z.enum(['RollingUpdate', 'OnDelete']).default('RollingUpdate'),
  rollingUpdate: z.object({ maxUnavailable: IntOrStringSchema.optional(), maxSurge: IntOrStringSchema.optional() }).optional(),
});
/** How a DaemonSet updates its pods. */
export type DaemonSetUpdateStrategy = z.infer<typeof DaemonSetUpdateStrategySchema>;

/** The DaemonSet spec, with upstream's defaults (RollingUpdate, revisionHistoryLimit 10). */
export const DaemonSetSpecSchema = z.object({
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema,
  updateStrategy: DaemonSetUpdateStrategySchema.prefault({}),
  minReadySeconds: z.number().int().optional(),
  revisionHistoryLimit: z.number().int().default(10),
});
/** The DaemonSet spec. */
export type DaemonSetSpec = z.infer<typeof DaemonSetSpecSchema>;

/** The DaemonSet status, as the DaemonSet controller computes it. */
export const DaemonSetStatusSchema = z.object({
  currentNumberScheduled: z.number().int().default(0),
  numberMisscheduled: z.number().int().default(0),
  desiredNumberScheduled: z.number().int().default(0),
  numberReady: z.number().int().default(0),
  observedGeneration: z.number().int().optional(),
  updatedNumberScheduled: z.number().int().optional(),
  numberAvailable: z.number().int().optional(),
  numberUnavailable: z.number().int().optional(),
  collisionCount: z.number().int().optional(),
  conditions: z.array(WorkloadConditionSchema).optional(),
});
/** The DaemonSet status. */
export type DaemonSetStatus = z.infer<typeof DaemonSetStatusSchema>;

/** A DaemonSet (apps/v1). */
export const DaemonSetSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('DaemonSet'),
  metadata: ObjectMetaSchema,
  spec: DaemonSetSpecSchema,
  status: DaemonSetStatusSchema.prefault({}),
});
/** A DaemonSet. */
export type DaemonSet = z.infer<typeof DaemonSetSchema>;

/**
 * DaemonSets (apps/v1, `ds`): upstream's defaults (RollingUpdate with maxUnavailable 1 and
 * maxSurge 0, revisionHistoryLimit 10) and `ValidateDaemonSet` (selector rules, restartPolicy
 * Always, maxSurge and maxUnavailable not both 0); the selector is immutable.
 */
export const DaemonSets = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  shortNames: ['ds'],
  namespaced: true,
  schema: DaemonSetSchema,
  subresources: { status: true },
  defaults(ds) {
    const out = withTemplateDefaults(ds);
    const us = out.spec.updateStrategy;
    if (us.type !== 'RollingUpdate') return out;
    const ru = us.rollingUpdate ?? {};
    if (ru.maxUnavailable !== undefined && ru.maxSurge !== undefined) return out;
    const rollingUpdate = { maxUnavailable: ru.maxUnavailable ?? 1, maxSurge: ru.maxSurge ?? 0 };
    return { ...out, spec: { ...out.spec, updateStrategy: { ...us, rollingUpdate } } };
  },
  validate(ds) {
    const spec = ds.spec;
    const errs: FieldError[] = [
      ...validateSelectorAndTemplate(spec.selector, spec.template, { kind: 'daemonset', restartPolicies: ALWAYS }),
      ...noActiveDeadline(spec.template, 'DaemonSet'),
      ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
      ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit),
    ];
    const us = spec.updateStrategy;
    if (us.type === 'RollingUpdate' && us.rollingUpdate) {
      errs.push(...validateRollingUpdate(us.rollingUpdate.maxUnavailable, us.rollingUpdate.maxSurge, 'spec.updateStrategy.rollingUpdate'));
    }
    // Upstream's ValidateDaemonSetUpdateStrategy lets OnDelete keep a rollingUpdate (it is
    // ignored): a patch that only switches the type must be accepted.
    return errs;
  },
  validateUpdate(ds, old) {
    return immutable('spec.selector', ds.spec.selector, old.spec.selector);
  },
});

// ---------------------------------------------------------------------------------------------
// ControllerRevision

/** A ControllerRevision (apps/v1): an immutable snapshot of a DaemonSet's or StatefulSet's template. */
export const ControllerRevisionSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ControllerRevision'),
  metadata: ObjectMetaSchema,
  data: z.unknown().optional(),
  revision: z.number().int(),
});
/** A ControllerRevision. */
export type ControllerRevision = z.infer<typeof ControllerRevisionSchema>;

/**
 * ControllerRevisions (apps/v1): the history DaemonSets and StatefulSets roll back to. As
 * upstream, `revision` is ≥ 0 and `data` is immutable.
 */
export const ControllerRevisions = defineResource({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  generation: 'none',
  plural: 'controllerrevisions',
  namespaced: true,
  schema: ControllerRevisionSchema,
  validate(cr) {
    return nonNegative('revision', cr.revision);
  },
  validateUpdate(cr, old) {
    return immutable('data', cr.data, old.data);
  },
});

/**
 * The VerticalPodAutoscaler kind (`autoscaling.k8s.io/v1`, the autoscaler repository's CRD),
 * served as a custom resource by the VPA plugin.
 *
 * @module
 */
import { z } from 'zod';
import { ConditionSchema, ObjectMetaSchema, ResourceListSchema, defineResource, isQuantity } from '@kubeloop/core';
import type { FieldError } from '@kubeloop/core';

/** The update modes (upstream `UpdateMode`). */
export const UpdateModeSchema = z.enum(['Off', 'Initial', 'Recreate', 'Auto', 'InPlaceOrRecreate']);
/** How the VPA applies its recommendation: `Off` (recommend only), `Initial` (at pod creation), `Recreate`/`Auto` (also by evicting). */
export type UpdateMode = z.infer<typeof UpdateModeSchema>;

/** One container's policy (upstream `ContainerResourcePolicy`); `containerName: "*"` is the default for the others. */
export const ContainerResourcePolicySchema = z.object({
  containerName: z.string().optional(),
  mode: z.enum(['Auto', 'Off']).optional(),
  minAllowed: ResourceListSchema.optional(),
  maxAllowed: ResourceListSchema.optional(),
  controlledResources: z.array(z.enum(['cpu', 'memory'])).optional(),
  controlledValues: z.enum(['RequestsAndLimits', 'RequestsOnly']).optional(),
});
/** One container's policy. */
export type ContainerResourcePolicy = z.infer<typeof ContainerResourcePolicySchema>;

/** One container's recommendation (upstream `RecommendedContainerResources`). */
export const RecommendedContainerResourcesSchema = z.object({
  containerName: z.string(),
  target: ResourceListSchema,
  lowerBound: ResourceListSchema.optional(),
  upperBound: ResourceListSchema.optional(),
  uncappedTarget: ResourceListSchema.optional(),
});
/** One container's recommendation. */
export type RecommendedContainerResources = z.infer<typeof RecommendedContainerResourcesSchema>;

/** The VerticalPodAutoscaler object. */
export const VerticalPodAutoscalerSchema = z.object({
  apiVersion: z.literal('autoscaling.k8s.io/v1'),
  kind: z.literal('VerticalPodAutoscaler'),
  metadata: ObjectMetaSchema,
  spec: z.object({
    targetRef: z.object({ apiVersion: z.string().optional(), kind: z.string(), name: z.string() }),
    updatePolicy: z.object({ updateMode: UpdateModeSchema.optional(), minReplicas: z.number().int().optional() }).optional(),
    resourcePolicy: z.object({ containerPolicies: z.array(ContainerResourcePolicySchema).optional() }).optional(),
    recommenders: z.array(z.object({ name: z.string() })).optional(),
  }),
  status: z
    .object({
      recommendation: z.object({ containerRecommendations: z.array(RecommendedContainerResourcesSchema).optional() }).optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .prefault({}),
});
/** A VerticalPodAutoscaler. */
export type VerticalPodAutoscaler = z.infer<typeof VerticalPodAutoscalerSchema>;

/** `field: Invalid value: <value>: detail`, as core's validation reports it. */
function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

function validateList(list: Readonly<Record<string, string>> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(list ?? {})) if (!isQuantity(v)) errs.push(invalidValue(`${path}.${k}`, v, 'must be a quantity'));
  return errs;
}

/**
 * VerticalPodAutoscalers (`verticalpodautoscalers.autoscaling.k8s.io`, short name `vpa`), with
 * a status subresource. Validation as upstream's CRD and admission: a target kind and name,
 * `minReplicas` ≥ 1, quantities in the policies, `minAllowed` ≤ `maxAllowed`.
 */
export const VerticalPodAutoscalers = defineResource({
  group: 'autoscaling.k8s.io',
  version: 'v1',
  kind: 'VerticalPodAutoscaler',
  plural: 'verticalpodautoscalers',
  shortNames: ['vpa'],
  namespaced: true,
  schema: VerticalPodAutoscalerSchema,
  subresources: { status: true },
  validate(vpa) {
    const errs: FieldError[] = [];
    if (vpa.spec.targetRef.kind === '') errs.push(invalidValue('spec.targetRef.kind', '', 'must not be empty'));
    if (vpa.spec.targetRef.name === '') errs.push(invalidValue('spec.targetRef.name', '', 'must not be empty'));
    const min = vpa.spec.updatePolicy?.minReplicas;
    if (min !== undefined && min <= 0) errs.push(invalidValue('spec.updatePolicy.minReplicas', min, 'must be greater than 0'));
    (vpa.spec.resourcePolicy?.containerPolicies ?? []).forEach((p, i) => {
      const path = `spec.resourcePolicy.containerPolicies[${i}]`;
      errs.push(...validateList(p.minAllowed, `${path}.minAllowed`), ...validateList(p.maxAllowed, `${path}.maxAllowed`));
    });
    return errs;
  },
});

/** A histogram in a checkpoint (upstream `HistogramCheckpoint`). */
export const HistogramCheckpointSchema = z.object({
  referenceTimestamp: z.string().nullable().optional(),
  bucketWeights: z.record(z.string(), z.number().int().nonnegative()).optional(),
  totalWeight: z.number().nonnegative().optional(),
});

/** The VerticalPodAutoscalerCheckpoint object (upstream `VerticalPodAutoscalerCheckpoint`). */
export const VerticalPodAutoscalerCheckpointSchema = z.object({
  apiVersion: z.literal('autoscaling.k8s.io/v1'),
  kind: z.literal('VerticalPodAutoscalerCheckpoint'),
  metadata: ObjectMetaSchema,
  spec: z.object({ vpaObjectName: z.string().optional(), containerName: z.string().optional() }).prefault({}),
  status: z
    .object({
      lastUpdateTime: z.string().nullable().optional(),
      version: z.string().optional(),
      cpuHistogram: HistogramCheckpointSchema.optional(),
      memoryHistogram: HistogramCheckpointSchema.optional(),
      firstSampleStart: z.string().nullable().optional(),
      lastSampleStart: z.string().nullable().optional(),
      totalSamplesCount: z.number().int().nonnegative().optional(),
    })
    .prefault({}),
});
/** A VerticalPodAutoscalerCheckpoint: the recommender's saved histograms of one VPA's container. */
export type VerticalPodAutoscalerCheckpoint = z.infer<typeof VerticalPodAutoscalerCheckpointSchema>;

/**
 * VerticalPodAutoscalerCheckpoints (`verticalpodautoscalercheckpoints.autoscaling.k8s.io`,
 * short name `vpacheckpoint`), as upstream's CRD: no status subresource (the recommender writes
 * the whole object), one per VPA and container, named `<vpa>-<container>`.
 */
export const VerticalPodAutoscalerCheckpoints = defineResource({
  group: 'autoscaling.k8s.io',
  version: 'v1',
  kind: 'VerticalPodAutoscalerCheckpoint',
  plural: 'verticalpodautoscalercheckpoints',
  shortNames: ['vpacheckpoint'],
  namespaced: true,
  schema: VerticalPodAutoscalerCheckpointSchema,
});

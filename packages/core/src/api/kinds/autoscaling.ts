/**
 * The autoscaling/v2 HorizontalPodAutoscaler, with the defaults of
 * pkg/apis/autoscaling/v2/defaults.go and the rules of pkg/apis/autoscaling/validation; the
 * conversions to and from autoscaling/v1 are in `autoscaling-v1.ts`.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { validateLabelSelector } from '../labels.js';
import { ConditionSchema, LabelSelectorSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { convertHorizontalPodAutoscalerToV1, convertHorizontalPodAutoscalerV1 } from './autoscaling-v1.js';
import { QuantitySchema, invalidValue, notSupported, positive, quantitySign, required } from './internal.js';

/** What the HPA scales: an object with a `scale` subresource. */
export const CrossVersionObjectReferenceSchema = z.object({
  kind: z.string(),
  name: z.string(),
  apiVersion: z.string().optional(),
});
/** What the HPA scales. */
export type CrossVersionObjectReference = z.infer<typeof CrossVersionObjectReferenceSchema>;

/** A metric target: a `Utilization` percentage of requests, a total `Value` or an `AverageValue` per pod. */
export const MetricTargetSchema = z.object({
  type: z.enum(['Utilization', 'Value', 'AverageValue']),
  value: QuantitySchema.optional(),
  averageValue: QuantitySchema.optional(),
  averageUtilization: z.number().int().optional(),
});
/** A metric target. */
export type MetricTarget = z.infer<typeof MetricTargetSchema>;

/** A measured metric value (status). */
export const MetricValueStatusSchema = z.object({
  value: QuantitySchema.optional(),
  averageValue: QuantitySchema.optional(),
  averageUtilization: z.number().int().optional(),
});
/** A measured metric value. */
export type MetricValueStatus = z.infer<typeof MetricValueStatusSchema>;

/** A metric identified by name and optional label selector. */
export const MetricIdentifierSchema = z.object({ name: z.string(), selector: LabelSelectorSchema.optional() });
/** A metric identified by name and selector. */
export type MetricIdentifier = z.infer<typeof MetricIdentifierSchema>;

/** The kinds of metric source. */
export const MetricSourceTypeSchema = z.enum(['Object', 'Pods', 'Resource', 'ContainerResource', 'External']);
/** `Object`, `Pods`, `Resource`, `ContainerResource` or `External`. */
export type MetricSourceType = z.infer<typeof MetricSourceTypeSchema>;

/** One metric an HPA scales on; the field named by `type` must be set. */
export const MetricSpecSchema = z.object({
  type: MetricSourceTypeSchema,
  object: z
    .object({ describedObject: CrossVersionObjectReferenceSchema, target: MetricTargetSchema, metric: MetricIdentifierSchema })
    .optional(),
  pods: z.object({ metric: MetricIdentifierSchema, target: MetricTargetSchema }).optional(),
  resource: z.object({ name: z.string(), target: MetricTargetSchema }).optional(),
  containerResource: z.object({ name: z.string(), target: MetricTargetSchema, container: z.string() }).optional(),
  external: z.object({ metric: MetricIdentifierSchema, target: MetricTargetSchema }).optional(),
});
/** One metric an HPA scales on. */
export type MetricSpec = z.infer<typeof MetricSpecSchema>;

/** The current value of one metric (`status.currentMetrics[]`). */
export const MetricStatusSchema = z.object({
  type: MetricSourceTypeSchema,
  object: z
    .object({ describedObject: CrossVersionObjectReferenceSchema, current: MetricValueStatusSchema, metric: MetricIdentifierSchema })
    .optional(),
  pods: z.object({ metric: MetricIdentifierSchema, current: MetricValueStatusSchema }).optional(),
  resource: z.object({ name: z.string(), current: MetricValueStatusSchema }).optional(),
  containerResource: z.object({ name: z.string(), current: MetricValueStatusSchema, container: z.string() }).optional(),
  external: z.object({ metric: MetricIdentifierSchema, current: MetricValueStatusSchema }).optional(),
});
/** The current value of one metric. */
export type MetricStatus = z.infer<typeof MetricStatusSchema>;

/** A scaling policy: change by at most `value` pods or percent per `periodSeconds`. */
export const HPAScalingPolicySchema = z.object({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().int(),
  periodSeconds: z.number().int(),
});
/** A scaling policy. */
export type HPAScalingPolicy = z.infer<typeof HPAScalingPolicySchema>;

/** The scaling rules of one direction. */
export const HPAScalingRulesSchema = z.object({
  stabilizationWindowSeconds: z.number().int().optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(HPAScalingPolicySchema).optional(),
  tolerance: QuantitySchema.optional(),
});
/** The scaling rules of one direction. */
export type HPAScalingRules = z.infer<typeof HPAScalingRulesSchema>;

/** Scale-up and scale-down rules. */
export const HorizontalPodAutoscalerBehaviorSchema = z.object({
  scaleUp: HPAScalingRulesSchema.optional(),
  scaleDown: HPAScalingRulesSchema.optional(),
});
/** Scale-up and scale-down rules. */
export type HorizontalPodAutoscalerBehavior = z.infer<typeof HorizontalPodAutoscalerBehaviorSchema>;

/** Scaling rules with every field but `tolerance` set, as the defaults are. */
export type DefaultScalingRules = Readonly<Required<Omit<HPAScalingRules, 'tolerance'>>>;

/**
 * Upstream's default scale-up rules: no stabilization, the larger of +4 pods or +100% per 15 s.
 */
export const DEFAULT_HPA_SCALE_UP: DefaultScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};

/** Upstream's default scale-down rules: a 300 s stabilization window, down by up to 100% per 15 s. */
export const DEFAULT_HPA_SCALE_DOWN: DefaultScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** The CPU utilization target an HPA without metrics gets (upstream `DefaultCPUUtilization`). */
export const DEFAULT_CPU_UTILIZATION = 80;

/** The HPA spec; `minReplicas` defaults to 1. */
export const HorizontalPodAutoscalerSpecSchema = z.object({
  scaleTargetRef: CrossVersionObjectReferenceSchema,
  minReplicas: z.number().int().default(1),
  maxReplicas: z.number().int(),
  metrics: z.array(MetricSpecSchema).optional(),
  behavior: HorizontalPodAutoscalerBehaviorSchema.optional(),
});
/** The HPA spec. */
export type HorizontalPodAutoscalerSpec = z.infer<typeof HorizontalPodAutoscalerSpecSchema>;

/** The HPA status, as the HPA controller computes it. */
export const HorizontalPodAutoscalerStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  lastScaleTime: z.string().optional(),
  currentReplicas: z.number().int().optional(),
  desiredReplicas: z.number().int().default(0),
  currentMetrics: z.array(MetricStatusSchema).optional(),
  conditions: z.array(ConditionSchema).optional(),
});
/** The HPA status. */
export type HorizontalPodAutoscalerStatus = z.infer<typeof HorizontalPodAutoscalerStatusSchema>;

/** A HorizontalPodAutoscaler (autoscaling/v2). */
export const HorizontalPodAutoscalerSchema = z.object({
  apiVersion: z.literal('autoscaling/v2'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: ObjectMetaSchema,
  spec: HorizontalPodAutoscalerSpecSchema,
  status: HorizontalPodAutoscalerStatusSchema.prefault({}),
});
/** A HorizontalPodAutoscaler. */
export type HorizontalPodAutoscaler = z.infer<typeof HorizontalPodAutoscalerSchema>;

function fillRules(rules: HPAScalingRules | undefined, defaults: DefaultScalingRules): HPAScalingRules {
  return {
    ...rules,
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies ?? defaults.policies.map((p) => ({ ...p })),
  };
}

/**
 * Upstream's HPA defaults: metrics default to CPU at 80% utilization; a given `behavior` has
 * its missing parts filled from {@link DEFAULT_HPA_SCALE_UP} and {@link DEFAULT_HPA_SCALE_DOWN}
 * (an absent `behavior` stays absent; the controller then uses the same defaults).
 */
export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const spec = { ...hpa.spec };
  if (spec.metrics === undefined || spec.metrics.length === 0) {
    spec.metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } },
    ];
  }
  if (spec.behavior !== undefined) {
    spec.behavior = {
      scaleUp: fillRules(spec.behavior.scaleUp, DEFAULT_HPA_SCALE_UP),
      scaleDown: fillRules(spec.behavior.scaleDown, DEFAULT_HPA_SCALE_DOWN),
    };
  }
  return { ...hpa, spec };
}

const METRIC_FIELDS = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  ContainerResource: 'containerResource',
  External: 'external',
} as const;

function validateMetricTarget(t: MetricTarget, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (t.type === 'Utilization' && t.averageUtilization === undefined) {
    errs.push(required(`${field}.averageUtilization`, 'must set either a target raw value or a target utilization'));
  }
  if (t.type === 'Value' && t.value === undefined) errs.push(required(`${field}.value`, 'must set either a target value for metric or a per-pod target'));
  if (t.type === 'AverageValue' && t.averageValue === undefined) {
    errs.push(required(`${field}.averageValue`, 'must set either a target value for metric or a per-pod target'));
  }
  if (t.averageUtilization !== undefined && t.averageUtilization < 1) {
    errs.push(invalidValue(`${field}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  }
  if (t.value !== undefined && quantitySign(t.value) !== 1) errs.push(invalidValue(`${field}.value`, t.value, 'must be positive'));
  if (t.averageValue !== undefined && quantitySign(t.averageValue) !== 1) {
    errs.push(invalidValue(`${field}.averageValue`, t.averageValue, 'must be positive'));
  }
  return errs;
}

function validateMetric(m: MetricSpec, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const own = METRIC_FIELDS[m.type];
  for (const [type, key] of Object.entries(METRIC_FIELDS)) {
    if (key !== own && m[key] !== undefined) {
      errs.push({ type: 'FieldValueForbidden', field: `${field}.${key}`, detail: `must populate the given metric source only (type is ${m.type}, not ${type})` });
    }
  }
  const source = m[own];
  if (source === undefined) {
    errs.push(required(`${field}.${own}`, 'must populate information for the given metric source'));
    return errs;
  }
  errs.push(...validateMetricTarget(source.target, `${field}.${own}.target`));
  if ((m.type === 'Resource' || m.type === 'ContainerResource') && 'name' in source && source.name === '') {
    errs.push(required(`${field}.${own}.name`, 'resource name must be specified'));
  }
  if ((m.type === 'Pods' || m.type === 'Object' || m.type === 'External') && source.target.type === 'Utilization') {
    errs.push(notSupported(`${field}.${own}.target.type`, 'Utilization', m.type === 'Object' ? ['Value', 'AverageValue'] : m.type === 'Pods' ? ['AverageValue'] : ['Value', 'AverageValue']));
  }
  if ('metric' in source && source.metric.selector) errs.push(...validateLabelSelector(source.metric.selector, `${field}.${own}.metric.selector`));
  return errs;
}

function validateRules(rules: HPAScalingRules | undefined, field: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && (w < 0 || w > 3600)) {
    errs.push(invalidValue(`${field}.stabilizationWindowSeconds`, w, w < 0 ? 'must be greater than or equal to zero' : 'must be less than or equal to 3600'));
  }
  if (rules.policies !== undefined && rules.policies.length === 0 && rules.selectPolicy !== 'Disabled') {
    errs.push(required(`${field}.policies`, 'must specify at least one Policy'));
  }
  (rules.policies ?? []).forEach((p, i) => {
    const pf = `${field}.policies[${i}]`;
    if (p.periodSeconds <= 0) errs.push(invalidValue(`${pf}.periodSeconds`, p.periodSeconds, 'must be greater than zero'));
    if (p.periodSeconds > 1800) errs.push(invalidValue(`${pf}.periodSeconds`, p.periodSeconds, 'must be less than or equal to 1800'));
    if (p.value <= 0) errs.push(invalidValue(`${pf}.value`, p.value, 'must be greater than zero'));
  });
  if (rules.tolerance !== undefined && quantitySign(rules.tolerance) === -1) {
    errs.push(invalidValue(`${field}.tolerance`, rules.tolerance, 'must be greater than or equal to zero'));
  }
  return errs;
}

/**
 * HorizontalPodAutoscalers (autoscaling/v2, `hpa`; also served as autoscaling/v1, whose manifests
 * and request bodies are converted, see `autoscaling-v1.ts`):
 * minReplicas 1 and a CPU 80% metric by default, behavior defaults when a behavior is given,
 * and `ValidateHorizontalPodAutoscaler` (1 ≤ minReplicas ≤ maxReplicas, a complete
 * scaleTargetRef, each metric with its source and a consistent target, behavior bounds).
 */
export const HorizontalPodAutoscalers = defineResource({
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  generation: 'none',
  plural: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  namespaced: true,
  schema: HorizontalPodAutoscalerSchema,
  subresources: { status: true },
  conversions: { 'autoscaling/v1': convertHorizontalPodAutoscalerV1 },
  servedVersions: { 'autoscaling/v1': { fromStored: convertHorizontalPodAutoscalerToV1 } },
  defaults: defaultHorizontalPodAutoscaler,
  validate(hpa) {
    const spec = hpa.spec;
    const errs: FieldError[] = [];
    if (spec.scaleTargetRef.kind === '') errs.push(required('spec.scaleTargetRef.kind'));
    if (spec.scaleTargetRef.name === '') errs.push(required('spec.scaleTargetRef.name'));
    if (spec.minReplicas < 1) errs.push(invalidValue('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
    errs.push(...positive('spec.maxReplicas', spec.maxReplicas));
    if (spec.maxReplicas < spec.minReplicas) {
      errs.push(invalidValue('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
    }
    (spec.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
    errs.push(...validateRules(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...validateRules(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
    return errs;
  },
});

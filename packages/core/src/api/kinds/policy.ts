/**
 * The policy/v1 PodDisruptionBudget: how many pods of a set voluntary disruptions (evictions)
 * may take down at once.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { validateLabelSelector } from '../labels.js';
import { ConditionSchema, LabelSelectorSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { IntOrStringSchema, intOrPercent, invalidValue, notMoreThan100Percent } from './internal.js';

/** The PodDisruptionBudget spec: `minAvailable` or `maxUnavailable` (not both) of the selected pods. */
export const PodDisruptionBudgetSpecSchema = z.object({
  minAvailable: IntOrStringSchema.optional(),
  maxUnavailable: IntOrStringSchema.optional(),
  selector: LabelSelectorSchema.optional(),
  unhealthyPodEvictionPolicy: z.enum(['IfHealthyBudget', 'AlwaysAllow']).optional(),
});
/** The PodDisruptionBudget spec. */
export type PodDisruptionBudgetSpec = z.infer<typeof PodDisruptionBudgetSpecSchema>;

/** The PodDisruptionBudget status, as the disruption controller computes it. */
export const PodDisruptionBudgetStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  disruptedPods: z.record(z.string(), z.string()).optional(),
  disruptionsAllowed: z.number().int().default(0),
  currentHealthy: z.number().int().default(0),
  desiredHealthy: z.number().int().default(0),
  expectedPods: z.number().int().default(0),
  conditions: z.array(ConditionSchema).optional(),
});
/** The PodDisruptionBudget status. */
export type PodDisruptionBudgetStatus = z.infer<typeof PodDisruptionBudgetStatusSchema>;

/** A PodDisruptionBudget (policy/v1). */
export const PodDisruptionBudgetSchema = z.object({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata: ObjectMetaSchema,
  spec: PodDisruptionBudgetSpecSchema.prefault({}),
  status: PodDisruptionBudgetStatusSchema.prefault({}),
});
/** A PodDisruptionBudget. */
export type PodDisruptionBudget = z.infer<typeof PodDisruptionBudgetSchema>;

/**
 * PodDisruptionBudgets (policy/v1, `pdb`): honoured by the eviction subresource.
 * `ValidatePodDisruptionBudget`: not both minAvailable and maxUnavailable, each a
 * non-negative integer or a percentage of at most 100%, a valid selector.
 */
export const PodDisruptionBudgets = defineResource({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  shortNames: ['pdb'],
  namespaced: true,
  schema: PodDisruptionBudgetSchema,
  subresources: { status: true },
  validate(pdb) {
    const spec = pdb.spec;
    const errs: FieldError[] = [];
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
      errs.push(invalidValue('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
    }
    for (const f of ['minAvailable', 'maxUnavailable'] as const) {
      errs.push(...intOrPercent(`spec.${f}`, spec[f]));
      errs.push(...notMoreThan100Percent(`spec.${f}`, spec[f]));
    }
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    return errs;
  },
});

/**
 * The scheduling.k8s.io/v1 PriorityClass: a name for a pod priority, which the Priority
 * admission plugin resolves into `spec.priority` and `spec.preemptionPolicy`, and the scheduler
 * orders and preempts by.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { forbidden, immutable } from './internal.js';

/** A PriorityClass (scheduling.k8s.io/v1), with upstream's default `preemptionPolicy: PreemptLowerPriority`. */
export const PriorityClassSchema = z.object({
  apiVersion: z.literal('scheduling.k8s.io/v1'),
  kind: z.literal('PriorityClass'),
  metadata: ObjectMetaSchema,
  value: z.number().int().min(-2_147_483_648).max(2_147_483_647),
  globalDefault: z.boolean().optional(),
  description: z.string().optional(),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).default('PreemptLowerPriority'),
});
/** A PriorityClass. */
export type PriorityClass = z.infer<typeof PriorityClassSchema>;

/** Upstream `HighestUserDefinablePriority`: the largest value a PriorityClass not named `system-` may have. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

/** Upstream `SystemCriticalPriority`: `system-cluster-critical`'s value (`system-node-critical` has 1,000 more). */
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/**
 * The PriorityClasses every cluster has, as kube-apiserver creates them at start:
 * `system-node-critical` (2000001000) and `system-cluster-critical` (2000000000). A class named
 * `system-…` must be one of these, with the same value and `globalDefault`.
 */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClass[] = Object.freeze([
  Object.freeze({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: Object.freeze({ name: 'system-node-critical' }),
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
    preemptionPolicy: 'PreemptLowerPriority',
  }) as PriorityClass,
  Object.freeze({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: Object.freeze({ name: 'system-cluster-critical' }),
    value: SYSTEM_CRITICAL_PRIORITY,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
    preemptionPolicy: 'PreemptLowerPriority',
  }) as PriorityClass,
]);

/** Upstream `IsKnownSystemPriorityClass`: why a `system-` class is not one of {@link SYSTEM_PRIORITY_CLASSES}, if it is not. */
function systemClassMismatch(pc: PriorityClass): string | undefined {
  const name = pc.metadata.name ?? '';
  const known = SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata.name === name);
  if (known === undefined) return `${name} is not a known system priority class`;
  if (known.value !== pc.value) return `value of ${name} PriorityClass must be ${known.value}`;
  if ((known.globalDefault ?? false) !== (pc.globalDefault ?? false)) return `globalDefault of ${name} PriorityClass must be ${String(known.globalDefault ?? false)}`;
  return undefined;
}

/**
 * PriorityClasses (scheduling.k8s.io/v1, `pc`, cluster-scoped): upstream's
 * `ValidatePriorityClass` (a `system-` name is reserved for the system classes; any other class
 * has a value of at most {@link HIGHEST_USER_DEFINABLE_PRIORITY}) and
 * `ValidatePriorityClassUpdate` (`value` and `preemptionPolicy` are immutable). That only one
 * class is the global default is the Priority admission plugin's check, as upstream.
 */
export const PriorityClasses = defineResource({
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  generation: 'none',
  plural: 'priorityclasses',
  shortNames: ['pc'],
  namespaced: false,
  schema: PriorityClassSchema,
  validate(pc) {
    const errs: FieldError[] = [];
    if ((pc.metadata.name ?? '').startsWith('system-')) {
      const why = systemClassMismatch(pc);
      if (why !== undefined) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
    } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
      errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
    }
    return errs;
  },
  validateUpdate(pc, old) {
    const errs: FieldError[] = [];
    if (pc.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
    errs.push(...immutable('preemptionPolicy', pc.preemptionPolicy, old.preemptionPolicy));
    return errs;
  },
});

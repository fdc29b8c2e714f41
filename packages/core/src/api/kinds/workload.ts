/**
 * Validation shared by the workload kinds that own pods through a selector and a template
 * (ReplicationController, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job): upstream's
 * `ValidatePodTemplateSpecForReplicaSet` and friends. Internal to the kinds folder.
 *
 * @module
 */
import type { FieldError } from '../errors.js';
import { matchesLabelSelector, validateLabelSelector } from '../labels.js';
import type { LabelSelector } from '../meta.js';
import { type PodTemplateSpec, validatePodTemplateSpec } from './pod.js';
import { invalidValue, notSupported, required } from './internal.js';

/** Whether a structured selector has no requirements at all (and so would select everything). */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}

/**
 * Validates `spec.selector` (required, valid, not empty: `empty selector is invalid for
 * deployment`) and `spec.template` (labels matched by the selector, a valid pod template,
 * and a restart policy among `restartPolicies`).
 */
export function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  opts: {
    readonly kind: string;
    readonly restartPolicies: readonly string[];
    readonly allowEmptySelector?: boolean;
    /** Volume names mounts may refer to besides the template's own (StatefulSet claim templates). */
    readonly extraVolumeNames?: readonly string[];
  },
  spec = 'spec',
): FieldError[] {
  const errs: FieldError[] = [];
  let selectorValid = false;
  if (selector === undefined) errs.push(required(`${spec}.selector`));
  else {
    const selectorErrs = validateLabelSelector(selector, `${spec}.selector`);
    selectorValid = selectorErrs.length === 0;
    errs.push(...selectorErrs);
    if (opts.allowEmptySelector !== true && isEmptySelector(selector)) {
      errs.push(invalidValue(`${spec}.selector`, selector, `empty selector is invalid for ${opts.kind}`));
    }
  }
  if (template === undefined) {
    errs.push(required(`${spec}.template`));
    return errs;
  }
  if (selector !== undefined && selectorValid && !isEmptySelector(selector)) {
    const labels = template.metadata.labels ?? {};
    if (!matchesLabelSelector(selector, labels)) {
      errs.push(invalidValue(`${spec}.template.metadata.labels`, labels, '`selector` does not match template `labels`'));
    }
  }
  errs.push(...validatePodTemplateSpec(template, `${spec}.template`, opts.extraVolumeNames));
  const policy = template.spec.restartPolicy;
  if (!opts.restartPolicies.includes(policy)) {
    errs.push(notSupported(`${spec}.template.spec.restartPolicy`, policy, opts.restartPolicies));
  }
  return errs;
}

/** Pod templates of long-running workloads may not set `activeDeadlineSeconds`. */
export function noActiveDeadline(template: PodTemplateSpec, kind: string, spec = 'spec'): FieldError[] {
  const v = template.spec.activeDeadlineSeconds;
  return v === undefined
    ? []
    : [invalidValue(`${spec}.template.spec.activeDeadlineSeconds`, v, `activeDeadlineSeconds in ${kind} is not Supported`)];
}

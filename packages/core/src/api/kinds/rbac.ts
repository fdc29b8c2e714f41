/**
 * The rbac.authorization.k8s.io/v1 kinds: Role, ClusterRole, RoleBinding and
 * ClusterRoleBinding, with upstream's validation (`pkg/apis/rbac/validation`). How their rules
 * are evaluated lives in `api/rbac.ts`.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { validateLabelSelector } from '../labels.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { isPathSegmentName } from '../validation.js';
import { check, checkDns1123Subdomain, invalidValue, notSupported, required } from './internal.js';

/** The API group of the RBAC kinds (and of `User`/`Group` subjects and role references). */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/**
 * One rule of a role: the verbs it allows on resources of API groups (optionally only the
 * named objects), or on non-resource URLs (ClusterRoles only). `*` matches everything in a list.
 */
export const PolicyRuleSchema = z.object({
  verbs: z.array(z.string()).default([]),
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  nonResourceURLs: z.array(z.string()).optional(),
});
/** One rule of a role. */
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

/** Who a binding grants its role to: a `User`, a `Group` or a `ServiceAccount` (with its namespace). */
export const SubjectSchema = z.object({
  kind: z.string(),
  apiGroup: z.string().optional(),
  name: z.string(),
  namespace: z.string().optional(),
});
/** A subject of a binding. */
export type Subject = z.infer<typeof SubjectSchema>;

/** The role a binding grants: a `Role` (in the binding's namespace) or a `ClusterRole`. */
export const RoleRefSchema = z.object({
  apiGroup: z.string(),
  kind: z.string(),
  name: z.string(),
});
/** The role a binding grants. */
export type RoleRef = z.infer<typeof RoleRefSchema>;

/** How a ClusterRole's rules are gathered from the ClusterRoles its selectors match. */
export const AggregationRuleSchema = z.object({
  clusterRoleSelectors: z.array(LabelSelectorSchema).optional(),
});
/** An aggregation rule. */
export type AggregationRule = z.infer<typeof AggregationRuleSchema>;

/** A Role (rbac.authorization.k8s.io/v1): rules in one namespace. */
export const RoleSchema = z.object({
  apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
  kind: z.literal('Role'),
  metadata: ObjectMetaSchema,
  rules: z.array(PolicyRuleSchema).optional(),
});
/** A Role. */
export type Role = z.infer<typeof RoleSchema>;

/** A ClusterRole (rbac.authorization.k8s.io/v1): rules cluster-wide, or gathered by an aggregation rule. */
export const ClusterRoleSchema = z.object({
  apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
  kind: z.literal('ClusterRole'),
  metadata: ObjectMetaSchema,
  rules: z.array(PolicyRuleSchema).optional(),
  aggregationRule: AggregationRuleSchema.optional(),
});
/** A ClusterRole. */
export type ClusterRole = z.infer<typeof ClusterRoleSchema>;

/** A RoleBinding (rbac.authorization.k8s.io/v1): grants a Role or ClusterRole inside its namespace. */
export const RoleBindingSchema = z.object({
  apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
  kind: z.literal('RoleBinding'),
  metadata: ObjectMetaSchema,
  subjects: z.array(SubjectSchema).optional(),
  roleRef: RoleRefSchema,
});
/** A RoleBinding. */
export type RoleBinding = z.infer<typeof RoleBindingSchema>;

/** A ClusterRoleBinding (rbac.authorization.k8s.io/v1): grants a ClusterRole cluster-wide. */
export const ClusterRoleBindingSchema = z.object({
  apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
  kind: z.literal('ClusterRoleBinding'),
  metadata: ObjectMetaSchema,
  subjects: z.array(SubjectSchema).optional(),
  roleRef: RoleRefSchema,
});
/** A ClusterRoleBinding. */
export type ClusterRoleBinding = z.infer<typeof ClusterRoleBindingSchema>;

// ---------------------------------------------------------------------------------------------
// Validation, as upstream's `ValidatePolicyRule`, `ValidateRoleBindingSubject`, `ValidateRoleBinding`

/** Upstream `ValidatePolicyRule`: verbs required; non-resource URLs only in cluster roles and alone; else groups and resources required. */
function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (rule.verbs.length === 0) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (namespaced) errs.push(invalidValue(`${path}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0 || (rule.resourceNames ?? []).length > 0) {
      errs.push(invalidValue(`${path}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if ((rule.apiGroups ?? []).length === 0) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if ((rule.resources ?? []).length === 0) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(rules: readonly PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((rule, i) => validatePolicyRule(rule, namespaced, `rules[${i}]`));
}

/** Upstream `ValidateRoleBindingSubject`: kind, apiGroup and name per subject kind; a cluster binding's ServiceAccount needs a namespace. */
function validateSubject(subject: Subject, clusterBinding: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (subject.name === '') errs.push(required(`${path}.name`));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (subject.name !== '') errs.push(...checkDns1123Subdomain(`${path}.name`, subject.name));
      if ((subject.apiGroup ?? '') !== '') errs.push(notSupported(`${path}.apiGroup`, subject.apiGroup, ['']));
      if (clusterBinding && (subject.namespace ?? '') === '') errs.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (subject.apiGroup !== RBAC_GROUP) errs.push(notSupported(`${path}.apiGroup`, subject.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${path}.kind`, subject.kind, ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(binding: RoleBinding | ClusterRoleBinding, clusterBinding: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const { roleRef } = binding;
  if (roleRef.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', roleRef.apiGroup, [RBAC_GROUP]));
  const kinds = clusterBinding ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (!kinds.includes(roleRef.kind)) errs.push(notSupported('roleRef.kind', roleRef.kind, kinds));
  if (roleRef.name === '') errs.push(required('roleRef.name'));
  else errs.push(...check('roleRef.name', roleRef.name, isPathSegmentName(roleRef.name)));
  (binding.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, clusterBinding, `subjects[${i}]`)));
  return errs;
}

/** Upstream: a binding's roleRef cannot change (delete and recreate the binding instead). */
function roleRefImmutable<B extends RoleBinding | ClusterRoleBinding>(binding: B, old: B): FieldError[] {
  const a = binding.roleRef;
  const b = old.roleRef;
  return a.apiGroup === b.apiGroup && a.kind === b.kind && a.name === b.name ? [] : [invalidValue('roleRef', a, 'cannot change roleRef')];
}

/** Roles (rbac.authorization.k8s.io/v1): namespaced rules; no non-resource URLs. Names are path segments. */
export const Roles = defineResource({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'Role',
  generation: 'none',
  plural: 'roles',
  namespaced: true,
  nameRule: 'path-segment',
  schema: RoleSchema,
  validate: (role) => validateRules(role.rules, true),
});

/**
 * ClusterRoles (rbac.authorization.k8s.io/v1): cluster-wide rules, non-resource URLs allowed.
 * A ClusterRole with an `aggregationRule` has its rules written by the cluster role aggregation
 * controller.
 */
export const ClusterRoles = defineResource({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRole',
  generation: 'none',
  plural: 'clusterroles',
  namespaced: false,
  nameRule: 'path-segment',
  schema: ClusterRoleSchema,
  validate(role) {
    const errs = validateRules(role.rules, false);
    (role.aggregationRule?.clusterRoleSelectors ?? []).forEach((s, i) => errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
    return errs;
  },
});

/** RoleBindings (rbac.authorization.k8s.io/v1): roleRef a Role or ClusterRole, immutable. */
export const RoleBindings = defineResource({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'RoleBinding',
  generation: 'none',
  plural: 'rolebindings',
  namespaced: true,
  nameRule: 'path-segment',
  schema: RoleBindingSchema,
  validate: (binding) => validateBinding(binding, false),
  validateUpdate: (binding, old) => roleRefImmutable(binding, old),
});

/** ClusterRoleBindings (rbac.authorization.k8s.io/v1): roleRef a ClusterRole, immutable; ServiceAccount subjects name their namespace. */
export const ClusterRoleBindings = defineResource({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRoleBinding',
  generation: 'none',
  plural: 'clusterrolebindings',
  namespaced: false,
  nameRule: 'path-segment',
  schema: ClusterRoleBindingSchema,
  validate: (binding) => validateBinding(binding, true),
  validateUpdate: (binding, old) => roleRefImmutable(binding, old),
});

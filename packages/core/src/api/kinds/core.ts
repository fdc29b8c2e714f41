/**
 * The remaining core/v1 kinds: Namespace, ConfigMap, Secret, ServiceAccount, Event,
 * ResourceQuota, LimitRange and ReplicationController. Pods, Nodes, Services/Endpoints and
 * PersistentVolumes/Claims have their own modules.
 *
 * @module
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ConditionSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { validateLabels } from '../validation.js';
import { LocalObjectReferenceSchema, ObjectReferenceSchema, PodTemplateSpecSchema, defaultPodTemplate, validatePodTemplateSpec } from './pod.js';
import {
  ResourceListSchema,
  checkQualifiedName,
  compareQuantities,
  forbidden,
  immutable,
  invalidValue,
  nonNegative,
  nonNegativeQuantities,
  notSupported,
  required,
} from './internal.js';

// ---------------------------------------------------------------------------------------------
// Namespace

/** The phases of a namespace. */
export const NamespacePhaseSchema = z.enum(['Active', 'Terminating']);
/** `Active` or `Terminating`. */
export type NamespacePhase = z.infer<typeof NamespacePhaseSchema>;

/** A Namespace (core/v1). A new namespace is `Active`. */
export const NamespaceSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: ObjectMetaSchema,
  spec: z.object({ finalizers: z.array(z.string()).optional() }).prefault({}),
  status: z
    .object({ phase: NamespacePhaseSchema.default('Active'), conditions: z.array(ConditionSchema).optional() })
    .prefault({}),
});
/** A Namespace. */
export type Namespace = z.infer<typeof NamespaceSchema>;

/**
 * Namespaces (core/v1, `ns`, cluster-scoped, DNS-1123 label names): `status.phase` Active on
 * creation, Terminating once deleted until the namespace controller empties it.
 */
export const Namespaces = defineResource({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  generation: 'none',
  plural: 'namespaces',
  shortNames: ['ns'],
  namespaced: false,
  schema: NamespaceSchema,
  nameRule: 'dns1123-label',
  subresources: { status: true },
  validate(ns) {
    const errs: FieldError[] = [];
    (ns.spec.finalizers ?? []).forEach((f, i) => {
      if (f !== 'kubernetes') errs.push(...checkQualifiedName(`spec.finalizers[${i}]`, f));
    });
    return errs;
  },
  fieldSelectors: { 'status.phase': { get: (ns) => ns.status.phase } },
});

// ---------------------------------------------------------------------------------------------
// ConfigMap and Secret

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const MAX_DATA_BYTES = 1024 * 1024;

function validateConfigKeys(field: string, keys: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of keys) {
    if (k.length > 253) errs.push(invalidValue(field, k, 'must be no more than 253 characters'));
    if (!CONFIG_KEY.test(k)) errs.push(invalidValue(field, k, CONFIG_KEY_MESSAGE));
    if (k === '.' || k === '..') errs.push(invalidValue(field, k, `must not be '${k}'`));
    else if (k.startsWith('..')) errs.push(invalidValue(field, k, "must not start with '..'"));
  }
  return errs;
}

/** A ConfigMap (core/v1): string (`data`) and base64 (`binaryData`) entries. */
export const ConfigMapSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: ObjectMetaSchema,
  data: z.record(z.string(), z.string()).optional(),
  binaryData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
});
/** A ConfigMap. */
export type ConfigMap = z.infer<typeof ConfigMapSchema>;

/**
 * ConfigMaps (core/v1, `cm`): valid, non-overlapping keys, at most 1 MiB of data, and once
 * `immutable` is set neither the data nor the flag may change (upstream `ValidateConfigMapUpdate`).
 */
export const ConfigMaps = defineResource({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  generation: 'none',
  plural: 'configmaps',
  shortNames: ['cm'],
  namespaced: true,
  schema: ConfigMapSchema,
  validate(cm) {
    const errs: FieldError[] = [];
    const data = Object.keys(cm.data ?? {});
    const binary = Object.keys(cm.binaryData ?? {});
    errs.push(...validateConfigKeys('data', data));
    errs.push(...validateConfigKeys('binaryData', binary));
    for (const k of binary) {
      if (data.includes(k)) errs.push(invalidValue('data', k, 'duplicate of key present in binaryData'));
    }
    let size = 0;
    for (const v of Object.values(cm.data ?? {})) size += v.length;
    for (const v of Object.values(cm.binaryData ?? {})) size += v.length;
    if (size > MAX_DATA_BYTES) errs.push({ type: 'FieldValueTooLong', field: '', detail: `must have at most ${MAX_DATA_BYTES} bytes` });
    return errs;
  },
  validateUpdate(cm, old) {
    if (old.immutable !== true) return [];
    const errs: FieldError[] = [];
    if (cm.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (JSON.stringify(cm.data ?? {}) !== JSON.stringify(old.data ?? {}) || JSON.stringify(cm.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})) {
      errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    }
    return errs;
  },
});

/** A Secret (core/v1): base64 `data`; `stringData` is merged into `data` on write. */
export const SecretSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: ObjectMetaSchema,
  type: z.string().default('Opaque'),
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
});
/** A Secret. */
export type Secret = z.infer<typeof SecretSchema>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Keys each well-known Secret type requires in `data`. */
const SECRET_TYPE_KEYS: Record<string, readonly string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/**
 * Secrets (core/v1): type Opaque by default, `stringData` folded into `data` as upstream's
 * conversion does, keys validated like ConfigMap keys, values valid base64, the keys a
 * well-known type needs (`data[tls.crt]: Required value`), and `type` immutable.
 */
export const Secrets = defineResource({
  group: '',
  version: 'v1',
  kind: 'Secret',
  generation: 'none',
  plural: 'secrets',
  namespaced: true,
  schema: SecretSchema,
  defaults(secret) {
    if (secret.stringData === undefined) return secret;
    const data = { ...secret.data };
    for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    const { stringData: _stringData, ...rest } = secret;
    return { ...rest, data };
  },
  validate(secret) {
    const errs: FieldError[] = [];
    const data = secret.data ?? {};
    errs.push(...validateConfigKeys('data', Object.keys(data)));
    let size = 0;
    for (const [k, v] of Object.entries(data)) {
      if (!BASE64.test(v)) errs.push(invalidValue(`data[${k}]`, '<secret data>', 'illegal base64 data'));
      size += v.length;
    }
    if (size > (MAX_DATA_BYTES * 4) / 3 + 4) errs.push({ type: 'FieldValueTooLong', field: 'data', detail: `must have at most ${MAX_DATA_BYTES} bytes` });
    for (const key of SECRET_TYPE_KEYS[secret.type] ?? []) {
      if (data[key] === undefined) errs.push(required(`data[${key}]`));
    }
    if (secret.type === 'kubernetes.io/service-account-token') {
      if (!secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
    }
    if (secret.type === 'kubernetes.io/basic-auth' && data['username'] === undefined && data['password'] === undefined) {
      errs.push(required('data[username]', 'either username or password is required'));
    }
    return errs;
  },
  validateUpdate(secret, old) {
    const errs = immutable('type', secret.type, old.type);
    if (old.immutable === true) {
      if (secret.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
      if (JSON.stringify(secret.data ?? {}) !== JSON.stringify(old.data ?? {})) {
        errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
      }
    }
    return errs;
  },
  fieldSelectors: { type: { get: (s) => s.type } },
});

// ---------------------------------------------------------------------------------------------
// ServiceAccount

/** A ServiceAccount (core/v1): the identity pods run as. */
export const ServiceAccountSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ServiceAccount'),
  metadata: ObjectMetaSchema,
  secrets: z.array(ObjectReferenceSchema).optional(),
  imagePullSecrets: z.array(LocalObjectReferenceSchema).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});
/** A ServiceAccount. */
export type ServiceAccount = z.infer<typeof ServiceAccountSchema>;

/** ServiceAccounts (core/v1, `sa`): one `default` account per namespace is created by a controller. */
export const ServiceAccounts = defineResource({
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  generation: 'none',
  plural: 'serviceaccounts',
  shortNames: ['sa'],
  namespaced: true,
  schema: ServiceAccountSchema,
});

// ---------------------------------------------------------------------------------------------
// Event

/** A core/v1 Event: something that happened to `involvedObject`, deduplicated with `count`. */
export const EventSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Event'),
  metadata: ObjectMetaSchema,
  involvedObject: ObjectReferenceSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: z.string().nullish(),
  lastTimestamp: z.string().nullish(),
  count: z.number().int().optional(),
  type: z.string().optional(),
  eventTime: z.string().nullish(),
  series: z.object({ count: z.number().int().optional(), lastObservedTime: z.string().optional() }).optional(),
  action: z.string().optional(),
  related: ObjectReferenceSchema.optional(),
  reportingComponent: z.string().default(''),
  reportingInstance: z.string().default(''),
});
/** A core/v1 Event. */
export type Event = z.infer<typeof EventSchema>;

/**
 * Events (core/v1, `ev`): what the event recorder writes. Validated as upstream's legacy
 * `ValidateEventCreate`: the involved object's namespace matches the event's, type Normal or
 * Warning when set. Field selectors as `kubectl get events --field-selector`.
 */
export const Events = defineResource({
  group: '',
  version: 'v1',
  kind: 'Event',
  generation: 'none',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  schema: EventSchema,
  validate(ev) {
    const errs: FieldError[] = [];
    const ns = ev.involvedObject.namespace;
    if (ns !== undefined && ns !== '' && ev.metadata.namespace !== undefined && ns !== ev.metadata.namespace) {
      errs.push(invalidValue('involvedObject.namespace', ns, 'does not match event.namespace'));
    }
    if (ev.type !== undefined && ev.type !== '' && ev.type !== 'Normal' && ev.type !== 'Warning') {
      errs.push(notSupported('type', ev.type, ['Normal', 'Warning']));
    }
    errs.push(...nonNegative('count', ev.count));
    return errs;
  },
  fieldSelectors: {
    'involvedObject.kind': { get: (e) => e.involvedObject.kind ?? '' },
    'involvedObject.namespace': { get: (e) => e.involvedObject.namespace ?? '' },
    'involvedObject.name': { get: (e) => e.involvedObject.name ?? '' },
    'involvedObject.uid': { get: (e) => e.involvedObject.uid ?? '' },
    'involvedObject.apiVersion': { get: (e) => e.involvedObject.apiVersion ?? '' },
    'involvedObject.resourceVersion': { get: (e) => e.involvedObject.resourceVersion ?? '' },
    'involvedObject.fieldPath': { get: (e) => e.involvedObject.fieldPath ?? '' },
    reason: { get: (e) => e.reason ?? '' },
    reportingComponent: { get: (e) => e.reportingComponent },
    source: { get: (e) => e.source?.component ?? '' },
    type: { get: (e) => e.type ?? '' },
  },
});

// ---------------------------------------------------------------------------------------------
// ResourceQuota and LimitRange

const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
  'VolumeAttributesClass',
] as const;

/** A ResourceQuota (core/v1): hard limits per namespace and what is used. */
export const ResourceQuotaSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ResourceQuota'),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      hard: ResourceListSchema.optional(),
      scopes: z.array(z.string()).optional(),
      scopeSelector: z
        .object({
          matchExpressions: z
            .array(z.object({ scopeName: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
            .optional(),
        })
        .optional(),
    })
    .prefault({}),
  status: z.object({ hard: ResourceListSchema.optional(), used: ResourceListSchema.optional() }).prefault({}),
});
/** A ResourceQuota. */
export type ResourceQuota = z.infer<typeof ResourceQuotaSchema>;

/**
 * ResourceQuotas (core/v1, `quota`): enforced by the quota admission hook, `status.used`
 * kept by the quota controller (`resourceQuotaAdmission` and `resourceQuotaPlugin` in
 * `@kubeloop/controllers`; a `SimCluster` runs both). Validated as upstream `ValidateResourceQuota`: qualified
 * resource names, non-negative quantities, known scopes.
 */
export const ResourceQuotas = defineResource({
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  generation: 'none',
  plural: 'resourcequotas',
  shortNames: ['quota'],
  namespaced: true,
  schema: ResourceQuotaSchema,
  subresources: { status: true },
  validate(q) {
    const errs: FieldError[] = [];
    for (const name of Object.keys(q.spec.hard ?? {})) errs.push(...checkQualifiedName(`spec.hard[${name}]`, name));
    errs.push(...nonNegativeQuantities('spec.hard', q.spec.hard));
    errs.push(...nonNegativeQuantities('status.hard', q.status.hard));
    errs.push(...nonNegativeQuantities('status.used', q.status.used));
    (q.spec.scopes ?? []).forEach((s, i) => {
      if (!(QUOTA_SCOPES as readonly string[]).includes(s)) errs.push(notSupported(`spec.scopes[${i}]`, s, QUOTA_SCOPES));
    });
    (q.spec.scopeSelector?.matchExpressions ?? []).forEach((e, i) => {
      if (!(QUOTA_SCOPES as readonly string[]).includes(e.scopeName)) {
        errs.push(notSupported(`spec.scopeSelector.matchExpressions[${i}].scopeName`, e.scopeName, QUOTA_SCOPES));
      }
    });
    return errs;
  },
});

/** One limit of a LimitRange, for a `Container`, a `Pod` or a `PersistentVolumeClaim`. */
export const LimitRangeItemSchema = z.object({
  type: z.enum(['Container', 'Pod', 'PersistentVolumeClaim']),
  max: ResourceListSchema.optional(),
  min: ResourceListSchema.optional(),
  default: ResourceListSchema.optional(),
  defaultRequest: ResourceListSchema.optional(),
  maxLimitRequestRatio: ResourceListSchema.optional(),
});
/** One limit of a LimitRange. */
export type LimitRangeItem = z.infer<typeof LimitRangeItemSchema>;

/** A LimitRange (core/v1): per-namespace min/max and default requests/limits. */
export const LimitRangeSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('LimitRange'),
  metadata: ObjectMetaSchema,
  spec: z.object({ limits: z.array(LimitRangeItemSchema) }),
});
/** A LimitRange. */
export type LimitRange = z.infer<typeof LimitRangeSchema>;

/** Upstream `SetDefaults_LimitRangeItem`: for containers, default ← max, defaultRequest ← default, then ← min. */
function defaultLimitRangeItem(item: LimitRangeItem): LimitRangeItem {
  if (item.type !== 'Container') return item;
  const def = { ...item.default };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  const req = { ...item.defaultRequest };
  for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
  return { ...item, default: def, defaultRequest: req };
}

function validateLimitRangeItem(item: LimitRangeItem, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const part of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
    errs.push(...nonNegativeQuantities(`${field}.${part}`, item[part]));
  }
  if (item.type === 'Pod') {
    if (item.default && Object.keys(item.default).length > 0) errs.push(forbidden(`${field}.default`, "may not be specified when `type` is 'Pod'"));
    if (item.defaultRequest && Object.keys(item.defaultRequest).length > 0) {
      errs.push(forbidden(`${field}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
  }
  const names = new Set([...Object.keys(item.max ?? {}), ...Object.keys(item.min ?? {}), ...Object.keys(item.default ?? {}), ...Object.keys(item.defaultRequest ?? {})]);
  for (const k of names) {
    const min = item.min?.[k];
    const max = item.max?.[k];
    const def = item.default?.[k];
    const req = item.defaultRequest?.[k];
    const gt = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && compareQuantities(a, b) === 1;
    if (gt(min, max)) errs.push(invalidValue(`${field}.min[${k}]`, min, `min value ${min} is greater than max value ${max}`));
    if (gt(req, max)) errs.push(invalidValue(`${field}.defaultRequest[${k}]`, req, `default request value ${req} is greater than max value ${max}`));
    if (gt(min, req)) errs.push(invalidValue(`${field}.defaultRequest[${k}]`, req, `min value ${min} is greater than default request value ${req}`));
    if (gt(req, def)) errs.push(invalidValue(`${field}.defaultRequest[${k}]`, req, `default request value ${req} is greater than default limit value ${def}`));
    if (gt(def, max)) errs.push(invalidValue(`${field}.default[${k}]`, def, `default value ${def} is greater than max value ${max}`));
    if (gt(min, def)) errs.push(invalidValue(`${field}.default[${k}]`, def, `min value ${min} is greater than default value ${def}`));
  }
  return errs;
}

/**
 * LimitRanges (core/v1, `limits`): upstream's container defaults (the default limit from
 * `max`, the default request from the default limit, then from `min`) and the ordering rules
 * min ≤ defaultRequest ≤ default ≤ max of `ValidateLimitRange`. Applying them to pods is an
 * admission hook's job.
 */
export const LimitRanges = defineResource({
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  generation: 'none',
  plural: 'limitranges',
  shortNames: ['limits'],
  namespaced: true,
  schema: LimitRangeSchema,
  defaults(lr) {
    return { ...lr, spec: { ...lr.spec, limits: lr.spec.limits.map(defaultLimitRangeItem) } };
  },
  validate(lr) {
    return lr.spec.limits.flatMap((item, i) => validateLimitRangeItem(item, `spec.limits[${i}]`));
  },
});

// ---------------------------------------------------------------------------------------------
// ReplicationController

/** A ReplicationController (core/v1): the ancestor of the ReplicaSet, with a map selector. */
export const ReplicationControllerSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ReplicationController'),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      replicas: z.number().int().default(1),
      minReadySeconds: z.number().int().optional(),
      selector: z.record(z.string(), z.string()).optional(),
      template: PodTemplateSpecSchema.optional(),
    })
    .prefault({}),
  status: z
    .object({
      replicas: z.number().int().default(0),
      fullyLabeledReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .prefault({}),
});
/** A ReplicationController. */
export type ReplicationController = z.infer<typeof ReplicationControllerSchema>;

/**
 * ReplicationControllers (core/v1, `rc`): upstream's defaults (replicas 1, the selector and
 * the labels taken from the template's labels when empty) and `ValidateReplicationController`
 * (a non-empty selector matching the template's labels, restartPolicy Always), with the
 * status and scale subresources.
 */
export const ReplicationControllers = defineResource({
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  shortNames: ['rc'],
  namespaced: true,
  schema: ReplicationControllerSchema,
  subresources: {
    status: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
  },
  defaults(rc) {
    const template = rc.spec.template ? defaultPodTemplate(rc.spec.template) : undefined;
    const templateLabels = template?.metadata.labels;
    let out: ReplicationController = template === rc.spec.template ? rc : { ...rc, spec: { ...rc.spec, template } };
    if (templateLabels && Object.keys(rc.spec.selector ?? {}).length === 0) {
      out = { ...out, spec: { ...out.spec, selector: { ...templateLabels } } };
    }
    if (templateLabels && Object.keys(rc.metadata.labels ?? {}).length === 0) {
      out = { ...out, metadata: { ...out.metadata, labels: { ...templateLabels } } };
    }
    return out;
  },
  validate(rc) {
    const errs: FieldError[] = [];
    const selector = rc.spec.selector ?? {};
    if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
    else errs.push(...validateLabels(selector, 'spec.selector'));
    errs.push(...nonNegative('spec.replicas', rc.spec.replicas));
    errs.push(...nonNegative('spec.minReadySeconds', rc.spec.minReadySeconds));
    const template = rc.spec.template;
    if (template === undefined) errs.push(required('spec.template'));
    else {
      const labels = template.metadata.labels ?? {};
      if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
        errs.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
      }
      errs.push(...validatePodTemplateSpec(template, 'spec.template'));
      if (template.spec.restartPolicy !== 'Always') {
        errs.push(notSupported('spec.template.spec.restartPolicy', template.spec.restartPolicy, ['Always']));
      }
      if (template.spec.activeDeadlineSeconds !== undefined) {
        errs.push(
          invalidValue('spec.template.spec.activeDeadlineSeconds', template.spec.activeDeadlineSeconds, 'activeDeadlineSeconds in ReplicationController is not Supported'),
        );
      }
    }
    return errs;
  },
  fieldSelectors: { 'status.replicas': { get: (rc) => String(rc.status.replicas) } },
});

/**
 * The object model shared by every kind: `TypeMeta`, `ObjectMeta`, owner references, label
 * selectors and conditions, as zod schemas with the TypeScript types inferred from them.
 *
 * Timestamps are RFC 3339 strings (`2026-01-02T03:04:05Z`), as in Kubernetes JSON.
 *
 * @module
 */
import { z } from 'zod';

/** A reference from a dependent to its owner (`metadata.ownerReferences[]`). */
export const OwnerReferenceSchema = z.object({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().min(1),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
/** A reference from a dependent to its owner. At most one reference per object has `controller: true`. */
export type OwnerReference = z.infer<typeof OwnerReferenceSchema>;

/**
 * One `metadata.managedFields` entry (upstream `metav1.ManagedFieldsEntry`): which fields
 * (`fieldsV1`) a manager owns, by which operation (`Apply` or `Update`), in which `apiVersion`,
 * through which subresource, since when.
 */
export const ManagedFieldsEntrySchema = z.object({
  manager: z.string().optional(),
  operation: z.enum(['Apply', 'Update']).optional(),
  apiVersion: z.string().optional(),
  time: z.string().optional(),
  fieldsType: z.string().optional(),
  fieldsV1: z.record(z.string(), z.unknown()).optional(),
  subresource: z.string().optional(),
});
/** One `metadata.managedFields` entry. */
export type ManagedFieldsEntry = z.infer<typeof ManagedFieldsEntrySchema>;

/** Standard object metadata (`metadata`). Fields the server owns are ignored on create. */
export const ObjectMetaSchema = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(ManagedFieldsEntrySchema).optional(),
});
/** Standard object metadata. */
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/** Metadata of a list: the list's `resourceVersion` (the store's revision when it was taken). */
export interface ListMeta {
  /** The revision at which the list was read; a watch from it misses nothing. */
  readonly resourceVersion: string;
}

/**
 * The shape every stored object has. Kind-specific types (`Pod`, `Deployment`, ...) extend it
 * with `spec` and `status`.
 */
export interface KubeObject {
  /** `group/version`, or just `version` for the core group (`v1`). */
  apiVersion: string;
  /** The kind, e.g. `Deployment`. */
  kind: string;
  /** Standard object metadata. */
  metadata: ObjectMeta;
}

/** A `List` of objects as returned by `list`: `kind` is `<Kind>List`. */
export interface ObjectList<T extends KubeObject> {
  /** Same as the items' `apiVersion`. */
  readonly apiVersion: string;
  /** `<Kind>List`, e.g. `PodList`. */
  readonly kind: string;
  /** The list's revision. */
  readonly metadata: ListMeta;
  /** The objects, ordered by namespace then name. */
  readonly items: readonly T[];
}

/** The operators of a label selector requirement. */
export const LabelSelectorOperatorSchema = z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']);
/** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
export type LabelSelectorOperator = z.infer<typeof LabelSelectorOperatorSchema>;

/** One requirement of a structured label selector (`matchExpressions[]`). */
export const LabelSelectorRequirementSchema = z.object({
  key: z.string(),
  operator: LabelSelectorOperatorSchema,
  values: z.array(z.string()).optional(),
});
/** One requirement of a structured label selector. */
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

/**
 * A structured label selector (`matchLabels` AND `matchExpressions`). An empty selector
 * matches everything; a missing (undefined) selector matches nothing where upstream says so.
 */
export const LabelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});
/** A structured label selector. */
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

/** A status condition in the common shape (`type`, `status`, `reason`, `message`, times). */
export const ConditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: z.string().optional(),
  lastUpdateTime: z.string().optional(),
  lastProbeTime: z.string().optional(),
  lastHeartbeatTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A status condition. */
export type Condition = z.infer<typeof ConditionSchema>;

/** Identity of an object: namespace (absent for cluster-scoped kinds) and name. */
export interface ObjectKey {
  /** The namespace; `undefined` for cluster-scoped objects. */
  readonly namespace?: string | undefined;
  /** The object's name. */
  readonly name: string;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's `MetaNamespaceKeyFunc`). */
export function keyString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

/** The {@link ObjectKey} of an object. */
export function objectKey(obj: KubeObject): ObjectKey {
  return obj.metadata.namespace
    ? { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' }
    : { name: obj.metadata.name ?? '' };
}

/** Parses `namespace/name` or `name` back into an {@link ObjectKey}. */
export function parseKeyString(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Compares two `resourceVersion`s as the API server orders them (upstream apimachinery
 * `CompareResourceVersion`, KEP-5505): both are decimal integers without leading zeros, and
 * the larger one is the newer write. Returns a negative number when `a` is older than `b`, 0
 * when they are equal, a positive number when `a` is newer, and `undefined` when either is not
 * such an integer (a server that does not promise the order; callers then cannot tell which is
 * newer).
 *
 * Worked example: `'9'` vs `'10'` → negative (9 < 10, not the string order); `'10'` vs `'10'`
 * → 0; `''` or `'0x1'` vs anything → undefined.
 */
export function compareResourceVersions(a: string, b: string): number | undefined {
  if (!isDecimalInteger(a) || !isDecimalInteger(b)) return undefined;
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether `s` is a decimal integer without leading zeros (`0`, `1`, `10`, not `''`, `01`,
 * `-1`). A loop over the characters, not a regular expression: informers call it for every
 * watch event.
 */
function isDecimalInteger(s: string): boolean {
  const n = s.length;
  if (n === 0 || (n > 1 && s.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The owner reference with `controller: true`, if any. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Splits `apps/v1` into `{group: 'apps', version: 'v1'}` and `v1` into `{group: '', version: 'v1'}`. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

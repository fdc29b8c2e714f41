/**
 * PersistentVolumes and PersistentVolumeClaims (core/v1): storage that outlives pods, bound
 * one-to-one by the persistent volume controller.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { validateLabelSelector } from '../labels.js';
import { ConditionSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import {
  NodeSelectorSchema,
  ObjectReferenceSchema,
  PersistentVolumeClaimSpecSchema,
  validateNodeSelectorTerm,
  type PersistentVolumeClaimSpec,
} from './pod.js';
import { ResourceListSchema, checkDns1123Subdomain, compareQuantities, forbidden, invalidValue, nonNegativeQuantities, quantitySign, required } from './internal.js';
import { deepEqual } from '../../util/objects.js';

/** The access modes of a volume. */
export const PersistentVolumeAccessModeSchema = z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']);
/** `ReadWriteOnce`, `ReadOnlyMany`, `ReadWriteMany` or `ReadWriteOncePod`. */
export type PersistentVolumeAccessMode = z.infer<typeof PersistentVolumeAccessModeSchema>;

/** The PersistentVolume spec: capacity, access modes, class, reclaim policy, claim and source. */
export const PersistentVolumeSpecSchema = z.object({
  capacity: ResourceListSchema.optional(),
  accessModes: z.array(PersistentVolumeAccessModeSchema).optional(),
  claimRef: ObjectReferenceSchema.optional(),
  persistentVolumeReclaimPolicy: z.enum(['Retain', 'Delete', 'Recycle']).default('Retain'),
  storageClassName: z.string().optional(),
  mountOptions: z.array(z.string()).optional(),
  volumeMode: z.enum(['Filesystem', 'Block']).default('Filesystem'),
  nodeAffinity: z.object({ required: NodeSelectorSchema.optional() }).optional(),
  volumeAttributesClassName: z.string().optional(),
  hostPath: z.object({ path: z.string(), type: z.string().optional() }).optional(),
  local: z.object({ path: z.string(), fsType: z.string().optional() }).optional(),
  nfs: z.object({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() }).optional(),
  csi: z.record(z.string(), z.unknown()).optional(),
});
/** The PersistentVolume spec. */
export type PersistentVolumeSpec = z.infer<typeof PersistentVolumeSpecSchema>;

/** The phases of a PersistentVolume. */
export const PersistentVolumePhaseSchema = z.enum(['Pending', 'Available', 'Bound', 'Released', 'Failed']);
/** A PersistentVolume phase. */
export type PersistentVolumePhase = z.infer<typeof PersistentVolumePhaseSchema>;

/** A PersistentVolume (core/v1). A new volume is `Pending`. */
export const PersistentVolumeSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolume'),
  metadata: ObjectMetaSchema,
  spec: PersistentVolumeSpecSchema.prefault({}),
  status: z
    .object({
      phase: PersistentVolumePhaseSchema.default('Pending'),
      message: z.string().optional(),
      reason: z.string().optional(),
      lastPhaseTransitionTime: z.string().optional(),
    })
    .prefault({}),
});
/** A PersistentVolume. */
export type PersistentVolume = z.infer<typeof PersistentVolumeSchema>;

const PV_SOURCES = ['hostPath', 'local', 'nfs', 'csi'] as const;

/**
 * PersistentVolumes (core/v1, `pv`, cluster-scoped): reclaim policy Retain and volume mode
 * Filesystem by default, validated as upstream `ValidatePersistentVolume` (capacity with
 * `storage`, access modes, exactly one volume source, node affinity for local volumes).
 */
export const PersistentVolumes = defineResource({
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  generation: 'none',
  plural: 'persistentvolumes',
  shortNames: ['pv'],
  namespaced: false,
  schema: PersistentVolumeSchema,
  subresources: { status: true },
  validate(pv) {
    const errs: FieldError[] = [];
    const spec = pv.spec;
    if (spec.accessModes === undefined || spec.accessModes.length === 0) errs.push(required('spec.accessModes'));
    const capacity = spec.capacity ?? {};
    if (Object.keys(capacity).length === 0) errs.push(required('spec.capacity'));
    else if (capacity['storage'] === undefined) {
      errs.push(invalidValue('spec.capacity', Object.keys(capacity), 'must contain storage'));
    }
    errs.push(...nonNegativeQuantities('spec.capacity', spec.capacity));
    const sources = PV_SOURCES.filter((s) => spec[s] !== undefined);
    if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
    else if (sources.length > 1) errs.push(forbidden(`spec.${sources[1]!}`, 'may not specify more than 1 volume type'));
    if (spec.local && spec.nodeAffinity?.required === undefined) {
      errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
    }
    (spec.nodeAffinity?.required?.nodeSelectorTerms ?? []).forEach((t, i) =>
      errs.push(...validateNodeSelectorTerm(t, `spec.nodeAffinity.required.nodeSelectorTerms[${i}]`)),
    );
    if (spec.storageClassName) errs.push(...checkDns1123Subdomain('spec.storageClassName', spec.storageClassName));
    return errs;
  },
  validateUpdate(pv, old) {
    return deepEqual(pv.spec.volumeMode, old.spec.volumeMode)
      ? []
      : [invalidValue('spec.volumeMode', pv.spec.volumeMode, 'field is immutable')];
  },
});

/** The phases of a PersistentVolumeClaim. */
export const PersistentVolumeClaimPhaseSchema = z.enum(['Pending', 'Bound', 'Lost']);
/** A PersistentVolumeClaim phase. */
export type PersistentVolumeClaimPhase = z.infer<typeof PersistentVolumeClaimPhaseSchema>;

/** The PersistentVolumeClaim status; a new claim is `Pending`. */
export const PersistentVolumeClaimStatusSchema = z.object({
  phase: PersistentVolumeClaimPhaseSchema.default('Pending'),
  accessModes: z.array(PersistentVolumeAccessModeSchema).optional(),
  capacity: ResourceListSchema.optional(),
  conditions: z.array(ConditionSchema).optional(),
  allocatedResources: ResourceListSchema.optional(),
});
/** The PersistentVolumeClaim status. */
export type PersistentVolumeClaimStatus = z.infer<typeof PersistentVolumeClaimStatusSchema>;

/** A PersistentVolumeClaim (core/v1). */
export const PersistentVolumeClaimSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolumeClaim'),
  metadata: ObjectMetaSchema,
  spec: PersistentVolumeClaimSpecSchema.prefault({}),
  status: PersistentVolumeClaimStatusSchema.prefault({}),
});
/** A PersistentVolumeClaim. */
export type PersistentVolumeClaim = z.infer<typeof PersistentVolumeClaimSchema>;

/**
 * Validates a claim spec at `field` as upstream `ValidatePersistentVolumeClaimSpec`: at least
 * one access mode, a positive `storage` request, a valid selector.
 */
export function validatePersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.accessModes === undefined || spec.accessModes.length === 0) {
    errs.push(required(`${field}.accessModes`, 'at least 1 access mode is required'));
  }
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, `${field}.selector`));
  const storage = spec.resources?.requests?.['storage'];
  if (storage === undefined) errs.push(required(`${field}.resources[storage]`));
  else if (quantitySign(storage) !== 1) errs.push(invalidValue(`${field}.resources[storage]`, storage, 'must be greater than zero'));
  errs.push(...nonNegativeQuantities(`${field}.resources.requests`, spec.resources?.requests));
  errs.push(...nonNegativeQuantities(`${field}.resources.limits`, spec.resources?.limits));
  if (spec.storageClassName) errs.push(...checkDns1123Subdomain(`${field}.storageClassName`, spec.storageClassName));
  return errs;
}

/**
 * PersistentVolumeClaims (core/v1, `pvc`): volume mode Filesystem by default; the spec is
 * immutable after creation except `resources.requests` (which may not shrink below the bound
 * capacity) and binding a `volumeName` that was empty, as upstream `ValidatePersistentVolumeClaimUpdate`.
 */
export const PersistentVolumeClaims = defineResource({
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  generation: 'none',
  plural: 'persistentvolumeclaims',
  shortNames: ['pvc'],
  namespaced: true,
  schema: PersistentVolumeClaimSchema,
  subresources: { status: true },
  validate(pvc) {
    return validatePersistentVolumeClaimSpec(pvc.spec, 'spec');
  },
  validateUpdate(pvc, old) {
    const errs: FieldError[] = [];
    const mask = (s: PersistentVolumeClaimSpec, volumeName: string | undefined): unknown => ({
      ...s,
      resources: { ...s.resources, requests: undefined },
      volumeName,
      volumeAttributesClassName: undefined,
    });
    // Binding may set volumeName once.
    const volumeName = old.spec.volumeName === undefined || old.spec.volumeName === '' ? pvc.spec.volumeName : old.spec.volumeName;
    if (!deepEqual(mask(pvc.spec, pvc.spec.volumeName), mask(old.spec, volumeName))) {
      errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
    // Upstream (RecoverVolumeExpansionFailure): a request may shrink, but not to status.capacity
    // or below; an unchanged request is fine even when the bound volume is larger.
    const newStorage = pvc.spec.resources?.requests?.['storage'];
    const oldStorage = old.spec.resources?.requests?.['storage'];
    const capacity = old.status.capacity?.['storage'];
    const shrinks = newStorage !== undefined && oldStorage !== undefined && compareQuantities(newStorage, oldStorage) === -1;
    if (shrinks && capacity !== undefined && compareQuantities(newStorage, capacity) !== 1) {
      errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
    return errs;
  },
});

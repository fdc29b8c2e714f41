/**
 * The storage.k8s.io/v1 StorageClass: how PersistentVolumes are provisioned for claims.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { NodeSelectorRequirementSchema } from './pod.js';
import { checkQualifiedName, forbidden, required, tooMany } from './internal.js';
import { deepEqual } from '../../util/objects.js';

/**
 * A StorageClass (storage.k8s.io/v1), with upstream's defaults: reclaimPolicy Delete,
 * volumeBindingMode Immediate.
 */
export const StorageClassSchema = z.object({
  apiVersion: z.literal('storage.k8s.io/v1'),
  kind: z.literal('StorageClass'),
  metadata: ObjectMetaSchema,
  provisioner: z.string(),
  parameters: z.record(z.string(), z.string()).optional(),
  reclaimPolicy: z.enum(['Delete', 'Retain']).default('Delete'),
  mountOptions: z.array(z.string()).optional(),
  allowVolumeExpansion: z.boolean().optional(),
  volumeBindingMode: z.enum(['Immediate', 'WaitForFirstConsumer']).default('Immediate'),
  allowedTopologies: z
    .array(z.object({ matchLabelExpressions: z.array(NodeSelectorRequirementSchema.pick({ key: true, values: true })).optional() }))
    .optional(),
});
/** A StorageClass. */
export type StorageClass = z.infer<typeof StorageClassSchema>;

/** The annotation that marks the default StorageClass. */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/**
 * StorageClasses (storage.k8s.io/v1, `sc`, cluster-scoped): `ValidateStorageClass` (a
 * qualified-name provisioner, at most 512 parameters) and `ValidateStorageClassUpdate`
 * (parameters, provisioner, reclaimPolicy and volumeBindingMode are immutable).
 */
export const StorageClasses = defineResource({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  generation: 'none',
  plural: 'storageclasses',
  shortNames: ['sc'],
  namespaced: false,
  schema: StorageClassSchema,
  validate(sc) {
    const errs: FieldError[] = [];
    if (sc.provisioner === '') errs.push(required('provisioner'));
    else errs.push(...checkQualifiedName('provisioner', sc.provisioner));
    const n = Object.keys(sc.parameters ?? {}).length;
    if (n > 512) errs.push(tooMany('parameters', n, 512));
    return errs;
  },
  validateUpdate(sc, old) {
    const errs: FieldError[] = [];
    if (!deepEqual(sc.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (sc.volumeBindingMode !== old.volumeBindingMode) {
      errs.push(forbidden('volumeBindingMode', 'field is immutable'));
    }
    return errs;
  },
});

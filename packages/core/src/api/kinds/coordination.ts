/**
 * The coordination.k8s.io/v1 Lease: leader election and node heartbeats.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { forbidden, invalidValue, nonNegative, positive } from './internal.js';

/** The Lease spec: who holds it, for how long, and since when. Times are RFC 3339 with microseconds. */
export const LeaseSpecSchema = z.object({
  holderIdentity: z.string().optional(),
  leaseDurationSeconds: z.number().int().optional(),
  acquireTime: z.string().optional(),
  renewTime: z.string().optional(),
  leaseTransitions: z.number().int().optional(),
  strategy: z.string().optional(),
  preferredHolder: z.string().optional(),
});
/** The Lease spec. */
export type LeaseSpec = z.infer<typeof LeaseSpecSchema>;

/** A Lease (coordination.k8s.io/v1). */
export const LeaseSchema = z.object({
  apiVersion: z.literal('coordination.k8s.io/v1'),
  kind: z.literal('Lease'),
  metadata: ObjectMetaSchema,
  spec: LeaseSpecSchema.prefault({}),
});
/** A Lease. */
export type Lease = z.infer<typeof LeaseSchema>;

/** The namespace holding the kubelets' node heartbeat leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/**
 * Leases (coordination.k8s.io/v1): what the controller manager's leader election and each
 * kubelet's heartbeat renew. `ValidateLeaseSpec`: leaseDurationSeconds > 0,
 * leaseTransitions ≥ 0, `preferredHolder` only with a `strategy`.
 */
export const Leases = defineResource({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  generation: 'none',
  plural: 'leases',
  namespaced: true,
  schema: LeaseSchema,
  validate(lease) {
    const spec = lease.spec;
    const errs: FieldError[] = [
      ...positive('spec.leaseDurationSeconds', spec.leaseDurationSeconds),
      ...nonNegative('spec.leaseTransitions', spec.leaseTransitions),
    ];
    if (spec.preferredHolder && !spec.strategy) {
      errs.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
    }
    for (const f of ['acquireTime', 'renewTime'] as const) {
      const v = spec[f];
      if (v !== undefined && Number.isNaN(Date.parse(v))) errs.push(invalidValue(`spec.${f}`, v, 'must be an RFC 3339 time'));
    }
    return errs;
  },
});

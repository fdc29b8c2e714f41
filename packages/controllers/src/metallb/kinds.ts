/**
 * MetalLB's own resources (`metallb.io/v1beta1`), as custom kinds with zod schemas: an
 * `IPAddressPool` lists the addresses LoadBalancer Services may get; an `L2Advertisement`
 * announces pools on the nodes' layer 2 (ARP). Field names as MetalLB's CRDs.
 *
 * @module
 */
import { LabelSelectorSchema, ObjectMetaSchema, defineResource } from '@kubeloop/core';
import type { FieldError } from '@kubeloop/core';
import { z } from 'zod';
import { parseAddressEntry } from './addresses.js';

/** The API group and version of MetalLB's resources. */
export const METALLB_API_VERSION = 'metallb.io/v1beta1';

/** Which Services a pool serves (`spec.serviceAllocation`): a priority, namespaces, selectors. */
export const ServiceAllocationSchema = z.object({
  priority: z.number().int().optional(),
  namespaces: z.array(z.string()).optional(),
  namespaceSelectors: z.array(LabelSelectorSchema).optional(),
  serviceSelectors: z.array(LabelSelectorSchema).optional(),
});

/** The schema of an {@link IPAddressPool}. */
export const IPAddressPoolSchema = z.object({
  apiVersion: z.literal(METALLB_API_VERSION),
  kind: z.literal('IPAddressPool'),
  metadata: ObjectMetaSchema,
  spec: z.object({
    addresses: z.array(z.string()),
    autoAssign: z.boolean().default(true),
    avoidBuggyIPs: z.boolean().default(false),
    serviceAllocation: ServiceAllocationSchema.optional(),
  }),
  status: z
    .object({ assignedIPv4: z.number().int().optional(), assignedIPv6: z.number().int().optional(), availableIPv4: z.number().int().optional(), availableIPv6: z.number().int().optional() })
    .prefault({}),
});
/** A MetalLB address pool: `spec.addresses` are CIDRs or `first-last` ranges. */
export type IPAddressPool = z.infer<typeof IPAddressPoolSchema>;

/**
 * IPAddressPools (`metallb.io/v1beta1`, namespaced; MetalLB reads those in its own namespace).
 * Validation as MetalLB's webhook: every address a CIDR or a range (`invalid CIDR "…"`,
 * `invalid IP range "…": …`).
 */
export const IPAddressPools = defineResource({
  group: 'metallb.io',
  version: 'v1beta1',
  kind: 'IPAddressPool',
  plural: 'ipaddresspools',
  namespaced: true,
  subresources: { status: true },
  schema: IPAddressPoolSchema,
  validate(pool) {
    const errs: FieldError[] = [];
    if (pool.spec.addresses.length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec.addresses', detail: 'Required value' });
    pool.spec.addresses.forEach((a, i) => {
      const parsed = parseAddressEntry(a);
      if (parsed.error !== undefined) errs.push({ type: 'FieldValueInvalid', field: `spec.addresses[${i}]`, value: a, detail: parsed.error });
    });
    return errs;
  },
});

/** The schema of an {@link L2Advertisement}. */
export const L2AdvertisementSchema = z.object({
  apiVersion: z.literal(METALLB_API_VERSION),
  kind: z.literal('L2Advertisement'),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      ipAddressPools: z.array(z.string()).optional(),
      ipAddressPoolSelectors: z.array(LabelSelectorSchema).optional(),
      nodeSelectors: z.array(LabelSelectorSchema).optional(),
      interfaces: z.array(z.string()).optional(),
    })
    .prefault({}),
  status: z.object({}).passthrough().optional(),
});
/** A MetalLB layer-2 advertisement: which pools are announced (all when none is named), from which nodes. */
export type L2Advertisement = z.infer<typeof L2AdvertisementSchema>;

/** L2Advertisements (`metallb.io/v1beta1`, namespaced). */
export const L2Advertisements = defineResource({
  group: 'metallb.io',
  version: 'v1beta1',
  kind: 'L2Advertisement',
  plural: 'l2advertisements',
  namespaced: true,
  schema: L2AdvertisementSchema,
});

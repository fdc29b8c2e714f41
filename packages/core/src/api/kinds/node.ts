/**
 * Nodes (core/v1): what a kubelet registers and reports, and what the scheduler and the node
 * lifecycle controller read (taints, conditions, allocatable resources).
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { TaintSchema, type Taint } from './pod.js';
import { ResourceListSchema, checkQualifiedName, duplicate, invalidValue, nonNegativeQuantities } from './internal.js';

/** A node condition (`Ready`, `MemoryPressure`, `DiskPressure`, `PIDPressure`, `NetworkUnavailable`). */
export const NodeConditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  lastHeartbeatTime: z.string().nullish(),
  lastTransitionTime: z.string().nullish(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A node condition. */
export type NodeCondition = z.infer<typeof NodeConditionSchema>;

/** An address of a node (`Hostname`, `InternalIP`, `ExternalIP`, `InternalDNS`, `ExternalDNS`). */
export const NodeAddressSchema = z.object({
  type: z.enum(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']),
  address: z.string(),
});
/** An address of a node. */
export type NodeAddress = z.infer<typeof NodeAddressSchema>;

/** Versions and identity the kubelet reports (`status.nodeInfo`). */
export const NodeSystemInfoSchema = z.object({
  machineID: z.string().default(''),
  systemUUID: z.string().default(''),
  bootID: z.string().default(''),
  kernelVersion: z.string().default(''),
  osImage: z.string().default(''),
  containerRuntimeVersion: z.string().default(''),
  kubeletVersion: z.string().default(''),
  kubeProxyVersion: z.string().default(''),
  operatingSystem: z.string().default('linux'),
  architecture: z.string().default('amd64'),
});
/** Versions and identity the kubelet reports. */
export type NodeSystemInfo = z.infer<typeof NodeSystemInfoSchema>;

/** An image present on a node (`status.images[]`): its names (tags, digests) and size. */
export const ContainerImageSchema = z.object({
  names: z.array(z.string()).optional(),
  sizeBytes: z.number().int().optional(),
});
/** An image present on a node. */
export type ContainerImage = z.infer<typeof ContainerImageSchema>;

/** The node spec: pod CIDRs, provider ID, taints, cordoning. */
export const NodeSpecSchema = z.object({
  podCIDR: z.string().optional(),
  podCIDRs: z.array(z.string()).optional(),
  providerID: z.string().optional(),
  unschedulable: z.boolean().optional(),
  taints: z.array(TaintSchema).optional(),
  externalID: z.string().optional(),
});
/** The node spec. */
export type NodeSpec = z.infer<typeof NodeSpecSchema>;

/** The node status: resources, conditions, addresses, versions, images, the kubelet endpoint. */
export const NodeStatusSchema = z.object({
  capacity: ResourceListSchema.optional(),
  allocatable: ResourceListSchema.optional(),
  phase: z.enum(['Pending', 'Running', 'Terminated']).optional(),
  conditions: z.array(NodeConditionSchema).optional(),
  addresses: z.array(NodeAddressSchema).optional(),
  daemonEndpoints: z.object({ kubeletEndpoint: z.object({ Port: z.number().int() }).optional() }).optional(),
  nodeInfo: NodeSystemInfoSchema.optional(),
  images: z.array(ContainerImageSchema).optional(),
  volumesInUse: z.array(z.string()).optional(),
  volumesAttached: z.array(z.object({ name: z.string(), devicePath: z.string() })).optional(),
});
/** The node status. */
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/** A Node (core/v1). */
export const NodeSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: ObjectMetaSchema,
  spec: NodeSpecSchema.prefault({}),
  status: NodeStatusSchema.prefault({}),
});
/** A Node. */
export type Node = z.infer<typeof NodeSchema>;

const CIDR = /^(?:(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

/**
 * Validates taints as upstream `validateNodeTaints`: qualified keys, valid values, and at most
 * one taint per key and effect (`Duplicate value: ...: taints must be unique by key and effect pair`).
 */
export function validateTaints(taints: readonly Taint[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const tf = `${field}[${i}]`;
    errs.push(...checkQualifiedName(`${tf}.key`, t.key));
    const pair = `${t.key}:${t.effect}`;
    if (seen.has(pair)) {
      errs.push({ ...duplicate(tf, { key: t.key, effect: t.effect }), detail: 'taints must be unique by key and effect pair' });
    }
    seen.add(pair);
  });
  return errs;
}

/**
 * Nodes (core/v1, `no`, cluster-scoped): registered and heartbeated by the kubelet, tainted by
 * the node lifecycle controller, cordoned through `spec.unschedulable`. Validation as upstream
 * `ValidateNode`: taints, pod CIDRs, non-negative resources.
 */
export const Nodes = defineResource({
  group: '',
  version: 'v1',
  kind: 'Node',
  generation: 'none',
  plural: 'nodes',
  shortNames: ['no'],
  namespaced: false,
  schema: NodeSchema,
  subresources: { status: true },
  validate(node) {
    const errs = validateTaints(node.spec.taints, 'spec.taints');
    const cidrs = node.spec.podCIDRs ?? (node.spec.podCIDR ? [node.spec.podCIDR] : []);
    cidrs.forEach((c, i) => {
      if (!CIDR.test(c)) errs.push(invalidValue(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
    if (node.spec.podCIDR && node.spec.podCIDRs && node.spec.podCIDRs[0] !== node.spec.podCIDR) {
      errs.push(invalidValue('spec.podCIDRs', node.spec.podCIDRs, 'the first element of podCIDRs must match podCIDR'));
    }
    errs.push(...nonNegativeQuantities('status.capacity', node.status.capacity));
    errs.push(...nonNegativeQuantities('status.allocatable', node.status.allocatable));
    return errs;
  },
  validateUpdate(node, old) {
    const errs: FieldError[] = [];
    // Once set, podCIDRs may not change (upstream: "node updates may not change podCIDR except from "" to valid").
    const oldCidrs = old.spec.podCIDRs ?? [];
    if (oldCidrs.length > 0 && JSON.stringify(node.spec.podCIDRs ?? []) !== JSON.stringify(oldCidrs)) {
      errs.push({ type: 'FieldValueForbidden', field: 'spec.podCIDRs', detail: 'node updates may not change podCIDR except from "" to valid' });
    }
    if (old.spec.providerID && node.spec.providerID !== old.spec.providerID) {
      errs.push({ type: 'FieldValueForbidden', field: 'spec.providerID', detail: 'node updates may not change providerID except from "" to valid' });
    }
    return errs;
  },
  fieldSelectors: {
    'spec.unschedulable': { get: (n) => String(n.spec.unschedulable ?? false) },
  },
});

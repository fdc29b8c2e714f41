/**
 * The discovery.k8s.io/v1 EndpointSlice: a slice of a Service's endpoints with their
 * readiness, as the EndpointSlice controller writes them and kube-proxy reads them.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { ObjectReferenceSchema, ProtocolSchema } from './pod.js';
import { checkDns1123Label, duplicate, immutable, invalidValue, required, tooMany } from './internal.js';

/** The readiness of an endpoint: `ready` (serving and not terminating), `serving`, `terminating`. */
export const EndpointConditionsSchema = z.object({
  ready: z.boolean().optional(),
  serving: z.boolean().optional(),
  terminating: z.boolean().optional(),
});
/** The readiness of an endpoint. */
export type EndpointConditions = z.infer<typeof EndpointConditionsSchema>;

/** One endpoint (usually a pod) of a slice. */
export const EndpointSchema = z.object({
  addresses: z.array(z.string()),
  conditions: EndpointConditionsSchema.prefault({}),
  hostname: z.string().optional(),
  targetRef: ObjectReferenceSchema.optional(),
  deprecatedTopology: z.record(z.string(), z.string()).optional(),
  nodeName: z.string().optional(),
  zone: z.string().optional(),
  hints: z
    .object({ forZones: z.array(z.object({ name: z.string() })).optional(), forNodes: z.array(z.object({ name: z.string() })).optional() })
    .optional(),
});
/** One endpoint of a slice. */
export type Endpoint = z.infer<typeof EndpointSchema>;

/** A port of a slice; `protocol` defaults to TCP and `name` to `""`. */
export const EndpointSlicePortSchema = z.object({
  name: z.string().default(''),
  protocol: ProtocolSchema.default('TCP'),
  port: z.number().int().optional(),
  appProtocol: z.string().optional(),
});
/** A port of a slice. */
export type EndpointSlicePort = z.infer<typeof EndpointSlicePortSchema>;

/** An EndpointSlice (discovery.k8s.io/v1). */
export const EndpointSliceSchema = z.object({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: ObjectMetaSchema,
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  endpoints: z.array(EndpointSchema).default(() => []),
  ports: z.array(EndpointSlicePortSchema).optional(),
});
/** An EndpointSlice. */
export type EndpointSlice = z.infer<typeof EndpointSliceSchema>;

/** The label naming the Service an EndpointSlice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The label naming the controller that manages an EndpointSlice. */
export const ENDPOINTSLICE_MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** The `endpointslice.kubernetes.io/managed-by` value of the slices the EndpointSlice controller writes (upstream `ControllerName`). */
export const ENDPOINTSLICE_CONTROLLER_MANAGED_BY = 'endpointslice-controller.k8s.io';

/**
 * EndpointSlices (discovery.k8s.io/v1): `ValidateEndpointSlice` (at most 1000 endpoints with
 * 1–100 addresses each, at most 100 uniquely named ports in range); `addressType` is immutable.
 */
export const EndpointSlices = defineResource({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  generation: 'spec-and-labels',
  plural: 'endpointslices',
  namespaced: true,
  schema: EndpointSliceSchema,
  validate(es) {
    const errs: FieldError[] = [];
    if (es.endpoints.length > 1000) errs.push(tooMany('endpoints', es.endpoints.length, 1000));
    es.endpoints.forEach((e, i) => {
      const ef = `endpoints[${i}]`;
      if (e.addresses.length === 0) errs.push(required(`${ef}.addresses`, 'must contain at least 1 address'));
      if (e.addresses.length > 100) errs.push(tooMany(`${ef}.addresses`, e.addresses.length, 100));
      if (e.hostname) errs.push(...checkDns1123Label(`${ef}.hostname`, e.hostname));
    });
    const ports = es.ports ?? [];
    if (ports.length > 100) errs.push(tooMany('ports', ports.length, 100));
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const pf = `ports[${i}]`;
      if (p.name !== '') errs.push(...checkDns1123Label(`${pf}.name`, p.name));
      if (names.has(p.name)) errs.push(duplicate(`${pf}.name`, p.name));
      names.add(p.name);
      if (p.port !== undefined && (p.port < 1 || p.port > 65535)) {
        errs.push(invalidValue(`${pf}.port`, p.port, 'must be between 1 and 65535, inclusive'));
      }
    });
    return errs;
  },
  validateUpdate(es, old) {
    return immutable('addressType', es.addressType, old.addressType);
  },
});

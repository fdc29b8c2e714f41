/**
 * Services and Endpoints (core/v1): stable virtual addresses for a label-selected set of pods,
 * and the ready/not-ready addresses behind them.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ConditionSchema, ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { validateLabels } from '../validation.js';
import { ObjectReferenceSchema, ProtocolSchema } from './pod.js';
import {
  IntOrStringSchema,
  check,
  checkDns1123Label,
  checkPortNumOrName,
  duplicate,
  forbidden,
  immutable,
  invalidValue,
  isValidPortName,
  required,
} from './internal.js';

/** The types of a Service. */
export const ServiceTypeSchema = z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
/** `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`. */
export type ServiceType = z.infer<typeof ServiceTypeSchema>;

/** A port of a Service; `targetPort` defaults to `port` (see the kind's `defaults`). */
export const ServicePortSchema = z.object({
  name: z.string().optional(),
  protocol: ProtocolSchema.default('TCP'),
  appProtocol: z.string().optional(),
  port: z.number().int(),
  targetPort: IntOrStringSchema.optional(),
  nodePort: z.number().int().optional(),
});
/** A port of a Service. */
export type ServicePort = z.infer<typeof ServicePortSchema>;

/** An ingress point of a load balancer (`status.loadBalancer.ingress[]`). */
export const LoadBalancerIngressSchema = z.object({
  ip: z.string().optional(),
  hostname: z.string().optional(),
  ipMode: z.enum(['VIP', 'Proxy']).optional(),
  ports: z
    .array(z.object({ port: z.number().int(), protocol: ProtocolSchema.default('TCP'), error: z.string().optional() }))
    .optional(),
});
/** An ingress point of a load balancer. */
export type LoadBalancerIngress = z.infer<typeof LoadBalancerIngressSchema>;

/** The status of a load balancer (Service and Ingress). */
export const LoadBalancerStatusSchema = z.object({ ingress: z.array(LoadBalancerIngressSchema).optional() });
/** The status of a load balancer. */
export type LoadBalancerStatus = z.infer<typeof LoadBalancerStatusSchema>;

/**
 * The Service spec, with upstream's simple defaults (type ClusterIP, sessionAffinity None);
 * the kind's `defaults` hook adds those that depend on the type.
 */
export const ServiceSpecSchema = z.object({
  ports: z.array(ServicePortSchema).optional(),
  selector: z.record(z.string(), z.string()).optional(),
  clusterIP: z.string().optional(),
  clusterIPs: z.array(z.string()).optional(),
  type: ServiceTypeSchema.default('ClusterIP'),
  externalIPs: z.array(z.string()).optional(),
  sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
  loadBalancerIP: z.string().optional(),
  loadBalancerSourceRanges: z.array(z.string()).optional(),
  loadBalancerClass: z.string().optional(),
  externalName: z.string().optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  healthCheckNodePort: z.number().int().optional(),
  publishNotReadyAddresses: z.boolean().optional(),
  sessionAffinityConfig: z.object({ clientIP: z.object({ timeoutSeconds: z.number().int().optional() }).optional() }).optional(),
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).optional(),
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
  allocateLoadBalancerNodePorts: z.boolean().optional(),
  trafficDistribution: z.string().optional(),
});
/** The Service spec. */
export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;

/** A Service (core/v1). */
export const ServiceSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: ObjectMetaSchema,
  spec: ServiceSpecSchema.prefault({}),
  status: z
    .object({ loadBalancer: LoadBalancerStatusSchema.optional(), conditions: z.array(ConditionSchema).optional() })
    .prefault({}),
});
/** A Service. */
export type Service = z.infer<typeof ServiceSchema>;

/** The default and maximum `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours / 1 day). */
const DEFAULT_CLIENT_IP_TIMEOUT = 10800;
const MAX_CLIENT_IP_TIMEOUT = 86400;

/** The NodePort range a default API server allocates from. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/**
 * Upstream's Service defaults that depend on other fields (`SetDefaults_Service`): each port's
 * `targetPort` is its `port`; NodePort and LoadBalancer services get `externalTrafficPolicy:
 * Cluster`; non-ExternalName services get `internalTrafficPolicy: Cluster`; LoadBalancers get
 * `allocateLoadBalancerNodePorts: true`; ClientIP affinity gets a 10800 s timeout.
 */
export function defaultService(svc: Service): Service {
  const spec = { ...svc.spec };
  if (spec.ports?.some((p) => p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '')) {
    spec.ports = spec.ports.map((p) =>
      p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '' ? { ...p, targetPort: p.port } : p,
    );
  }
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && spec.externalTrafficPolicy === undefined) {
    spec.externalTrafficPolicy = 'Cluster';
  }
  if (spec.type !== 'ExternalName' && spec.internalTrafficPolicy === undefined) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT } };
  }
  if (spec.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIPs === undefined) spec.clusterIPs = [spec.clusterIP];
  return { ...svc, spec };
}

/**
 * Carries the values the API server allocated (clusterIP(s), nodePorts, healthCheckNodePort)
 * from the stored Service into an update that left them out, as upstream's
 * `patchAllocatedValues` does before validation, so re-applying a manifest without a
 * `clusterIP` is not an attempt to change it. Pure; meant for the store's update path.
 */
export function patchServiceAllocatedValues(svc: Service, old: Service): Service {
  const needsClusterIP = (s: Service): boolean => s.spec.type !== 'ExternalName';
  const spec = { ...svc.spec };
  if (needsClusterIP(svc) && needsClusterIP(old)) {
    if ((spec.clusterIP === undefined || spec.clusterIP === '') && old.spec.clusterIP) {
      spec.clusterIP = old.spec.clusterIP;
      spec.clusterIPs = old.spec.clusterIPs ?? [old.spec.clusterIP];
    }
  }
  const needsNodePorts = (s: Service): boolean => s.spec.type === 'NodePort' || s.spec.type === 'LoadBalancer';
  if (needsNodePorts(svc) && needsNodePorts(old) && spec.ports) {
    spec.ports = spec.ports.map((p) => {
      if (p.nodePort !== undefined && p.nodePort !== 0) return p;
      const match = old.spec.ports?.find((o) => o.port === p.port && o.protocol === p.protocol);
      return match?.nodePort ? { ...p, nodePort: match.nodePort } : p;
    });
  }
  if (spec.healthCheckNodePort === undefined && old.spec.healthCheckNodePort !== undefined && spec.externalTrafficPolicy === 'Local') {
    spec.healthCheckNodePort = old.spec.healthCheckNodePort;
  }
  return dropServiceTypeDependentFields({ ...svc, spec }, old);
}

/**
 * Upstream's `dropTypeDependentFields`: on a change of type, the fields the new type cannot
 * have and the user left as they were are dropped, so that `type: ClusterIP` alone turns a
 * NodePort Service into a ClusterIP one (its node ports released) and `type: ExternalName`
 * (with an `externalName`) gives the address back. A field the user changed is left for
 * validation to judge. Pure.
 */
export function dropServiceTypeDependentFields(svc: Service, old: Service): Service {
  const spec = { ...svc.spec };
  const external = (t: ServiceType): boolean => t === 'NodePort' || t === 'LoadBalancer';
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (old.spec.type !== 'ExternalName' && spec.type === 'ExternalName' && same(spec.clusterIP, old.spec.clusterIP) && same(spec.clusterIPs, old.spec.clusterIPs)) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  if (external(old.spec.type) && !external(spec.type)) {
    const oldPorts = (old.spec.ports ?? []).map((p) => p.nodePort);
    if (same((spec.ports ?? []).map((p) => p.nodePort), oldPorts)) {
      spec.ports = spec.ports?.map((p) => {
        const { nodePort: _dropped, ...rest } = p;
        return rest;
      });
    }
    if (same(spec.externalTrafficPolicy, old.spec.externalTrafficPolicy)) delete spec.externalTrafficPolicy;
  }
  const needsHealthCheck = (s: ServiceSpec): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
  if (needsHealthCheck(old.spec) && !needsHealthCheck(spec) && same(spec.healthCheckNodePort, old.spec.healthCheckNodePort)) delete spec.healthCheckNodePort;
  if (old.spec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (same(spec.allocateLoadBalancerNodePorts, old.spec.allocateLoadBalancerNodePorts)) delete spec.allocateLoadBalancerNodePorts;
    if (same(spec.loadBalancerClass, old.spec.loadBalancerClass)) delete spec.loadBalancerClass;
  }
  return { ...svc, spec };
}

function validateService(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec;
  const ports = spec.ports ?? [];
  if (spec.type === 'ExternalName') {
    if (spec.externalName === undefined || spec.externalName === '') errs.push(required('spec.externalName'));
    if (spec.clusterIP !== undefined && spec.clusterIP !== '') {
      errs.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
    }
  } else if (ports.length === 0 && spec.clusterIP !== 'None') {
    errs.push(required('spec.ports'));
  }
  const headless = spec.clusterIP === 'None';
  if (headless && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) {
    errs.push(invalidValue('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${spec.type} services`));
  }
  const names = new Set<string>();
  const seenPorts = new Set<string>();
  const seenNodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const pf = `spec.ports[${i}]`;
    if (ports.length > 1 && (p.name === undefined || p.name === '')) errs.push(required(`${pf}.name`));
    else if (p.name !== undefined && p.name !== '') {
      errs.push(...checkDns1123Label(`${pf}.name`, p.name));
      if (names.has(p.name)) errs.push(duplicate(`${pf}.name`, p.name));
      names.add(p.name);
    }
    if (p.port < 1 || p.port > 65535) errs.push(invalidValue(`${pf}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (p.targetPort !== undefined) {
      if (typeof p.targetPort === 'string') errs.push(...check(`${pf}.targetPort`, p.targetPort, isValidPortName(p.targetPort)));
      else errs.push(...checkPortNumOrName(`${pf}.targetPort`, p.targetPort));
    }
    const key = `${p.port}/${p.protocol}`;
    if (seenPorts.has(key)) errs.push(duplicate(pf, { port: p.port, protocol: p.protocol }));
    seenPorts.add(key);
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') {
        errs.push(forbidden(`${pf}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
      } else if (p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
        errs.push(
          invalidValue(
            `${pf}.nodePort`,
            p.nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
          ),
        );
      }
      const nkey = `${p.nodePort}/${p.protocol}`;
      if (seenNodePorts.has(nkey)) errs.push(duplicate(`${pf}.nodePort`, p.nodePort));
      seenNodePorts.add(nkey);
    }
  });
  if (spec.externalTrafficPolicy !== undefined && spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') {
    errs.push(
      invalidValue('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"),
    );
  }
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0) {
    if (spec.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local') {
      errs.push(invalidValue('spec.healthCheckNodePort', spec.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
    }
  }
  if (spec.loadBalancerIP && spec.type !== 'LoadBalancer') {
    errs.push(forbidden('spec.loadBalancerIP', 'may only be used when `type` is \'LoadBalancer\''));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.loadBalancerClass !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(forbidden('spec.loadBalancerClass', 'may only be used when service type is \'LoadBalancer\''));
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === 'ClientIP' && timeout !== undefined && (timeout <= 0 || timeout > MAX_CLIENT_IP_TIMEOUT)) {
    errs.push(
      invalidValue(
        'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
        timeout,
        `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}`,
      ),
    );
  }
  if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig !== undefined) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when `sessionAffinity` is None'));
  }
  if (spec.clusterIPs && spec.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.push(invalidValue('spec.clusterIPs', spec.clusterIPs, 'element [0] must match clusterIP'));
  }
  if (spec.type !== 'ExternalName') errs.push(...validateLabels(spec.selector, 'spec.selector'));
  return errs;
}

/**
 * Services (core/v1, `svc`): upstream's defaults (type ClusterIP, sessionAffinity None,
 * protocol TCP, targetPort = port, traffic policies Cluster), `ValidateService` (ports named
 * and unique, ranges, NodePorts in 30000–32767 and forbidden on ClusterIP services, headless
 * only for ClusterIP) and `ValidateServiceUpdate` (the clusterIP is immutable once set);
 * on update, allocated values the request left out are kept and fields a new type cannot have
 * are dropped (`dropServiceTypeDependentFields`). The API server allocates ClusterIPs and
 * NodePorts once a request is admitted (see `ApiServerOptions.serviceClusterIPRange`).
 */
export const Services = defineResource({
  group: '',
  version: 'v1',
  kind: 'Service',
  generation: 'none',
  plural: 'services',
  shortNames: ['svc'],
  namespaced: true,
  schema: ServiceSchema,
  nameRule: 'dns1123-label',
  subresources: { status: true },
  defaults: defaultService,
  prepareForUpdate: patchServiceAllocatedValues,
  validate: validateService,
  validateUpdate(svc, old) {
    const errs: FieldError[] = [];
    if (svc.spec.type !== 'ExternalName' && old.spec.type !== 'ExternalName' && old.spec.clusterIP) {
      errs.push(...immutable('spec.clusterIP', svc.spec.clusterIP ?? '', old.spec.clusterIP));
    }
    return errs;
  },
});

/** An address of an endpoint (a ready or not-ready pod). */
export const EndpointAddressSchema = z.object({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: ObjectReferenceSchema.optional(),
});
/** An address of an endpoint. */
export type EndpointAddress = z.infer<typeof EndpointAddressSchema>;

/** A port of an endpoint subset. */
export const EndpointPortSchema = z.object({
  name: z.string().optional(),
  port: z.number().int(),
  protocol: ProtocolSchema.default('TCP'),
  appProtocol: z.string().optional(),
});
/** A port of an endpoint subset. */
export type EndpointPort = z.infer<typeof EndpointPortSchema>;

/** A set of addresses sharing a set of ports. */
export const EndpointSubsetSchema = z.object({
  addresses: z.array(EndpointAddressSchema).optional(),
  notReadyAddresses: z.array(EndpointAddressSchema).optional(),
  ports: z.array(EndpointPortSchema).optional(),
});
/** A set of addresses sharing a set of ports. */
export type EndpointSubset = z.infer<typeof EndpointSubsetSchema>;

/** An Endpoints object (core/v1): the addresses behind the Service of the same name. */
export const EndpointsSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Endpoints'),
  metadata: ObjectMetaSchema,
  subsets: z.array(EndpointSubsetSchema).optional(),
});
/** An Endpoints object. */
export type Endpoints = z.infer<typeof EndpointsSchema>;

/**
 * Endpoints (core/v1, `ep`): written by the endpoints controller from a Service's selector and
 * its pods' readiness. Validated as upstream `ValidateEndpoints`: ports in range, named when
 * more than one.
 */
export const Endpoints = defineResource({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  generation: 'none',
  plural: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  namespaced: true,
  schema: EndpointsSchema,
  validate(ep) {
    const errs: FieldError[] = [];
    (ep.subsets ?? []).forEach((s, i) => {
      const sf = `subsets[${i}]`;
      if ((s.addresses ?? []).length + (s.notReadyAddresses ?? []).length === 0) {
        errs.push(required(sf, 'must specify `addresses` or `notReadyAddresses`'));
      }
      const ports = s.ports ?? [];
      ports.forEach((p, j) => {
        const pf = `${sf}.ports[${j}]`;
        if (ports.length > 1 && (p.name === undefined || p.name === '')) errs.push(required(`${pf}.name`));
        if (p.port < 1 || p.port > 65535) errs.push(invalidValue(`${pf}.port`, p.port, 'must be between 1 and 65535, inclusive'));
      });
    });
    return errs;
  },
});

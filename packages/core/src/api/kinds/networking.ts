/**
 * The networking.k8s.io/v1 kinds Ingress and IngressClass, with the rules of
 * pkg/apis/networking/validation. Controller-specific behaviour (canary weights, rewrites)
 * lives in annotations, which are plain metadata.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { ObjectMetaSchema } from '../meta.js';
import { defineResource } from '../registry.js';
import { LoadBalancerStatusSchema } from './service.js';
import {
  checkDns1035Label,
  checkDns1123Subdomain,
  forbidden,
  immutable,
  invalidValue,
  isValidPortName,
  check,
  required,
} from './internal.js';

/** A backend Service and port (by name or number) of an Ingress path. */
export const IngressServiceBackendSchema = z.object({
  name: z.string(),
  port: z.object({ name: z.string().optional(), number: z.number().int().optional() }).optional(),
});
/** A backend Service of an Ingress path. */
export type IngressServiceBackend = z.infer<typeof IngressServiceBackendSchema>;

/** An Ingress backend: a Service, or a typed object reference (`resource`). */
export const IngressBackendSchema = z.object({
  service: IngressServiceBackendSchema.optional(),
  resource: z.object({ apiGroup: z.string().optional(), kind: z.string(), name: z.string() }).optional(),
});
/** An Ingress backend. */
export type IngressBackend = z.infer<typeof IngressBackendSchema>;

/** How an Ingress path matches: `Exact`, `Prefix` (by path element) or `ImplementationSpecific`. */
export const PathTypeSchema = z.enum(['Exact', 'Prefix', 'ImplementationSpecific']);
/** How an Ingress path matches. */
export type PathType = z.infer<typeof PathTypeSchema>;

/** A path of an Ingress rule and its backend. */
export const HTTPIngressPathSchema = z.object({
  path: z.string().optional(),
  pathType: PathTypeSchema.optional(),
  backend: IngressBackendSchema,
});
/** A path of an Ingress rule. */
export type HTTPIngressPath = z.infer<typeof HTTPIngressPathSchema>;

/** A host rule of an Ingress (an empty host matches every host). */
export const IngressRuleSchema = z.object({
  host: z.string().optional(),
  http: z.object({ paths: z.array(HTTPIngressPathSchema) }).optional(),
});
/** A host rule of an Ingress. */
export type IngressRule = z.infer<typeof IngressRuleSchema>;

/** A TLS entry of an Ingress: hosts served with the certificate in `secretName`. */
export const IngressTLSSchema = z.object({ hosts: z.array(z.string()).optional(), secretName: z.string().optional() });
/** A TLS entry of an Ingress. */
export type IngressTLS = z.infer<typeof IngressTLSSchema>;

/** The Ingress spec. */
export const IngressSpecSchema = z.object({
  ingressClassName: z.string().optional(),
  defaultBackend: IngressBackendSchema.optional(),
  tls: z.array(IngressTLSSchema).optional(),
  rules: z.array(IngressRuleSchema).optional(),
});
/** The Ingress spec. */
export type IngressSpec = z.infer<typeof IngressSpecSchema>;

/** An Ingress (networking.k8s.io/v1). */
export const IngressSchema = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('Ingress'),
  metadata: ObjectMetaSchema,
  spec: IngressSpecSchema.prefault({}),
  status: z.object({ loadBalancer: LoadBalancerStatusSchema.optional() }).prefault({}),
});
/** An Ingress. */
export type Ingress = z.infer<typeof IngressSchema>;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function validateBackend(b: IngressBackend, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (b.service && b.resource) errs.push(invalidValue(field, b, 'cannot set both service and resource backends'));
  else if (!b.service && !b.resource) errs.push(invalidValue(field, b, 'resource or service backend is required'));
  if (b.service) {
    const sf = `${field}.service`;
    if (b.service.name === '') errs.push(required(`${sf}.name`));
    else errs.push(...checkDns1035Label(`${sf}.name`, b.service.name));
    const port = b.service.port;
    const hasName = port?.name !== undefined && port.name !== '';
    const hasNumber = port?.number !== undefined && port.number !== 0;
    if (hasName && hasNumber) errs.push(invalidValue(`${sf}.port`, port, 'cannot set both port name & port number'));
    else if (hasName) errs.push(...check(`${sf}.port.name`, port.name!, isValidPortName(port.name!)));
    else if (hasNumber) {
      if (port.number! < 1 || port.number! > 65535) {
        errs.push(invalidValue(`${sf}.port.number`, port.number, 'must be between 1 and 65535, inclusive'));
      }
    } else errs.push(required(`${sf}.port`, 'port name or number is required'));
  }
  if (b.resource && b.resource.kind === '') errs.push(required(`${field}.resource.kind`));
  return errs;
}

function validateHost(host: string, field: string): FieldError[] {
  if (IPV4.test(host) || host.includes(':')) return [invalidValue(field, host, 'must be a DNS name, not an IP address')];
  if (host.startsWith('*.')) {
    return check(
      field,
      host,
      /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(host)
        ? []
        : [
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
          ],
    );
  }
  return checkDns1123Subdomain(field, host);
}

function validateIngressSpec(spec: IngressSpec): FieldError[] {
  const errs: FieldError[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && spec.defaultBackend === undefined) {
    errs.push(invalidValue('spec', spec, 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  if (spec.ingressClassName) errs.push(...checkDns1123Subdomain('spec.ingressClassName', spec.ingressClassName));
  rules.forEach((r, i) => {
    const rf = `spec.rules[${i}]`;
    if (r.host !== undefined && r.host !== '') errs.push(...validateHost(r.host, `${rf}.host`));
    if (r.http) {
      if (r.http.paths.length === 0) errs.push(required(`${rf}.http.paths`));
      r.http.paths.forEach((p, j) => {
        const pf = `${rf}.http.paths[${j}]`;
        if (p.pathType === undefined) errs.push(required(`${pf}.pathType`, 'pathType must be specified'));
        const path = p.path ?? '';
        if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
          if (!path.startsWith('/')) errs.push(invalidValue(`${pf}.path`, path, 'must be an absolute path'));
          else if (/\/\/|\/\.\.?(\/|$)/.test(path)) errs.push(invalidValue(`${pf}.path`, path, "must not contain '//', '/./' or '/../'"));
        } else if (path !== '' && !path.startsWith('/')) {
          errs.push(invalidValue(`${pf}.path`, path, 'must be an absolute path'));
        }
        errs.push(...validateBackend(p.backend, `${pf}.backend`));
      });
    }
  });
  (spec.tls ?? []).forEach((t, i) => {
    (t.hosts ?? []).forEach((h, j) => errs.push(...validateHost(h, `spec.tls[${i}].hosts[${j}]`)));
    if (t.secretName) errs.push(...checkDns1123Subdomain(`spec.tls[${i}].secretName`, t.secretName));
  });
  return errs;
}

/**
 * Ingresses (networking.k8s.io/v1, `ing`): `ValidateIngress` (rules or a default backend;
 * hosts are DNS names, possibly wildcards, not IPs; every path has a pathType and Exact/Prefix
 * paths are absolute; each backend is a Service with a port name xor number, or a resource).
 */
export const Ingresses = defineResource({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  shortNames: ['ing'],
  namespaced: true,
  schema: IngressSchema,
  subresources: { status: true },
  validate(ing) {
    return validateIngressSpec(ing.spec);
  },
});

/** An IngressClass (networking.k8s.io/v1): which controller implements Ingresses of this class. */
export const IngressClassSchema = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('IngressClass'),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      controller: z.string().optional(),
      parameters: z
        .object({
          apiGroup: z.string().optional(),
          kind: z.string(),
          name: z.string(),
          scope: z.enum(['Cluster', 'Namespace']).optional(),
          namespace: z.string().optional(),
        })
        .optional(),
    })
    .prefault({}),
});
/** An IngressClass. */
export type IngressClass = z.infer<typeof IngressClassSchema>;

/** The annotation that marks the default IngressClass. */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/**
 * IngressClasses (networking.k8s.io/v1, cluster-scoped): `ValidateIngressClass` (a
 * domain-prefixed `controller` of at most 250 characters, immutable; parameters with a scope
 * and a namespace only for `Namespace` scope).
 */
export const IngressClasses = defineResource({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  plural: 'ingressclasses',
  namespaced: false,
  schema: IngressClassSchema,
  validate(ic) {
    const errs: FieldError[] = [];
    const controller = ic.spec.controller ?? '';
    if (controller === '') errs.push(required('spec.controller'));
    else {
      if (controller.length > 250) errs.push(invalidValue('spec.controller', controller, 'must be no more than 250 characters'));
      const slash = controller.indexOf('/');
      if (slash <= 0 || checkDns1123Subdomain('spec.controller', controller.slice(0, slash)).length > 0) {
        errs.push(invalidValue('spec.controller', controller, 'must be a domain-prefixed path (such as "acme.io/foo")'));
      }
    }
    const p = ic.spec.parameters;
    if (p) {
      if (p.kind === '') errs.push(required('spec.parameters.kind'));
      if (p.name === '') errs.push(required('spec.parameters.name'));
      if (p.scope === 'Namespace' && !p.namespace) errs.push(required('spec.parameters.namespace', '`parameters.scope` is set to \'Namespace\''));
      if (p.scope !== 'Namespace' && p.namespace) {
        errs.push(forbidden('spec.parameters.namespace', '`parameters.scope` is set to \'Cluster\''));
      }
    }
    return errs;
  },
  validateUpdate(ic, old) {
    return immutable('spec.controller', ic.spec.controller, old.spec.controller);
  },
});

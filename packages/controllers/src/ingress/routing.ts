/**
 * ingress-nginx's routing, pure: the servers and locations its controller builds from the
 * Ingresses of its class (`createServers`, `getBackendServers`, the canary merge), and where
 * one request goes (nginx's `server_name` and `location` matching, then the Lua balancer's
 * canary decision). The traffic model calls {@link buildIngressTable} once per change of the
 * objects and {@link routeIngressRequest} per request.
 *
 * How a request is routed:
 *
 * 1. Server by `Host` (port stripped, lower case): an exact host rule, else a wildcard
 *    `*.example.com` rule when the host is one more label, else the catch-all server `_`
 *    (rules without a host, and an Ingress that has only a `defaultBackend`).
 * 2. HTTP to a server with TLS (or `force-ssl-redirect`), unless `ssl-redirect: "false"` →
 *    308 to `https://<host><path>`.
 * 3. Location: an `Exact` path equal to the request path wins; otherwise the longest matching
 *    path — `Prefix` element-wise (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`),
 *    `ImplementationSpecific` as an nginx prefix (`/foo` matches `/foobar`). When any Ingress of
 *    the host sets `use-regex` or `rewrite-target`, every non-Exact path of the host is a
 *    case-insensitive regex anchored at the start, tried longest first. Every server has `/`:
 *    the host's Ingress `defaultBackend`, else the controller's default backend (404).
 * 4. Canary: a location whose host and path a canary Ingress (`canary: "true"`) also lists
 *    goes to the canary's backend when the `canary-by-header` header is `always` (or equals
 *    `canary-by-header-value`, or matches `canary-by-header-pattern`), else not when it is
 *    `never`; then the same with the `canary-by-cookie` cookie; then with probability
 *    `canary-weight / canary-weight-total` (total 100 unless larger).
 * 5. `rewrite-target`: the path becomes the target with `$1`… from the location's regex.
 *
 * @module
 */
import type { Ingress, IngressBackend, IngressClass, Rng, Secret, Service } from '@kubeloop/core';
import { servesIngress } from './class.js';
import type { IngressClassConfig } from './class.js';
import { checkCertificate } from './tls.js';

/** The annotation prefix of ingress-nginx. */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';
/** `nginx.ingress.kubernetes.io/canary`: "true" marks a canary Ingress. */
export const CANARY_ANNOTATION = `${NGINX_ANNOTATION_PREFIX}canary`;

const ann = (ing: Ingress, name: string): string | undefined => ing.metadata.annotations?.[`${NGINX_ANNOTATION_PREFIX}${name}`];

/** A Service and port an Ingress path sends requests to. */
export interface IngressServiceRef {
  readonly namespace: string;
  readonly name: string;
  /** The Service port by number, or by name (resolved against the Service when routing). */
  readonly port: { readonly number?: number | undefined; readonly name?: string | undefined };
}

/** How a canary Ingress shapes traffic (ingress-nginx's `trafficShapingPolicy`). */
export interface CanaryPolicy {
  readonly backend: IngressServiceRef;
  /** The canary Ingress, `namespace/name`. */
  readonly ingress: string;
  readonly header?: string | undefined;
  readonly headerValue?: string | undefined;
  readonly headerPattern?: string | undefined;
  readonly cookie?: string | undefined;
  readonly weight: number;
  readonly weightTotal: number;
}

/** A location of a server: a path, how it matches, its backend and annotations. */
export interface IngressLocation {
  readonly path: string;
  readonly pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  /** The backend; undefined for the controller's default backend (404). */
  readonly backend?: IngressServiceRef | undefined;
  /** The Ingress it comes from, `namespace/name` (undefined for the catch-all placeholder). */
  readonly ingress?: string | undefined;
  readonly rewriteTarget?: string | undefined;
  readonly useRegex: boolean;
  readonly sslRedirect: boolean;
  readonly forceSslRedirect: boolean;
  readonly canary?: CanaryPolicy | undefined;
}

/** A server (a host) with its locations, longest path first. */
export interface IngressServer {
  readonly host: string;
  readonly locations: readonly IngressLocation[];
  /** Whether any Ingress of the host uses regex paths (`use-regex`, `rewrite-target`). */
  readonly useRegex: boolean;
  /** The TLS Secret, `namespace/name`, when an Ingress lists the host under `tls`; `certificateOk` false means the fake default certificate. */
  readonly tls?: { readonly secret: string; readonly certificateOk: boolean; readonly error?: string | undefined } | undefined;
  /** The `Exact` locations by path (derived from `locations`, for matching). */
  readonly exact: ReadonlyMap<string, IngressLocation>;
  /** The other locations, longest path first (derived from `locations`, for matching). */
  readonly prefixes: readonly IngressLocation[];
}

/** The routing table: servers by host, and the Services to resolve named ports. */
export interface IngressTable {
  readonly servers: ReadonlyMap<string, IngressServer>;
  readonly services: ReadonlyMap<string, Service>;
}

/** What {@link buildIngressTable} reads. */
export interface IngressObjects {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
  readonly services: readonly Service[];
  readonly secrets: readonly Secret[];
}

/** The catch-all server's name. */
export const CATCH_ALL_SERVER = '_';

function keyOf(o: { metadata: { namespace?: string | undefined; name?: string | undefined } }): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function serviceRef(namespace: string, backend: IngressBackend | undefined): IngressServiceRef | undefined {
  const s = backend?.service;
  if (s === undefined) return undefined;
  return { namespace, name: s.name, port: { number: s.port?.number, name: s.port?.name } };
}

function bool(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : value === 'true';
}

function int(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n >= 0 ? n : fallback;
}

function byCreation(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;
}

function isCanary(ing: Ingress): boolean {
  return ann(ing, 'canary') === 'true';
}

/**
 * The routing table of the Ingresses the controller serves (see {@link servesIngress}), oldest
 * first: the first Ingress to claim a host and path keeps it (as ingress-nginx, which orders
 * Ingresses by creation). TLS Secrets are checked with `checkCertificate`.
 */
export function buildIngressTable(objects: IngressObjects, config: IngressClassConfig = {}): IngressTable {
  const ours = objects.ingresses.filter((i) => servesIngress(i, objects.ingressClasses, config)).sort(byCreation);
  const main = ours.filter((i) => !isCanary(i));
  const canaries = ours.filter(isCanary);
  const secrets = new Map(objects.secrets.map((s) => [keyOf(s), s]));
  type MutableServer = { host: string; locations: IngressLocation[]; useRegex: boolean; tls?: IngressServer['tls'] };
  const servers = new Map<string, MutableServer>();
  const placeholder = (backend: IngressServiceRef | undefined, ingress: string | undefined): IngressLocation => ({
    path: '/',
    pathType: 'Prefix',
    backend,
    ingress,
    useRegex: false,
    sslRedirect: true,
    forceSslRedirect: false,
  });
  const placeholders = new Set<IngressLocation>();
  const catchAll = placeholder(undefined, undefined);
  placeholders.add(catchAll);
  servers.set(CATCH_ALL_SERVER, { host: CATCH_ALL_SERVER, locations: [catchAll], useRegex: false });
  for (const ing of main) {
    const ns = ing.metadata.namespace ?? '';
    const def = serviceRef(ns, ing.spec.defaultBackend);
    const rules = ing.spec.rules ?? [];
    if (def !== undefined && rules.length === 0) {
      const server = servers.get(CATCH_ALL_SERVER)!;
      if (placeholders.has(server.locations[0]!) && server.locations[0]!.backend === undefined) server.locations[0] = placeholder(def, keyOf(ing));
    }
    for (const rule of rules) {
      const host = rule.host === undefined || rule.host === '' ? CATCH_ALL_SERVER : rule.host;
      if (!servers.has(host)) {
        const root = placeholder(def, def === undefined ? undefined : keyOf(ing));
        placeholders.add(root);
        servers.set(host, { host, locations: [root], useRegex: false });
      }
    }
  }
  const locationOf = (ing: Ingress, path: string, pathType: IngressLocation['pathType'], backend: IngressServiceRef | undefined): IngressLocation => {
    const rewriteTarget = ann(ing, 'rewrite-target');
    return {
      path,
      pathType,
      backend,
      ingress: keyOf(ing),
      rewriteTarget,
      useRegex: bool(ann(ing, 'use-regex'), false) || rewriteTarget !== undefined,
      sslRedirect: bool(ann(ing, 'ssl-redirect'), true),
      forceSslRedirect: bool(ann(ing, 'force-ssl-redirect'), false),
    };
  };
  for (const ing of main) {
    const ns = ing.metadata.namespace ?? '';
    for (const rule of ing.spec.rules ?? []) {
      const server = servers.get(rule.host === undefined || rule.host === '' ? CATCH_ALL_SERVER : rule.host)!;
      for (const p of rule.http?.paths ?? []) {
        const path = p.path === undefined || p.path === '' ? '/' : p.path;
        const pathType = p.pathType ?? 'ImplementationSpecific';
        const loc = locationOf(ing, path, pathType, serviceRef(ns, p.backend));
        const same = server.locations.findIndex((l) => l.path === path && (l.pathType === 'Exact') === (pathType === 'Exact'));
        if (same >= 0) {
          if (placeholders.has(server.locations[same]!)) server.locations[same] = loc;
          continue;
        }
        server.locations.push(loc);
      }
    }
    for (const tls of ing.spec.tls ?? []) {
      const hosts = tls.hosts !== undefined && tls.hosts.length > 0 ? tls.hosts : (ing.spec.rules ?? []).map((r) => r.host ?? '').filter((h) => h !== '');
      for (const host of hosts) {
        const server = servers.get(host);
        if (server === undefined || server.tls !== undefined) continue;
        const secret = `${ns}/${tls.secretName ?? ''}`;
        if ((tls.secretName ?? '') === '') {
          server.tls = { secret: '', certificateOk: false, error: `Host "${host}" is listed in the TLS section but secretName is empty` };
          continue;
        }
        const check = checkCertificate(secret, secrets.get(secret), host);
        server.tls = check.ok ? { secret, certificateOk: true } : { secret, certificateOk: false, error: check.error };
      }
    }
  }
  for (const ing of canaries) {
    const ns = ing.metadata.namespace ?? '';
    for (const rule of ing.spec.rules ?? []) {
      const server = servers.get(rule.host === undefined || rule.host === '' ? CATCH_ALL_SERVER : rule.host);
      if (server === undefined) continue;
      for (const p of rule.http?.paths ?? []) {
        const path = p.path === undefined || p.path === '' ? '/' : p.path;
        const backend = serviceRef(ns, p.backend);
        const at = server.locations.findIndex((l) => l.path === path && !placeholders.has(l) && l.canary === undefined);
        if (at < 0 || backend === undefined) continue;
        const headerValue = ann(ing, 'canary-by-header-value');
        const headerPattern = ann(ing, 'canary-by-header-pattern');
        server.locations[at] = {
          ...server.locations[at]!,
          canary: {
            backend,
            ingress: keyOf(ing),
            header: ann(ing, 'canary-by-header'),
            ...(headerValue === undefined ? {} : { headerValue }),
            ...(headerPattern === undefined ? {} : { headerPattern }),
            cookie: ann(ing, 'canary-by-cookie'),
            weight: int(ann(ing, 'canary-weight'), 0),
            weightTotal: Math.max(100, int(ann(ing, 'canary-weight-total'), 100)),
          },
        };
      }
    }
  }
  const out = new Map<string, IngressServer>();
  for (const [host, s] of servers) {
    const useRegex = s.locations.some((l) => l.useRegex);
    // ingress-nginx sorts locations by path length, longest first (stable).
    const locations = [...s.locations].sort((a, b) => b.path.length - a.path.length);
    const exact = new Map<string, IngressLocation>();
    for (const l of locations) if (l.pathType === 'Exact' && !exact.has(l.path)) exact.set(l.path, l);
    out.set(host, { host, locations, useRegex, ...(s.tls === undefined ? {} : { tls: s.tls }), exact, prefixes: locations.filter((l) => l.pathType !== 'Exact') });
  }
  return { servers: out, services: new Map(objects.services.map((s) => [keyOf(s), s])) };
}

/** A request as the Ingress controller sees it. */
export interface IngressRequest {
  /** The `Host` header (a port is ignored). */
  readonly host: string;
  /** The request path (a query string is ignored for matching). */
  readonly path: string;
  /** `https` when the request arrived over TLS (default `http`). */
  readonly scheme?: 'http' | 'https' | undefined;
  /** Request headers (names are case-insensitive). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Request cookies. */
  readonly cookies?: Readonly<Record<string, string>> | undefined;
}

/**
 * Where a request goes:
 * - `backend`: a Service port (resolved to its number), with the path sent upstream (after
 *   `rewrite-target`), whether the canary was chosen, and the certificate an HTTPS request got;
 * - `default-backend`: the controller's default backend answers 404;
 * - `redirect`: 308 to HTTPS;
 * - `unavailable`: 503, the backend Service or its port does not exist.
 */
export type IngressRoute =
  | {
      readonly kind: 'backend';
      readonly status?: undefined;
      readonly namespace: string;
      readonly service: string;
      readonly port: number;
      readonly path: string;
      readonly canary: boolean;
      readonly ingress: string;
      readonly certificate?: string | undefined;
    }
  | { readonly kind: 'default-backend'; readonly status: 404 }
  | { readonly kind: 'redirect'; readonly status: 308; readonly location: string }
  | { readonly kind: 'unavailable'; readonly status: 503; readonly reason: string };

/** The server nginx picks for a `Host` (port ignored): exact, else wildcard one label up, else the catch-all. */
export function serverFor(table: IngressTable, rawHost: string): IngressServer {
  const host = rawHost.replace(/:\d+$/, '').toLowerCase();
  const exact = table.servers.get(host);
  if (exact !== undefined) return exact;
  const dot = host.indexOf('.');
  if (dot > 0) {
    const wildcard = table.servers.get(`*${host.slice(dot)}`);
    if (wildcard !== undefined) return wildcard;
  }
  return table.servers.get(CATCH_ALL_SERVER)!;
}

function prefixMatches(loc: IngressLocation, path: string): boolean {
  if (loc.pathType === 'Prefix') {
    const p = loc.path.replace(/\/+$/, '');
    return p === '' || path === p || path.startsWith(`${p}/`);
  }
  return path.startsWith(loc.path);
}

const regexCache = new Map<string, RegExp | null>();
function regexOf(path: string): RegExp | null {
  let r = regexCache.get(path);
  if (r === undefined) {
    try {
      r = new RegExp(`^${path}`, 'i');
    } catch {
      r = null;
    }
    regexCache.set(path, r);
  }
  return r;
}

/** The location nginx picks for `path` in `server` (there is always one: `/`). */
export function matchLocation(server: IngressServer, path: string): { location: IngressLocation; match: RegExpExecArray | undefined } {
  const exact = server.exact.get(path);
  if (exact !== undefined) return { location: exact, match: undefined };
  const rest = server.prefixes;
  if (server.useRegex) {
    for (const l of rest) {
      const m = regexOf(l.path)?.exec(path);
      if (m) return { location: l, match: m };
    }
  } else {
    for (const l of rest) if (prefixMatches(l, path)) return { location: l, match: undefined };
  }
  return { location: rest.find((l) => l.path === '/')!, match: undefined };
}

function header(request: IngressRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(request.headers ?? {})) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * The Lua balancer's `route_to_alternative_balancer`: whether a request goes to the canary —
 * header, then cookie, then weight (`rng` draws 1..weightTotal, canary when ≤ weight).
 */
export function routesToCanary(policy: CanaryPolicy, request: IngressRequest, rng: Pick<Rng, 'int'>): boolean {
  if (policy.header !== undefined && policy.header !== '') {
    const value = header(request, policy.header);
    if (value !== undefined) {
      if (policy.headerValue !== undefined && policy.headerValue !== '') {
        if (policy.headerValue === value) return true;
      } else if (policy.headerPattern !== undefined && policy.headerPattern !== '') {
        try {
          if (new RegExp(policy.headerPattern).test(value)) return true;
        } catch {
          return false;
        }
      } else if (value === 'always') return true;
      else if (value === 'never') return false;
    }
  }
  if (policy.cookie !== undefined && policy.cookie !== '') {
    const cookie = request.cookies?.[policy.cookie];
    if (cookie === 'always') return true;
    if (cookie === 'never') return false;
  }
  if (policy.weight <= 0) return false;
  return rng.int(policy.weightTotal) + 1 <= policy.weight;
}

function substitute(target: string, match: RegExpExecArray | undefined): string {
  return target.replace(/\$(\d)/g, (_, d: string) => match?.[Number(d)] ?? '');
}

/**
 * Routes one request through `table` (see the module documentation). `rng` is drawn only for a
 * canary weight decision, so the same seed routes the same way.
 */
export function routeIngressRequest(table: IngressTable, request: IngressRequest, rng: Pick<Rng, 'int'>): IngressRoute {
  const server = serverFor(table, request.host);
  const path = request.path.split('?')[0] || '/';
  const { location, match } = matchLocation(server, path);
  const scheme = request.scheme ?? 'http';
  if (scheme === 'http' && ((server.tls !== undefined && location.sslRedirect) || location.forceSslRedirect)) {
    return { kind: 'redirect', status: 308, location: `https://${request.host.replace(/:\d+$/, '')}${request.path}` };
  }
  const canary = location.canary !== undefined && routesToCanary(location.canary, request, rng);
  const backend = canary ? location.canary!.backend : location.backend;
  if (backend === undefined) return { kind: 'default-backend', status: 404 };
  const svc = table.services.get(`${backend.namespace}/${backend.name}`);
  if (svc === undefined) return { kind: 'unavailable', status: 503, reason: `service ${backend.namespace}/${backend.name} not found` };
  const port = (svc.spec.ports ?? []).find((p) => (backend.port.name !== undefined && backend.port.name !== '' ? p.name === backend.port.name : p.port === backend.port.number));
  if (port === undefined) return { kind: 'unavailable', status: 503, reason: `service ${backend.namespace}/${backend.name} has no port ${backend.port.name ?? backend.port.number ?? ''}` };
  const upstreamPath = location.rewriteTarget !== undefined && server.useRegex ? substitute(location.rewriteTarget, match ?? regexOf(location.path)?.exec(path) ?? undefined) || '/' : path;
  const certificate = scheme === 'https' ? (server.tls?.certificateOk === true ? server.tls.secret : 'default-fake-certificate') : undefined;
  return { kind: 'backend', namespace: backend.namespace, service: backend.name, port: port.port, path: upstreamPath, canary, ingress: canary ? location.canary!.ingress : (location.ingress ?? ''), ...(certificate === undefined ? {} : { certificate }) };
}

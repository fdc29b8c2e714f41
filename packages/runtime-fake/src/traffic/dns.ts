/**
 * Cluster DNS as CoreDNS's `kubernetes` plugin answers it (the DNS specification for
 * Kubernetes, `cluster-dns-spec`), over the traffic tables. Pure.
 *
 * Records, in zone `cluster.local`:
 * - `<svc>.<ns>.svc.cluster.local` A: the ClusterIP; for a headless Service, the addresses of
 *   its ready endpoints (not-ready ones too when it sets `publishNotReadyAddresses`);
 * - `<hostname>.<svc>.<ns>.svc.cluster.local` A: the endpoint with that `hostname` (pods with
 *   `spec.hostname` and `spec.subdomain` = a headless Service: StatefulSet pods);
 * - `_<port>._<proto>.<svc>.<ns>.svc.cluster.local` SRV: for each named port, the Service's name
 *   (or, headless, each ready endpoint's name) and the port;
 * - an ExternalName Service's name: a CNAME to `spec.externalName`;
 * - anything else in the zone: NXDOMAIN.
 *
 * A pod resolves a name through its `resolv.conf` (`dnsPolicy: ClusterFirst`): search
 * `<ns>.svc.cluster.local svc.cluster.local cluster.local`, `ndots:5` — a name with fewer than
 * five dots is tried with each search domain first, then as it is.
 *
 * @module
 */
import type { Service } from '@kubeloop/core';
import type { BackendEndpoint, TrafficTables } from './tables.js';
import { sliceEndpoints } from './tables.js';

/** The cluster domain. */
export const CLUSTER_DOMAIN = 'cluster.local';
/** The address of the `kube-dns` Service in `kube-system` (what pods' `resolv.conf` names). */
export const CLUSTER_DNS_IP = '10.96.0.10';
/** `ndots` in pods' `resolv.conf`. */
export const NDOTS = 5;

/** An SRV record's data. */
export interface SrvRecord {
  /** Priority (CoreDNS answers 0). */
  readonly priority: number;
  /** Weight (CoreDNS: 100 divided among the records). */
  readonly weight: number;
  /** The port. */
  readonly port: number;
  /** The target name. */
  readonly target: string;
}

/** A DNS answer for one fully qualified name (no trailing dot). */
export type DnsAnswer =
  | { readonly kind: 'A'; readonly name: string; readonly addresses: readonly string[] }
  | { readonly kind: 'CNAME'; readonly name: string; readonly target: string }
  | { readonly kind: 'SRV'; readonly name: string; readonly records: readonly SrvRecord[] }
  | { readonly kind: 'NXDOMAIN'; readonly name: string };

/** The search path of a pod in `namespace` (`dnsPolicy: ClusterFirst`). */
export function searchPath(namespace: string): readonly string[] {
  return [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
}

/**
 * The names a resolver tries for `name`, in order (glibc/musl with `ndots`): an absolute name
 * (trailing dot) only itself; a name with at least `ndots` dots itself first, then with the
 * search domains; otherwise the search domains first, then itself.
 *
 * @example
 * ```ts
 * candidateNames('web', ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
 * // ['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']
 * ```
 */
export function candidateNames(name: string, search: readonly string[], ndots = NDOTS): readonly string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = search.map((d) => `${name}.${d}`);
  return dots >= ndots ? [name, ...searched] : [...searched, name];
}

/** The endpoints DNS publishes for a headless Service: ready ones, or all with `publishNotReadyAddresses`. */
function published(svc: Service, endpoints: readonly BackendEndpoint[]): readonly BackendEndpoint[] {
  return svc.spec?.publishNotReadyAddresses === true ? endpoints : endpoints.filter((e) => e.ready);
}

function headless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** Every endpoint of a Service (all its ports' slices), deduplicated by address. */
function serviceEndpoints(tables: TrafficTables, key: string): BackendEndpoint[] {
  const slices = tables.slices.get(key) ?? [];
  const out: BackendEndpoint[] = [];
  const seen = new Set<string>();
  const names = new Set<string>();
  for (const s of slices) for (const p of s.ports ?? [{ name: '' }]) names.add(p.name ?? '');
  if (names.size === 0) names.add('');
  for (const n of names) {
    for (const e of sliceEndpoints(slices, n)) {
      if (seen.has(e.ip)) continue;
      seen.add(e.ip);
      out.push(e);
    }
  }
  // slices without ports (a headless Service without ports) still publish their addresses
  for (const s of slices) {
    if ((s.ports ?? []).length > 0) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses[0];
      if (ip === undefined || seen.has(ip)) continue;
      seen.add(ip);
      const ready = e.conditions?.ready !== false;
      out.push({ ip, port: 0, nodeName: e.nodeName, ready, serving: e.conditions?.serving ?? ready, terminating: e.conditions?.terminating ?? false, hostname: e.hostname });
    }
  }
  return out;
}

function endpointName(e: BackendEndpoint, svcName: string, namespace: string): string {
  return `${e.hostname ?? e.ip.replace(/\./g, '-')}.${svcName}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/**
 * Answers a query for the fully qualified `name` (no trailing dot, any case): `type` A (the
 * default) or SRV. Names outside `cluster.local` are NXDOMAIN (kubeloop has no upstream DNS).
 */
export function answerQuery(tables: TrafficTables, fqdn: string, type: 'A' | 'SRV' = 'A'): DnsAnswer {
  const name = fqdn.toLowerCase();
  const nx: DnsAnswer = { kind: 'NXDOMAIN', name };
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  if (!name.endsWith(suffix)) return nx;
  const labels = name.slice(0, -suffix.length).split('.');
  if (type === 'SRV') {
    if (labels.length !== 4 || !labels[0]!.startsWith('_') || !labels[1]!.startsWith('_')) return nx;
    const [portLabel, protoLabel, svcName, namespace] = labels as [string, string, string, string];
    const svc = tables.services.get(`${namespace}/${svcName}`);
    if (svc === undefined || svc.spec?.type === 'ExternalName') return nx;
    const port = (svc.spec?.ports ?? []).find((p) => p.name !== undefined && p.name !== '' && `_${p.name}` === portLabel && `_${(p.protocol ?? 'TCP').toLowerCase()}` === protoLabel);
    if (port === undefined) return nx;
    const targets = headless(svc) ? published(svc, serviceEndpoints(tables, `${namespace}/${svcName}`)).map((e) => endpointName(e, svcName, namespace)) : [`${svcName}.${namespace}${suffix}`];
    if (targets.length === 0) return nx;
    const weight = Math.floor(100 / targets.length);
    return { kind: 'SRV', name, records: targets.map((target) => ({ priority: 0, weight, port: port.port, target })) };
  }
  if (labels.length === 2) {
    const [svcName, namespace] = labels as [string, string];
    const svc = tables.services.get(`${namespace}/${svcName}`);
    if (svc === undefined) return nx;
    if (svc.spec?.type === 'ExternalName') return svc.spec.externalName === undefined ? nx : { kind: 'CNAME', name, target: svc.spec.externalName };
    if (headless(svc)) {
      const addresses = published(svc, serviceEndpoints(tables, `${namespace}/${svcName}`)).map((e) => e.ip);
      return addresses.length === 0 ? nx : { kind: 'A', name, addresses };
    }
    const ips = (svc.spec?.clusterIPs ?? (svc.spec?.clusterIP === undefined ? [] : [svc.spec.clusterIP])).filter((ip) => ip !== '' && ip !== 'None');
    return ips.length === 0 ? nx : { kind: 'A', name, addresses: ips };
  }
  if (labels.length === 3) {
    const [host, svcName, namespace] = labels as [string, string, string];
    const svc = tables.services.get(`${namespace}/${svcName}`);
    if (svc === undefined || !headless(svc)) return nx;
    const addresses = published(svc, serviceEndpoints(tables, `${namespace}/${svcName}`))
      .filter((e) => (e.hostname ?? e.ip.replace(/\./g, '-')) === host)
      .map((e) => e.ip);
    return addresses.length === 0 ? nx : { kind: 'A', name, addresses };
  }
  return nx;
}

/**
 * Resolves `name` as a pod in `namespace` would (search path, ndots 5), or as a client outside
 * the cluster would (`namespace` undefined: only fully qualified cluster names, which a client
 * using the cluster's DNS server can ask for). Follows a CNAME to another cluster name; an
 * IPv4 literal resolves to itself.
 *
 * @example
 * A pod in `default` resolving `stateful-pvc-0.stateful-headless` tries
 * `stateful-pvc-0.stateful-headless.default.svc.cluster.local` first and gets that pod's IP.
 */
export function resolveName(tables: TrafficTables, name: string, namespace: string | undefined): { readonly fqdn: string; readonly answer: DnsAnswer } {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return { fqdn: name, answer: { kind: 'A', name, addresses: [name] } };
  const tries = namespace === undefined ? [name.replace(/\.$/, '')] : candidateNames(name, searchPath(namespace));
  for (const fqdn of tries) {
    const answer = answerQuery(tables, fqdn);
    if (answer.kind === 'NXDOMAIN') continue;
    if (answer.kind === 'CNAME') {
      const next = answerQuery(tables, answer.target.replace(/\.$/, ''));
      return { fqdn, answer: next.kind === 'A' ? { kind: 'A', name: fqdn, addresses: next.addresses } : answer };
    }
    return { fqdn, answer };
  }
  return { fqdn: tries[0] ?? name, answer: { kind: 'NXDOMAIN', name } };
}

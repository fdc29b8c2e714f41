/**
 * The traffic invariants, stated from the Kubernetes spec over cluster states and the routed
 * connections, independently of the router (they never call `route.ts` or `dns.ts`):
 *
 * - `trafficReachesReadyEndpoints` (safety): a connection to a Service reaches an endpoint that
 *   the Service's EndpointSlices list as ready for that port — or, when none is ready, one they
 *   list as serving and terminating;
 * - `trafficLocalStaysOnNode` (safety): a connection under a Local traffic policy reaches an
 *   endpoint on the node it was received on (external) or sent from (internal);
 * - `dnsAnswersReadyEndpoints` (liveness): cluster DNS answers a Service's name with its
 *   ClusterIP, a headless Service's with the addresses of its ready endpoints (all of them with
 *   `publishNotReadyAddresses`), and a StatefulSet pod's `<hostname>.<subdomain>` name with
 *   that pod's endpoint address.
 *
 * - `dnsFollowsKubeDnsEndpoints` (liveness; only when lookups depend on reaching the cluster
 *   DNS server): a pod's lookup of a cluster name gets an answer exactly when the Service at the
 *   DNS server's address lists an endpoint for port 53 (`dns`) that kube-proxy may use from the
 *   pod — a ready one, else a serving terminating one; on its node under
 *   `internalTrafficPolicy: Local`.
 *
 * A connection is judged against a state only while the facts it was routed on are unchanged
 * in it: the Service and its EndpointSlices carry resourceVersions no newer than the
 * connection's `revision`, and none of the slices it was routed on is gone. Later ones are
 * skipped (Caveat: a connection routed just before a change may go unjudged).
 *
 * @module
 */
import { SERVICE_NAME_LABEL, invariant } from '@kubeloop/core';
import type { ClusterState, EndpointSlice, Invariant, InvariantViolation, Pod, Service } from '@kubeloop/core';
import type { DnsAnswer } from './dns.js';
import type { RoutedConnection } from './model.js';

const rvOf = (o: { metadata: { resourceVersion?: string | undefined } }): number => Number(o.metadata.resourceVersion ?? '0');

function slicesOf(state: ClusterState, namespace: string, name: string): EndpointSlice[] {
  return state.of<EndpointSlice>('EndpointSlice').filter((s) => (s.metadata.namespace ?? 'default') === namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
}

/** Whether the facts `c` was routed on are unchanged in `state`. */
function judgeable(state: ClusterState, c: RoutedConnection): { svc: Service; slices: EndpointSlice[] } | undefined {
  const svc = state.get<Service>('Service', c.service.namespace, c.service.name);
  if (svc === undefined || rvOf(svc) > c.revision) return undefined;
  const slices = slicesOf(state, c.service.namespace, c.service.name);
  if (slices.some((s) => rvOf(s) > c.revision)) return undefined;
  // a slice routed on and deleted since: the facts changed
  if (c.slices.some((n) => !slices.some((x) => x.metadata.name === n))) return undefined;
  return { svc, slices };
}

/** The endpoints of `portName` in `slices`: address → conditions and node, as the slices say. */
function listed(slices: readonly EndpointSlice[], portName: string): Map<string, { ready: boolean; serving: boolean; terminating: boolean; node: string | undefined }> {
  const out = new Map<string, { ready: boolean; serving: boolean; terminating: boolean; node: string | undefined }>();
  for (const s of slices) {
    if (!(s.ports ?? []).some((p) => (p.name ?? '') === portName)) continue;
    for (const e of s.endpoints ?? []) {
      for (const a of e.addresses) {
        if (out.has(a)) continue;
        const ready = e.conditions?.ready ?? true;
        out.set(a, { ready, serving: e.conditions?.serving ?? ready, terminating: e.conditions?.terminating ?? false, node: e.nodeName });
      }
    }
  }
  return out;
}

/** Violations of `trafficReachesReadyEndpoints` among `connections` in `state`. */
export function readyEndpointViolations(state: ClusterState, connections: readonly RoutedConnection[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const c of connections) {
    const j = judgeable(state, c);
    if (j === undefined) continue;
    const endpoints = listed(j.slices, c.portName);
    const e = endpoints.get(c.endpointIP);
    const svcRef = { kind: 'Service', namespace: c.service.namespace, name: c.service.name };
    const podRef = c.pod === undefined ? [] : [{ kind: 'Pod', namespace: c.pod.namespace, name: c.pod.name }];
    if (e === undefined) {
      out.push({ message: `a connection via ${c.via} reached ${c.endpointIP}, which no EndpointSlice of the Service lists for port "${c.portName}"`, objects: [svcRef, ...podRef] });
      continue;
    }
    if (e.ready) continue;
    const anyReady = [...endpoints.values()].some((x) => x.ready);
    if (anyReady || !(e.serving && e.terminating)) out.push({ message: `a connection via ${c.via} reached ${c.endpointIP}, which is not ready${anyReady ? ' while ready endpoints exist' : ' and not a serving terminating endpoint'}`, objects: [svcRef, ...podRef] });
  }
  return out;
}

/**
 * Violations of `trafficLocalStaysOnNode` among `connections` in `state`: a connection from
 * outside to a node port or load balancer of a Service with `externalTrafficPolicy: Local`, or
 * from a pod to the ClusterIP of one with `internalTrafficPolicy: Local`, must reach an endpoint
 * on its node (judged while the Service is unchanged since).
 */
export function localPolicyViolations(state: ClusterState, connections: readonly RoutedConnection[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const c of connections) {
    if (c.node === undefined) continue;
    const svc = state.get<Service>('Service', c.service.namespace, c.service.name);
    if (svc === undefined || rvOf(svc) > c.revision) continue;
    const external = c.via === 'nodePort' || c.via === 'loadBalancer';
    const local = external ? c.fromOutside && svc.spec?.externalTrafficPolicy === 'Local' : !c.fromOutside && svc.spec?.internalTrafficPolicy === 'Local';
    if (!local) continue;
    if (c.endpointNode !== c.node) out.push({ message: `a connection via ${c.via} under a Local traffic policy, on ${c.node}, reached ${c.endpointIP} on ${c.endpointNode ?? 'an unknown node'}`, objects: [{ kind: 'Service', namespace: c.service.namespace, name: c.service.name }] });
  }
  return out;
}

/** Violations of `dnsAnswersReadyEndpoints` in `state`, asking `query` (a fully qualified A query). */
export function dnsViolations(state: ClusterState, query: (fqdn: string) => DnsAnswer): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const svc of state.of<Service>('Service')) {
    const ns = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name ?? '';
    const fqdn = `${name}.${ns}.svc.cluster.local`;
    const ref = { kind: 'Service', namespace: ns, name };
    const answer = query(fqdn);
    const got = answer.kind === 'A' ? [...answer.addresses].sort() : [];
    if (svc.spec?.type === 'ExternalName') {
      if (answer.kind !== 'CNAME' || answer.target !== svc.spec.externalName) out.push({ message: `${fqdn} should be a CNAME to ${svc.spec.externalName ?? '(none)'}`, objects: [ref] });
      continue;
    }
    let want: string[];
    if (svc.spec?.clusterIP !== 'None') want = (svc.spec?.clusterIP === undefined || svc.spec.clusterIP === '' ? [] : [svc.spec.clusterIP]).sort();
    else {
      const all = svc.spec?.publishNotReadyAddresses === true;
      const set = new Set<string>();
      for (const s of slicesOf(state, ns, name)) for (const e of s.endpoints ?? []) if (all || (e.conditions?.ready ?? true)) for (const a of e.addresses) set.add(a);
      want = [...set].sort();
      for (const s of slicesOf(state, ns, name)) {
        for (const e of s.endpoints ?? []) {
          if (e.hostname === undefined || !(all || (e.conditions?.ready ?? true))) continue;
          const host = `${e.hostname}.${fqdn}`;
          const a = query(host);
          if (a.kind !== 'A' || !e.addresses.every((x) => a.addresses.includes(x))) out.push({ message: `${host} should resolve to ${e.addresses.join(', ')}, got ${a.kind === 'A' ? a.addresses.join(', ') : a.kind}`, objects: [ref] });
        }
      }
    }
    if (want.join(',') !== got.join(',')) out.push({ message: `${fqdn} resolves to [${got.join(', ')}], its ${svc.spec?.clusterIP === 'None' ? 'ready endpoints are' : 'ClusterIP is'} [${want.join(', ')}]`, objects: [ref] });
  }
  return out;
}

/** How many running pods {@link dnsReachabilityViolations} asks from (the first ones, by namespace and name). */
const DNS_CLIENTS_CHECKED = 20;

/**
 * Violations of `dnsFollowsKubeDnsEndpoints` in `state`: for (up to 20) running pods with an IP,
 * `lookup(pod, name)` of the DNS Service's own name must answer exactly when that Service (the
 * one whose ClusterIP is `server`) lists a usable endpoint for its port 53 `dns` (see the module).
 */
export function dnsReachabilityViolations(state: ClusterState, server: string, lookup: (pod: Pod, name: string) => readonly string[]): InvariantViolation[] {
  const svc = state.of<Service>('Service').find((s) => s.spec?.clusterIP === server || (s.spec?.clusterIPs ?? []).includes(server));
  const ns = svc?.metadata.namespace ?? 'default';
  const name = svc?.metadata.name ?? '';
  const port = (svc?.spec?.ports ?? []).find((p) => p.port === 53);
  const endpoints = svc === undefined || port === undefined ? new Map<string, { ready: boolean; serving: boolean; terminating: boolean; node: string | undefined }>() : listed(slicesOf(state, ns, name), port.name ?? '');
  const pods = state
    .of<Pod>('Pod')
    .filter((p) => p.status?.phase === 'Running' && (p.status.podIP ?? '') !== '' && p.spec.hostNetwork !== true && p.metadata.deletionTimestamp === undefined)
    .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`))
    .slice(0, DNS_CLIENTS_CHECKED);
  const out: InvariantViolation[] = [];
  for (const pod of pods) {
    const usable = [...endpoints.values()].filter((e) => svc?.spec?.internalTrafficPolicy !== 'Local' || e.node === pod.spec.nodeName);
    const reachable = usable.some((e) => e.ready) || usable.some((e) => e.serving && e.terminating);
    const fqdn = svc === undefined ? `kube-dns.kube-system.svc.cluster.local` : `${name}.${ns}.svc.cluster.local`;
    const answered = lookup(pod, fqdn).length > 0;
    if (answered === reachable) continue;
    const podRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' };
    out.push({
      message: reachable ? `a lookup of ${fqdn} from ${podRef.namespace}/${podRef.name} got no answer, though the DNS Service has a usable endpoint` : `a lookup of ${fqdn} from ${podRef.namespace}/${podRef.name} was answered, though no usable endpoint serves ${server}:53`,
      objects: [podRef, ...(svc === undefined ? [] : [{ kind: 'Service', namespace: ns, name }])],
    });
  }
  return out;
}

/** The traffic invariants over a model's routed connections and DNS (see the module). */
export function trafficInvariants(source: {
  routed(): readonly RoutedConnection[];
  query(fqdn: string): DnsAnswer;
  /** The cluster DNS server, when lookups depend on reaching it (adds `dnsFollowsKubeDnsEndpoints`). */
  readonly clusterDnsServer?: string | undefined;
  /** A pod's lookup of a name (needed with `clusterDnsServer`). */
  lookup?(pod: Pod, name: string): readonly string[];
}): readonly Invariant[] {
  const server = source.clusterDnsServer;
  const reachability =
    server === undefined || source.lookup === undefined
      ? []
      : [
          invariant(
            'dnsFollowsKubeDnsEndpoints',
            "A pod's lookup of a cluster name is answered exactly when the cluster DNS Service has an endpoint for port 53 that kube-proxy may use from the pod.",
            (state) => dnsReachabilityViolations(state, server, (pod, name) => source.lookup!(pod, name)),
          ),
        ];
  return [
    invariant('trafficReachesReadyEndpoints', "A connection to a Service reaches an endpoint its EndpointSlices list as ready for the port, or a serving terminating one when none is ready.", (state) => readyEndpointViolations(state, source.routed()), 'safety'),
    invariant('trafficLocalStaysOnNode', 'A connection under externalTrafficPolicy or internalTrafficPolicy Local reaches an endpoint on the node it was received on or sent from.', (state) => localPolicyViolations(state, source.routed()), 'safety'),
    invariant('dnsAnswersReadyEndpoints', "Cluster DNS answers a Service's name with its ClusterIP, a headless Service's with its ready endpoints (all with publishNotReadyAddresses), and each endpoint hostname with its address.", (state) => dnsViolations(state, (fqdn) => source.query(fqdn))),
    ...reachability,
  ];
}

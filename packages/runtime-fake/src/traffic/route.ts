/**
 * Routing as kube-proxy routes (its iptables/nftables rules, `pkg/proxy/topology.go`): a
 * connection to a ClusterIP, a `<node IP>:<nodePort>` or a load-balancer address goes to one
 * usable endpoint of the Service port, picked at random with equal weight; `sessionAffinity:
 * ClientIP` sends a client back to the endpoint it had while the affinity lasts; the traffic
 * policies keep traffic on the receiving (or sending) node. Pure apart from the
 * {@link AffinityTable} a caller passes in.
 *
 * Which endpoints are usable (KEP-1669, KEP-2086):
 *
 * | traffic | policy Cluster | policy Local |
 * |---|---|---|
 * | internal (to a ClusterIP) | ready endpoints, else serving terminating ones | the same, on the sender's node only |
 * | external (node port, load balancer) | as internal Cluster | the same, on the receiving node only |
 *
 * A Service port with no usable endpoint anywhere rejects the connection (connection refused);
 * one that has endpoints, but none the policy allows here, drops it (the client times out).
 * External traffic from a pod of the cluster is treated as internal (kube-proxy short-circuits
 * pods' traffic to a load balancer or node port to the Service's cluster endpoints).
 *
 * @module
 */
import type { BackendEndpoint, PodEntry, ServicePortEntry, TrafficTables } from './tables.js';
import { keyOf } from './tables.js';

/** Where a connection comes from. */
export type TrafficSource =
  /** A client outside the cluster, with its address (affinity keys on it). */
  | { readonly kind: 'outside'; readonly clientIP: string }
  /** A pod of the cluster: its IP and node. */
  | { readonly kind: 'pod'; readonly ip: string; readonly nodeName: string | undefined };

/** A connection: its source and its destination address and port. */
export interface Connection {
  /** The client. */
  readonly source: TrafficSource;
  /** The destination address. */
  readonly ip: string;
  /** The destination port. */
  readonly port: number;
}

/** How a connection entered the Service. */
export type RouteVia = 'clusterIP' | 'nodePort' | 'loadBalancer' | 'podIP';

/** Where kube-proxy (or plain IP routing) sends a connection. */
export type RouteDecision =
  /** To `endpoint` of `entry` (absent for a connection straight to a pod IP). */
  | { readonly kind: 'endpoint'; readonly via: RouteVia; readonly entry?: ServicePortEntry | undefined; readonly endpoint: BackendEndpoint; readonly receivingNode?: string | undefined }
  /** Rejected: the Service port has no usable endpoint (`Connection refused`). */
  | { readonly kind: 'refused'; readonly via: RouteVia; readonly entry?: ServicePortEntry | undefined; readonly reason: string }
  /** Dropped: endpoints exist, none the traffic policy allows here (the client times out). */
  | { readonly kind: 'dropped'; readonly via: RouteVia; readonly entry: ServicePortEntry; readonly reason: string }
  /** No route to the address at all (nothing has it; the client times out). */
  | { readonly kind: 'unreachable'; readonly reason: string };

/**
 * ClientIP session affinity: the endpoint each client had per Service port, and when it was
 * last used; one table per router (kube-proxy keeps one per node, in the `recent` module).
 */
export class AffinityTable {
  readonly #entries = new Map<string, { ip: string; lastUsed: number }>();

  /** The endpoint address `client` is stuck to on `entry` at `now`, if the affinity has not timed out. */
  lookup(entry: ServicePortEntry, client: string, now: number): string | undefined {
    const key = `${keyOf(entry.service)}/${entry.portName}|${client}`;
    const e = this.#entries.get(key);
    if (e === undefined || entry.affinityTimeoutMs === undefined || now - e.lastUsed >= entry.affinityTimeoutMs) return undefined;
    return e.ip;
  }

  /** Records that `client` used endpoint `ip` of `entry` at `now`. */
  record(entry: ServicePortEntry, client: string, ip: string, now: number): void {
    this.#entries.set(`${keyOf(entry.service)}/${entry.portName}|${client}`, { ip, lastUsed: now });
  }

  /** Forgets every affinity. */
  clear(): void {
    this.#entries.clear();
  }
}

/**
 * kube-proxy's endpoint categories for one Service port (upstream `CategorizeEndpoints`):
 * `cluster` — the ready endpoints, or the serving terminating ones when none is ready; `local`
 * — the same rule over the endpoints on `node`.
 *
 * @example
 * Endpoints a (ready, node-1), b (not ready, serving, terminating, node-2): cluster is [a];
 * local to node-2 is [b] (no ready endpoint on node-2, so its serving terminating one).
 */
export function categorizeEndpoints(endpoints: readonly BackendEndpoint[], node: string | undefined): { readonly cluster: readonly BackendEndpoint[]; readonly local: readonly BackendEndpoint[] } {
  const usable = (list: readonly BackendEndpoint[]): readonly BackendEndpoint[] => {
    const ready = list.filter((e) => e.ready);
    return ready.length > 0 ? ready : list.filter((e) => e.serving && e.terminating);
  };
  return { cluster: usable(endpoints), local: node === undefined ? [] : usable(endpoints.filter((e) => e.nodeName === node)) };
}

/** The endpoints a connection to `entry` may reach, or why none. */
export type Candidates =
  | { readonly kind: 'endpoints'; readonly endpoints: readonly BackendEndpoint[] }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'dropped'; readonly reason: string };

/**
 * The endpoints of `entry` that a connection entering as `via` on `node` (the receiving node
 * for external traffic, the sender's for internal) from `source` may reach.
 */
export function candidates(entry: ServicePortEntry, via: RouteVia, source: TrafficSource, node: string | undefined): Candidates {
  const { cluster, local } = categorizeEndpoints(entry.endpoints, node);
  const svc = `${keyOf(entry.service)}${entry.portName === '' ? '' : `:${entry.portName}`}`;
  if (cluster.length === 0) return { kind: 'refused', reason: `service ${svc} has no endpoints` };
  const external = via === 'nodePort' || via === 'loadBalancer';
  const useLocal = external ? entry.externalLocal && source.kind === 'outside' : entry.internalLocal;
  if (!useLocal) return { kind: 'endpoints', endpoints: cluster };
  if (local.length === 0) return { kind: 'dropped', reason: `service ${svc} has no local endpoints on ${node ?? 'this node'}` };
  return { kind: 'endpoints', endpoints: local };
}

/** Finds the Service port (and how it is entered) a destination belongs to. */
export function serviceFor(tables: TrafficTables, ip: string, port: number): { readonly entry: ServicePortEntry; readonly via: RouteVia; readonly receivingNode?: string | undefined } | undefined {
  const key = `${ip}:${port}`;
  const clusterIP = tables.clusterIPs.get(key);
  if (clusterIP !== undefined) return { entry: clusterIP, via: 'clusterIP' };
  const lb = tables.loadBalancers.get(key);
  if (lb !== undefined) return { entry: lb, via: 'loadBalancer' };
  const node = tables.nodesByIP.get(ip);
  if (node !== undefined) {
    const np = tables.nodePorts.get(port);
    if (np !== undefined) return { entry: np, via: 'nodePort', receivingNode: node };
  }
  return undefined;
}

/**
 * Routes one connection. `pick(n)` chooses an index in `[0, n)` (a seeded RNG's `int`: the
 * same seed routes the same way); `affinity` and `now` serve `sessionAffinity: ClientIP`.
 *
 * - A Service address (ClusterIP:port, load-balancer ip:port, any node's IP:nodePort): one of
 *   {@link candidates}, uniformly, or the affine one.
 * - A pod IP: that pod (connections to pods need no proxy); refused if the pod is not running.
 * - A node IP on a port no Service has: refused. Anything else: unreachable.
 */
export function routeConnection(tables: TrafficTables, connection: Connection, pick: (n: number) => number, affinity?: AffinityTable, now = 0): RouteDecision {
  const { ip, port, source } = connection;
  const found = serviceFor(tables, ip, port);
  if (found !== undefined) {
    const { entry, via, receivingNode } = found;
    const node = via === 'nodePort' || via === 'loadBalancer' ? (source.kind === 'pod' && via === 'loadBalancer' ? source.nodeName : (receivingNode ?? lbNode(tables, pick))) : source.kind === 'pod' ? source.nodeName : undefined;
    const c = candidates(entry, via, source, node);
    if (c.kind !== 'endpoints') return c.kind === 'refused' ? { kind: 'refused', via, entry, reason: c.reason } : { kind: 'dropped', via, entry, reason: c.reason };
    const client = source.kind === 'outside' ? source.clientIP : source.ip;
    let chosen: BackendEndpoint | undefined;
    if (entry.affinityTimeoutMs !== undefined && affinity !== undefined) {
      const stuck = affinity.lookup(entry, client, now);
      chosen = stuck === undefined ? undefined : c.endpoints.find((e) => e.ip === stuck);
    }
    chosen ??= c.endpoints[c.endpoints.length === 1 ? 0 : pick(c.endpoints.length)]!;
    if (entry.affinityTimeoutMs !== undefined && affinity !== undefined) affinity.record(entry, client, chosen.ip, now);
    return { kind: 'endpoint', via, entry, endpoint: chosen, receivingNode: node };
  }
  const pod = tables.podsByIP.get(ip);
  if (pod !== undefined) return podRoute(pod, ip, port);
  if (tables.nodesByIP.has(ip)) return { kind: 'refused', via: 'nodePort', reason: `nothing listens on ${ip}:${port}` };
  return { kind: 'unreachable', reason: `no route to host ${ip}` };
}

/**
 * The node a load balancer hands a connection to: MetalLB's L2 mode answers for an address
 * from one node; kubeloop picks one node with the RNG for each connection (as a cloud load
 * balancer spreads over nodes).
 */
function lbNode(tables: TrafficTables, pick: (n: number) => number): string | undefined {
  const nodes = [...tables.nodeIPs.keys()];
  return nodes.length === 0 ? undefined : nodes[nodes.length === 1 ? 0 : pick(nodes.length)];
}

function podRoute(entry: PodEntry, ip: string, port: number): RouteDecision {
  const pod = entry.pod;
  const endpoint: BackendEndpoint = {
    ip,
    port,
    nodeName: entry.nodeName,
    pod: { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' },
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    serving: true,
    terminating: pod.metadata.deletionTimestamp !== undefined,
  };
  if (pod.status?.phase !== 'Running') return { kind: 'refused', via: 'podIP', reason: `pod ${keyOf(endpoint.pod!)} is not running` };
  return { kind: 'endpoint', via: 'podIP', endpoint };
}

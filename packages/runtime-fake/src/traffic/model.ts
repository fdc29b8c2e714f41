/**
 * The traffic model: requests as data, on virtual time. It holds kube-proxy's view (Services,
 * EndpointSlices, Nodes) and the pods, and answers:
 *
 * - discrete requests ({@link TrafficModel.send}): resolved by cluster DNS, routed as kube-proxy
 *   routes, answered by the backend pod's image (or handed on by an L7 hook), counted per pod
 *   and recorded for the traffic invariants;
 * - the network of containers' command lines ({@link TrafficModel.shellNetwork}): `wget`,
 *   `curl` and `nslookup` in a pod, answered deterministically, without counting (the
 *   interpreter may run a script ahead of time);
 * - request flows ({@link TrafficModel.refreshFlows}): every running container whose command
 *   is a `wget`/`curl` loop is a flow at its loop's rate, split over the backends by the
 *   routing weights; each backend's CPU is the sum of its flows' rates times its CPU cost per
 *   request, handed to `onLoad` — no event per request, so an hour costs what a minute does.
 *
 * @module
 */
import type { Container, EndpointSlice, KubeObject, Node, Pod, Rng, Service } from '@kubeloop/core';
import { deepEqual, podReadyCondition } from '@kubeloop/core';
import { knowsCommand, runShell } from '../shell/interpret.js';
import type { HttpOutcome, ShellNetwork } from '../shell/network.js';
import { containerArgv, containerEnvironment, containerFiles, podHostname, withResolvConf } from '../shell/program.js';
import type { PodData } from '../shell/program.js';
import type { HttpRequest } from './answers.js';
import { API_SERVER_BACKEND, API_SERVER_SECURE_PORT, API_SERVER_UNTRUSTED_CERTIFICATE, answerAsApiServer } from './apiserver.js';
import type { ApiServerEndpoint } from './apiserver.js';
import { cpuMsPerRequest, serve, servingContainer } from './answers.js';
import type { DnsAnswer } from './dns.js';
import { CLUSTER_DNS_IP, NDOTS, answerQuery, resolveName, searchPath } from './dns.js';
import { loadFlows } from './flows.js';
import type { LoadFlowSpec } from './flows.js';
import type { RouteDecision, TrafficSource } from './route.js';
import { AffinityTable, candidates, routeConnection, serviceFor } from './route.js';
import type { BackendEndpoint, NamespacedName, TrafficTables } from './tables.js';
import { buildTables, keyOf } from './tables.js';

/** The address an outside client has unless a request says otherwise. */
export const DEFAULT_OUTSIDE_CLIENT_IP = '203.0.113.10';

/**
 * What an L7 hook (a pod whose image is a proxy, e.g. an Ingress controller) decides about a
 * request that reached it.
 */
export type NextHop = (
  /** Answer it here (e.g. the controller's 404 default backend, or a TLS redirect). */
  | { readonly kind: 'respond'; readonly status: number; readonly body: string }
  /**
   * Send it on: to one of `hops`, picked with probability proportional to `weight` (a canary at
   * weight 10 of 100 next to its main Service at 90). `url` is resolved from the proxy pod
   * (`http://shop.default.svc.cluster.local:80/`); `headers` replace the request's if given.
   */
  | { readonly kind: 'forward'; readonly hops: readonly { readonly weight: number; readonly url: string; readonly headers?: Readonly<Record<string, string>> | undefined }[] }
) & {
  /**
   * Over TLS: why a client that verifies certificates refuses the one the proxy served, in
   * curl's words (`SSL certificate problem: self-signed certificate` for ingress-nginx's fake
   * default certificate); such a client ends the handshake and sends no request, unless it was
   * told not to verify ({@link TrafficRequest.insecure}). Undefined: the certificate is trusted.
   */
  readonly untrustedCertificate?: string | undefined;
};

/**
 * The L7 extension point: decides, for a request that reached `pod` (a container of `image`),
 * where it goes next — from its host, path and headers to a Service — or undefined to let the
 * image answer as usual. It must be a pure function of its arguments (the ingress helper's
 * decision functions are). Registered with {@link TrafficModel.setNextHopHook}.
 */
export type NextHopHook = (context: { readonly pod: Pod; readonly request: HttpRequest; readonly port: number; readonly tables: TrafficTables }) => NextHop | undefined;

/** A request to send. */
export interface TrafficRequest {
  /** Where from: outside the cluster (the default), or a pod. */
  readonly from?: { readonly kind: 'outside'; readonly clientIP?: string | undefined } | { readonly kind: 'pod'; readonly pod: NamespacedName } | undefined;
  /** `http://host[:port]/path`: a DNS name, a ClusterIP, a node IP (or node name) with a node port, a load-balancer IP. */
  readonly url: string;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Accept any server certificate, as `curl -k` (default false: an untrusted one fails the
   * request, see {@link NextHop}; the API server's is signed by the cluster CA, which an outside
   * client does not trust).
   */
  readonly insecure?: boolean | undefined;
}

/** What became of a request. */
export type RequestOutcome =
  /** Answered: by `backend` (the pod that answered, or {@link API_SERVER_BACKEND}), through `service` if it went through one. */
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly backend: NamespacedName; readonly service?: NamespacedName | undefined; readonly hops: number }
  /** The host name did not resolve. */
  | { readonly kind: 'unresolved'; readonly host: string }
  /** Connection refused (no endpoints, nothing listening). */
  | { readonly kind: 'refused'; readonly reason: string; readonly service?: NamespacedName | undefined }
  /** No answer (dropped by a traffic policy, no route). */
  | { readonly kind: 'timeout'; readonly reason: string; readonly service?: NamespacedName | undefined }
  /**
   * The client refused the server's certificate (`reason` in curl's words, e.g. `SSL certificate
   * problem: self-signed certificate`): the TLS handshake reached `backend` (the proxy pod), no
   * request was sent, nothing was counted.
   */
  | { readonly kind: 'tls'; readonly reason: string; readonly backend: NamespacedName; readonly service?: NamespacedName | undefined };

/**
 * One routed connection, as the invariants judge it: which Service port it entered, which
 * endpoint kube-proxy picked, on which node, under which policy; with `revision`, the highest
 * resourceVersion the model had seen of the objects it routes by (Services, EndpointSlices,
 * Nodes, Pods) — the state the decision was made in.
 */
export interface RoutedConnection {
  /** The virtual time (clock ms). */
  readonly at: number;
  /** How it entered. */
  readonly via: 'clusterIP' | 'nodePort' | 'loadBalancer';
  /** The Service. */
  readonly service: NamespacedName;
  /** The Service port's name. */
  readonly portName: string;
  /** The endpoint's address. */
  readonly endpointIP: string;
  /** The endpoint's pod, if the slice named it. */
  readonly pod?: NamespacedName | undefined;
  /** The endpoint's node, if the slice named it. */
  readonly endpointNode?: string | undefined;
  /** The node it was received on (node port, load balancer) or sent from (a pod's, to a ClusterIP). */
  readonly node?: string | undefined;
  /** Whether the client was outside the cluster (else a pod). */
  readonly fromOutside: boolean;
  /** The model's view revision. */
  readonly revision: number;
  /** The names of the Service's EndpointSlices the decision was made on. */
  readonly slices: readonly string[];
}

/** A resolved flow: a source pod, its URL and rate. */
export interface LoadFlow extends LoadFlowSpec {
  /** The pod running the loop. */
  readonly source: NamespacedName;
  /** The container running it. */
  readonly container: string;
}

/** Options of a {@link TrafficModel}. */
export interface TrafficModelOptions {
  /** Picks endpoints (seeded: the same seed routes the same way). */
  readonly rng: Rng;
  /** Virtual time (ms). */
  readonly now: () => number;
  /** Told a container's CPU from traffic (millicores) whenever it changes (0: none). */
  readonly onLoad?: ((pod: Pod, container: string, cpuMillicores: number) => void) | undefined;
  /** How many routed connections {@link TrafficModel.routed} keeps at least (default 10 000; at most twice as many). */
  readonly keepRouted?: number | undefined;
  /**
   * The cluster DNS server's address (pods' `resolv.conf` nameserver, e.g. `10.96.0.10`, the
   * `kube-dns` Service). Set, a client's query reaches CoreDNS only as kube-proxy would carry
   * it: to an endpoint of the Service at that address, port 53 — with none (CoreDNS pods down
   * or not ready, the Service gone), every cluster name fails to resolve after the resolver's
   * timeout ({@link DNS_TIMEOUT_MS}; `nslookup` prints `;; connection timed out; no servers
   * could be reached`). Unset (the default), cluster DNS always answers.
   *
   * Caveat: a proxy's own upstream resolution (an L7 hop, e.g. ingress-nginx forwarding to a
   * Service) does not depend on it: ingress-nginx sends to the Service's endpoints directly.
   */
  readonly clusterDnsServer?: string | undefined;
  /**
   * The API server, reached at its address (the `kubernetes` Service's endpoint) or through the
   * `kubernetes` Service: it answers as kube-apiserver answers an anonymous client (see
   * {@link answerAsApiServer}), as `backend` {@link API_SERVER_BACKEND}. Unset (the default),
   * nothing listens there (connection refused).
   */
  readonly apiServer?: ApiServerEndpoint | undefined;
}

/** How long a client waits for a DNS server that does not answer: 5 s, 2 attempts (`resolv.conf`'s defaults `timeout:5 attempts:2`). */
export const DNS_TIMEOUT_MS = 10_000;

type Kind = 'Service' | 'EndpointSlice' | 'Node' | 'Pod';

/** A cheap deterministic hash of a string (FNV-1a), for picks that must not consume the RNG. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Whether two versions of an object are the same for routing, DNS and flows: a Node's
 * addresses; a Pod's labels, annotations, deletion, node, hostname, phase, IP, which
 * containers run and its Ready condition; any other kind only if it is the same object.
 */
function sameForTraffic(a: KubeObject, b: KubeObject): boolean {
  if (a.kind === 'Node') return deepEqual((a as Node).status?.addresses ?? [], (b as Node).status?.addresses ?? []);
  if (a.kind !== 'Pod') return a === b;
  const p = a as Pod;
  const q = b as Pod;
  return (
    p.metadata.deletionTimestamp === q.metadata.deletionTimestamp &&
    p.spec.nodeName === q.spec.nodeName &&
    p.spec.hostname === q.spec.hostname &&
    p.status?.phase === q.status?.phase &&
    p.status?.podIP === q.status?.podIP &&
    readyStatus(p) === readyStatus(q) &&
    sameRunning(p, q) &&
    deepEqual(p.metadata.labels, q.metadata.labels) &&
    deepEqual(p.metadata.annotations, q.metadata.annotations)
  );
}

/** Whether two versions of a pod run the same containers (names, and running or not, in order). */
function sameRunning(p: Pod, q: Pod): boolean {
  const x = p.status?.containerStatuses ?? [];
  const y = q.status?.containerStatuses ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i]!.name !== y[i]!.name || (x[i]!.state?.running === undefined) !== (y[i]!.state?.running === undefined)) return false;
  return true;
}

function readyStatus(pod: Pod): string | undefined {
  return podReadyCondition(pod)?.status;
}

function parseUrl(url: string): { scheme: string; host: string; port: number; path: string } | undefined {
  const full = /^[a-z]+:\/\//i.test(url) ? url : `http://${url}`;
  const m = /^([a-z]+):\/\/([^/:?#]+)(?::(\d+))?([^#]*)/i.exec(full);
  if (m === null) return undefined;
  const scheme = m[1]!.toLowerCase();
  return { scheme, host: m[2]!, port: m[3] !== undefined ? Number(m[3]) : scheme === 'https' ? 443 : 80, path: m[4] === undefined || m[4] === '' ? '/' : m[4] };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** The loopback host of a URL (`http://localhost:8080/`, `http://127.0.0.1/`), its scheme kept in `$1`. */
const LOOPBACK = /^((?:https?:\/\/)?)(?:localhost|127\.0\.0\.1)(?=[:/?#]|$)/i;

/** The host of a URL (`http://web:8080/x` → `web`). */
function hostOf(url: string): string {
  return parseUrl(url)?.host ?? url;
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

/** Per pod: discrete requests, and the flow rate since `since`. */
interface Counter {
  discrete: number;
  flowed: number;
  rate: number;
  since: number;
}

/**
 * The traffic model (see the module). One writer: {@link TrafficModel.observe} is told every
 * change of the four kinds it reads.
 *
 * Guarantees: with the same seed, objects and calls, the same routing; {@link TrafficModel.shellNetwork}
 * answers are pure functions of (pod, url, time) and consume no randomness.
 */
export class TrafficModel {
  readonly #o: TrafficModelOptions;
  readonly #objects: Record<Kind, Map<string, KubeObject>> = { Service: new Map(), EndpointSlice: new Map(), Node: new Map(), Pod: new Map() };
  #tables: TrafficTables | undefined;
  #revision = 0;
  readonly #affinity = new AffinityTable();
  readonly #counters = new Map<string, Counter>();
  readonly #routed: RoutedConnection[] = [];
  readonly #hooks = new Map<string, NextHopHook>();
  #outsideNames: ((host: string) => string | undefined) | undefined;
  readonly #flowSpecs = new Map<string, readonly LoadFlowSpec[]>();
  #flows: readonly LoadFlow[] = [];
  /**
   * The flows of each running pod that has some, by the pod's key, kept as pods are observed:
   * a refresh walks the pods that send requests, not every pod of the cluster.
   */
  readonly #sourceFlows = new Map<string, readonly LoadFlow[]>();
  readonly #loads = new Map<string, { pod: Pod; container: string; cpu: number }>();

  /** A model with nothing in it. */
  constructor(options: TrafficModelOptions) {
    this.#o = options;
  }

  /**
   * Applies one watch event of a Service, EndpointSlice, Node or Pod. Returns whether it changed
   * what routing, DNS or the flows depend on (a Node's heartbeat or a pod's condition timestamps
   * do not): only then are the tables rebuilt and the flows worth recomputing.
   */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): boolean {
    const kind = object.kind as Kind;
    const map = this.#objects[kind];
    if (map === undefined) return false;
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    const previous = map.get(key);
    if (type === 'DELETED') map.delete(key);
    else map.set(key, object);
    if (kind === 'Pod') this.#observeSource(key, type === 'DELETED' ? undefined : (object as Pod));
    const rv = Number(object.metadata.resourceVersion ?? '0');
    if (rv > this.#revision) this.#revision = rv;
    if (type === 'MODIFIED' && previous !== undefined && sameForTraffic(previous, object)) return false;
    this.#tables = undefined;
    return true;
  }

  /** Forgets every object of `kind` (before a relist replays them). */
  forget(kind: string): void {
    const map = this.#objects[kind as Kind];
    if (map === undefined || map.size === 0) return;
    map.clear();
    if (kind === 'Pod') this.#sourceFlows.clear();
    this.#tables = undefined;
  }

  /** Keeps {@link TrafficModel.#sourceFlows} for one pod: its flows while it runs, none otherwise. */
  #observeSource(key: string, pod: Pod | undefined): void {
    // Every pod event passes here: most pods are not running yet, or send nothing.
    if (pod === undefined || pod.status?.phase !== 'Running') {
      this.#sourceFlows.delete(key);
      return;
    }
    let flows: LoadFlow[] | undefined;
    if (pod.metadata.deletionTimestamp === undefined) {
      for (const c of pod.spec.containers) {
        const running = pod.status.containerStatuses?.find((s) => s.name === c.name)?.state?.running !== undefined;
        if (!running) continue;
        for (const spec of this.#flowSpecsOf(pod, c)) (flows ??= []).push({ ...spec, source: { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' }, container: c.name });
      }
    }
    if (flows !== undefined) this.#sourceFlows.set(key, flows);
    else this.#sourceFlows.delete(key);
  }

  /** The highest resourceVersion observed (the state the tables reflect). */
  get revision(): number {
    return this.#revision;
  }

  /** kube-proxy's tables for the objects observed so far (rebuilt after a change, on demand). */
  tables(): TrafficTables {
    this.#tables ??= buildTables({
      services: [...this.#objects.Service.values()] as Service[],
      endpointSlices: [...this.#objects.EndpointSlice.values()] as EndpointSlice[],
      nodes: [...this.#objects.Node.values()] as Node[],
      pods: [...this.#objects.Pod.values()] as Pod[],
    });
    return this.#tables;
  }

  /** A pod observed, by namespace and name. */
  pod(ref: NamespacedName): Pod | undefined {
    return this.#objects.Pod.get(keyOf(ref)) as Pod | undefined;
  }

  /**
   * Registers the L7 hook of an image (by repository as written in pods, e.g.
   * `registry.k8s.io/ingress-nginx/controller`, matched without tag or digest): requests that
   * reach a pod running it are decided by `hook` first.
   */
  setNextHopHook(imageRepository: string, hook: NextHopHook | undefined): void {
    if (hook === undefined) this.#hooks.delete(imageRepository);
    else this.#hooks.set(imageRepository, hook);
  }

  /**
   * Registers how outside clients resolve names the cluster's DNS does not serve (public DNS:
   * an Ingress host → the address its controller publishes); asked after node names and
   * before cluster names, from outside only. `undefined` removes it.
   */
  setOutsideResolver(resolver: ((host: string) => string | undefined) | undefined): void {
    this.#outsideNames = resolver;
  }

  #hookOf(pod: Pod): NextHopHook | undefined {
    if (this.#hooks.size === 0) return undefined;
    for (const c of pod.spec.containers) {
      const repo = (c.image ?? '').split('@')[0]!.replace(/:[^/:]*$/, '');
      const hook = this.#hooks.get(repo);
      if (hook !== undefined) return hook;
    }
    return undefined;
  }

  // ------------------------------------------------------------------------ discrete requests

  #source(from: TrafficRequest['from']): { source: TrafficSource; namespace: string | undefined; pod?: Pod } | string {
    if (from === undefined || from.kind === 'outside') return { source: { kind: 'outside', clientIP: from?.clientIP ?? DEFAULT_OUTSIDE_CLIENT_IP }, namespace: undefined };
    const pod = this.pod(from.pod);
    if (pod === undefined) return `pod ${keyOf(from.pod)} not found`;
    const ip = pod.status?.podIP;
    if (ip === undefined || pod.status?.phase !== 'Running') return `pod ${keyOf(from.pod)} is not running`;
    return { source: { kind: 'pod', ip, nodeName: pod.spec.nodeName }, namespace: from.pod.namespace, pod };
  }

  /**
   * Resolves a host as `namespace`'s pods do (undefined: from outside: literal IPs, node names,
   * public names, cluster FQDNs). With `client` (the source of a client's own lookup, not a
   * proxy's), a cluster name resolves only while the cluster DNS server is reachable from it.
   */
  #resolveHost(host: string, namespace: string | undefined, client: TrafficSource | undefined): string | undefined {
    const tables = this.tables();
    if (IPV4.test(host)) return host;
    if (namespace === undefined) {
      const nodeIP = tables.nodeIPs.get(host) ?? this.#outsideNames?.(host);
      if (nodeIP !== undefined) return nodeIP;
    }
    if (client !== undefined && !this.#dnsReachable(client)) return undefined;
    const r = resolveName(tables, host, namespace);
    return r.answer.kind === 'A' ? r.answer.addresses[0] : undefined;
  }

  /**
   * Whether a query from `client` reaches a DNS server: always without
   * {@link TrafficModelOptions.clusterDnsServer}; else when kube-proxy has an endpoint to send
   * `<server>:53` to (the `kube-dns` Service's ready endpoints, or its serving terminating ones
   * when none is ready), as it routes any connection to a ClusterIP.
   */
  #dnsReachable(client: TrafficSource): boolean {
    const server = this.#o.clusterDnsServer;
    if (server === undefined) return true;
    const found = serviceFor(this.tables(), server, 53);
    if (found === undefined) return false;
    return candidates(found.entry, found.via, client, client.kind === 'pod' ? client.nodeName : undefined).kind === 'endpoints';
  }

  /**
   * Sends one request and returns what became of it; counts it on the pod that answered and
   * records the routed connection(s). At most 5 L7 hops.
   *
   * Errors: none thrown; a source pod that does not exist or does not run is a `refused` outcome.
   */
  send(request: TrafficRequest): RequestOutcome {
    const from = this.#source(request.from);
    if (typeof from === 'string') return { kind: 'refused', reason: from };
    return this.#send(from.source, from.namespace, request.url, request.headers ?? {}, 0, (n) => this.#o.rng.int(n), true, request.insecure ?? false);
  }

  #send(source: TrafficSource, namespace: string | undefined, url: string, headers: Readonly<Record<string, string>>, hops: number, pick: (n: number) => number, count: boolean, insecure: boolean): RequestOutcome {
    const parsed = parseUrl(url);
    if (parsed === undefined) return { kind: 'unresolved', host: url };
    const ip = this.#resolveHost(parsed.host, namespace, hops === 0 ? source : undefined);
    if (ip === undefined) return { kind: 'unresolved', host: parsed.host };
    const api = this.#o.apiServer;
    // straight to the API server's address (not a node's, not a Service's)
    if (api !== undefined && ip === api.address && parsed.port === (api.port ?? API_SERVER_SECURE_PORT)) return this.#apiServerAnswer(api, parsed, undefined, hops, insecure);
    const tables = this.tables();
    const now = this.#o.now();
    const decision = routeConnection(tables, { source, ip, port: parsed.port }, pick, count ? this.#affinity : undefined, now);
    const service = decision.kind !== 'unreachable' ? decision.entry?.service : undefined;
    if (decision.kind === 'refused') return { kind: 'refused', reason: decision.reason, service };
    if (decision.kind === 'dropped' || decision.kind === 'unreachable') return { kind: 'timeout', reason: decision.reason, service };
    if (count) this.#record(decision, source, now);
    const ref = decision.endpoint.pod;
    // the `kubernetes` Service's endpoint: no pod, the API server
    if (api !== undefined && ref === undefined && decision.endpoint.ip === api.address && decision.endpoint.port === (api.port ?? API_SERVER_SECURE_PORT)) return this.#apiServerAnswer(api, parsed, service, hops, insecure);
    const pod = ref === undefined ? undefined : this.pod(ref);
    if (pod === undefined) return { kind: 'refused', reason: `nothing listens on ${decision.endpoint.ip}:${decision.endpoint.port}`, service };
    const httpRequest: HttpRequest = { method: 'GET', host: parsed.port === 80 ? parsed.host : `${parsed.host}:${parsed.port}`, path: parsed.path, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
    const hook = this.#hookOf(pod);
    const next = hook?.({ pod, request: httpRequest, port: decision.endpoint.port, tables });
    if (next !== undefined) {
      // the client checks the certificate before it sends anything
      if (next.untrustedCertificate !== undefined && !insecure) return { kind: 'tls', reason: next.untrustedCertificate, backend: ref!, service };
      if (count) this.#count(pod);
      if (next.kind === 'respond') return { kind: 'response', status: next.status, body: next.body, backend: ref!, service, hops };
      if (hops >= 5 || next.hops.length === 0) return { kind: 'response', status: 502, body: 'Bad Gateway', backend: ref!, service, hops };
      const hop = weighted(next.hops, pick);
      const podIP = pod.status?.podIP ?? decision.endpoint.ip;
      return this.#send({ kind: 'pod', ip: podIP, nodeName: pod.spec.nodeName }, pod.metadata.namespace ?? 'default', hop.url, hop.headers ?? headers, hops + 1, pick, count, insecure);
    }
    const answer = serve(pod, decision.endpoint.ip, decision.endpoint.port, httpRequest);
    if (answer.kind === 'refused') return { kind: 'refused', reason: `nothing listens on ${decision.endpoint.ip}:${decision.endpoint.port}`, service };
    if (count) this.#count(pod);
    return { kind: 'response', status: answer.status, body: answer.body, backend: ref!, service, hops };
  }

  /**
   * The API server's answer (nothing counted: it is no pod). Over TLS, a client that verifies
   * certificates refuses its certificate before sending anything.
   */
  #apiServerAnswer(api: ApiServerEndpoint, parsed: { scheme: string; path: string }, service: NamespacedName | undefined, hops: number, insecure: boolean): RequestOutcome {
    if (parsed.scheme === 'https' && !insecure) return { kind: 'tls', reason: API_SERVER_UNTRUSTED_CERTIFICATE, backend: API_SERVER_BACKEND, service };
    const { status, body } = answerAsApiServer(parsed.scheme, parsed.path, api.version);
    return { kind: 'response', status, body, backend: API_SERVER_BACKEND, service, hops };
  }

  #record(decision: Extract<RouteDecision, { kind: 'endpoint' }>, source: TrafficSource, now: number): void {
    if (decision.entry === undefined || decision.via === 'podIP') return;
    const e = decision.entry;
    this.#routed.push({
      at: now,
      via: decision.via,
      service: e.service,
      portName: e.portName,
      endpointIP: decision.endpoint.ip,
      pod: decision.endpoint.pod,
      endpointNode: decision.endpoint.nodeName,
      node: decision.receivingNode,
      fromOutside: source.kind === 'outside',
      revision: this.#revision,
      slices: (this.tables().slices.get(keyOf(e.service)) ?? []).map((s) => s.metadata.name ?? ''),
    });
    // trimmed in batches: dropping one at a time would cost a shift of the whole log per request
    const keep = this.#o.keepRouted ?? 10_000;
    if (this.#routed.length > 2 * keep) this.#routed.splice(0, this.#routed.length - keep);
  }

  #count(pod: Pod): void {
    const c = this.#counter(podKey(pod));
    c.discrete++;
  }

  #counter(key: string): Counter {
    let c = this.#counters.get(key);
    if (c === undefined) this.#counters.set(key, (c = { discrete: 0, flowed: 0, rate: 0, since: this.#o.now() }));
    return c;
  }

  /** The connections routed so far (at least the last `keepRouted`), oldest first. */
  routed(): readonly RoutedConnection[] {
    return this.#routed;
  }

  /** Forgets the routed connections (a checker calls it once it judged them). */
  clearRouted(): void {
    this.#routed.length = 0;
  }

  /**
   * The requests `pod` has answered: discrete ones plus those of the flows, integrated over
   * virtual time up to now (fractional: a flow of 1.5 req/s for 1 s is 1.5 requests).
   */
  requestCount(pod: NamespacedName): number {
    const c = this.#counters.get(keyOf(pod));
    if (c === undefined) return 0;
    return c.discrete + c.flowed + (c.rate * (this.#o.now() - c.since)) / 1000;
  }

  /** The rate (requests/s) of the flows reaching `pod` now. */
  flowRate(pod: NamespacedName): number {
    return this.#counters.get(keyOf(pod))?.rate ?? 0;
  }

  // ---------------------------------------------------------------------------- shell network

  /**
   * The network a container of `pod` sees (`wget`, `curl`, `nslookup`): names resolve through
   * the pod's search path; an endpoint is picked by a hash of (pod, url, time), so answers are
   * pure and the RNG untouched; nothing is counted (flows count loops' requests).
   *
   * Caveat: it says `timeInvariant`, so that a `wget` loop is recognized as running forever
   * after two iterations instead of being followed 20,000 times when its container starts. The
   * interpreter plans a script when its container starts, against the cluster as it is then (it
   * cannot see the future either way): a loop waiting for a Service that comes up later
   * (`until wget -q http://db; do sleep 2; done`) is planned as waiting forever.
   */
  shellNetwork(pod: Pod): ShellNetwork {
    const namespace = pod.metadata.namespace ?? 'default';
    const client = (): TrafficSource => {
      const current = this.pod({ namespace, name: pod.metadata.name ?? '' }) ?? pod;
      return { kind: 'pod', ip: current.status?.podIP ?? '', nodeName: current.spec.nodeName };
    };
    return {
      timeInvariant: true,
      // dnsPolicy ClusterFirst (the default; ClusterFirstWithHostNet on the host network), without dnsConfig additions.
      resolvConf: (): string | undefined =>
        pod.spec.dnsConfig === undefined && (pod.spec.hostNetwork === true ? pod.spec.dnsPolicy === 'ClusterFirstWithHostNet' : (pod.spec.dnsPolicy ?? 'ClusterFirst') === 'ClusterFirst')
          ? `search ${searchPath(namespace).join(' ')}\nnameserver ${this.#o.clusterDnsServer ?? CLUSTER_DNS_IP}\noptions ndots:${NDOTS}\n`
          : undefined,
      http: (address: string, at: number): HttpOutcome => {
        const source = client();
        // The pod's own network namespace: localhost reaches its own containers (as its IP does).
        const own = source.kind === 'pod' ? source.ip : '';
        const url = own === '' ? address : address.replace(LOOPBACK, `$1${own}`);
        let seed = hash(`${podKey(pod)}|${url}|${at}`);
        const pick = (n: number): number => {
          seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) >>> 0;
          return seed % n;
        };
        // the shell's wget (busybox's verifies nothing) and curl accept any certificate: a real
        // curl refuses the API server's unless given the pod's CA (`--cacert
        // /var/run/secrets/kubernetes.io/serviceaccount/ca.crt`) or -k, which the interpreter
        // does not tell apart; in-cluster clients are assumed to trust the cluster CA
        const out = this.#send(source, namespace, url, {}, 0, pick, false, true);
        switch (out.kind) {
          case 'response':
            return { kind: 'response', status: out.status, body: out.body };
          case 'unresolved':
            return IPV4.test(hostOf(url)) || this.#dnsReachable(source) ? { kind: 'unresolved' } : { kind: 'unresolved', ms: DNS_TIMEOUT_MS };
          case 'refused':
          case 'tls':
            return { kind: 'refused' };
          case 'timeout':
            return { kind: 'timeout', ms: 130_000 };
        }
      },
      resolve: (name: string): readonly string[] => {
        if (!this.#dnsReachable(client())) return [];
        const r = resolveName(this.tables(), name, namespace);
        return r.answer.kind === 'A' ? r.answer.addresses : [];
      },
      canonicalName: (name: string): string | undefined => {
        if (!this.#dnsReachable(client())) return undefined;
        const r = resolveName(this.tables(), name, namespace);
        return r.answer.kind === 'A' ? r.fqdn : undefined;
      },
      dnsTimeoutMs: (): number | undefined => (this.#dnsReachable(client()) ? undefined : DNS_TIMEOUT_MS),
    };
  }

  /** The cluster DNS server's address when lookups depend on reaching it (the `clusterDnsServer` option). */
  get clusterDnsServer(): string | undefined {
    return this.#o.clusterDnsServer;
  }

  /**
   * The addresses a lookup of `name` from `pod` gets, as its containers' `nslookup` sees them
   * (search path, cluster DNS reachable from the pod); empty when nothing answers.
   */
  lookup(pod: Pod, name: string): readonly string[] {
    return this.shellNetwork(pod).resolve(name, this.#o.now());
  }

  /** A DNS query as CoreDNS answers it (fully qualified name; A or SRV). */
  query(fqdn: string, type: 'A' | 'SRV' = 'A'): DnsAnswer {
    return answerQuery(this.tables(), fqdn.replace(/\.$/, ''), type);
  }

  /**
   * Runs a command in `pod` (as `kubectl exec`) through the shell interpreter, with the
   * container's environment, host name and network (the first container's unless
   * `containerName` names another), from virtual time now: a string runs as `sh -c '<line>'`, an
   * argument list as given. Stops at the command's end, or after 100 loop iterations / 60 virtual
   * seconds. Returns what it printed (stdout and stderr interleaved) and its exit code (-1 if
   * stopped); `notFound` (and no run) when the argument list names no command the container has.
   * With `data` (the ConfigMaps and Secrets the kubelet read for the pod), the command sees the
   * environment and the mounted files they give the container.
   */
  exec(pod: Pod, command: string | readonly string[], containerName?: string, data?: PodData): { readonly output: string; readonly exitCode: number; readonly notFound?: boolean } {
    const container: Container = pod.spec.containers.find((c) => c.name === containerName) ?? pod.spec.containers[0]!;
    const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
    if (!knowsCommand(argv)) return { output: '', exitCode: 127, notFound: true };
    const env = containerEnvironment(pod, container, data, pod.status?.podIP);
    const network = this.shellNetwork(pod);
    const files = withResolvConf(containerFiles(pod, container, data, pod.status?.podIP), network);
    const start = this.#o.now();
    const run = runShell({ argv, environment: { env, files, hostname: podHostname(pod), network }, start });
    let output = '';
    let ticks = 0;
    for (;;) {
      const r = run.next();
      if (r.done === true) return { output, exitCode: r.value.kind === 'exit' ? r.value.code : -1 };
      const e = r.value;
      if (e.kind === 'output') output += e.text;
      if ((e.kind === 'tick' && ++ticks > 100) || e.at - start > 60_000) return { output, exitCode: -1 };
    }
  }

  // ----------------------------------------------------------------------------------- flows

  /**
   * Recomputes the flows and the load they put on pods, from the pods observed: every running
   * container of a running pod whose command line is a load loop ({@link loadFlows}) is a flow;
   * each is routed from its pod and split over the usable endpoints with equal weights (one
   * endpoint under ClientIP affinity; L7 hooks split by their weights); each backend container's
   * CPU is Σ rate × CPU per request, told to `onLoad` when it changed. Call it after changes.
   */
  refreshFlows(): void {
    const now = this.#o.now();
    const flows: LoadFlow[] = [];
    for (const sourceFlows of this.#sourceFlows.values()) flows.push(...sourceFlows);
    this.#flows = flows;
    // Nothing sends requests and nothing carried any: nothing to recompute.
    if (flows.length === 0 && this.#loads.size === 0 && !this.#anyFlowRate()) return;
    const rates = new Map<string, number>();
    const loads = new Map<string, { pod: Pod; container: string; cpu: number }>();
    for (const flow of flows) {
      const pod = this.pod(flow.source)!;
      const ip = pod.status?.podIP ?? '';
      for (const share of this.#shares({ kind: 'pod', ip, nodeName: pod.spec.nodeName }, flow.source.namespace, flow.url, 1, 0)) {
        const key = podKey(share.pod);
        rates.set(key, (rates.get(key) ?? 0) + flow.ratePerSecond * share.weight);
        const lk = `${share.pod.metadata.uid ?? key}/${share.container.name}`;
        const l = loads.get(lk) ?? { pod: share.pod, container: share.container.name, cpu: 0 };
        l.cpu += flow.ratePerSecond * share.weight * cpuMsPerRequest(share.pod, share.container);
        loads.set(lk, l);
      }
    }
    for (const [key, c] of this.#counters) {
      const rate = rates.get(key) ?? 0;
      if (rate === c.rate) continue;
      c.flowed += (c.rate * (now - c.since)) / 1000;
      c.rate = rate;
      c.since = now;
    }
    for (const [key, rate] of rates) if (!this.#counters.has(key)) this.#counters.set(key, { discrete: 0, flowed: 0, rate, since: now });
    for (const [k, l] of loads) {
      const before = this.#loads.get(k);
      if (before === undefined || Math.abs(before.cpu - l.cpu) > 1e-9) this.#o.onLoad?.(l.pod, l.container, l.cpu);
    }
    for (const [k, l] of this.#loads) if (!loads.has(k)) this.#o.onLoad?.(l.pod, l.container, 0);
    this.#loads.clear();
    for (const [k, l] of loads) this.#loads.set(k, l);
  }

  /** Whether some pod's counter still counts a flow rate. */
  #anyFlowRate(): boolean {
    for (const c of this.#counters.values()) if (c.rate !== 0) return true;
    return false;
  }

  /** The flows found at the last {@link TrafficModel.refreshFlows}. */
  flows(): readonly LoadFlow[] {
    return this.#flows;
  }

  #flowSpecsOf(pod: Pod, container: Container): readonly LoadFlowSpec[] {
    const key = `${pod.metadata.uid ?? podKey(pod)}/${container.name}`;
    let specs = this.#flowSpecs.get(key);
    if (specs === undefined) {
      const env = containerEnvironment(pod, container, undefined, pod.status?.podIP);
      const argv = containerArgv(container, env);
      specs = argv.length === 0 ? [] : loadFlows(argv, env, podHostname(pod));
      this.#flowSpecs.set(key, specs);
    }
    return specs;
  }

  /** How a flow from `source` to `url` splits over backend containers (weights sum to at most `weight`). */
  #shares(source: TrafficSource, namespace: string, url: string, weight: number, hops: number): { pod: Pod; container: Container; weight: number }[] {
    const parsed = parseUrl(url);
    if (parsed === undefined) return [];
    const ip = this.#resolveHost(parsed.host, namespace, hops === 0 ? source : undefined);
    if (ip === undefined) return [];
    const tables = this.tables();
    const found = serviceFor(tables, ip, parsed.port);
    let endpoints: readonly BackendEndpoint[];
    if (found !== undefined) {
      const c = candidates(found.entry, found.via, source, found.via === 'clusterIP' ? (source.kind === 'pod' ? source.nodeName : undefined) : found.receivingNode);
      if (c.kind !== 'endpoints') return [];
      endpoints = found.entry.affinityTimeoutMs !== undefined ? [c.endpoints[hash(`${source.kind === 'pod' ? source.ip : source.clientIP}|${keyOf(found.entry.service)}`) % c.endpoints.length]!] : c.endpoints;
    } else {
      const d = routeConnection(tables, { source, ip, port: parsed.port }, () => 0);
      if (d.kind !== 'endpoint') return [];
      endpoints = [d.endpoint];
    }
    const out: { pod: Pod; container: Container; weight: number }[] = [];
    const each = weight / endpoints.length;
    for (const e of endpoints) {
      const pod = e.pod === undefined ? undefined : this.pod(e.pod);
      if (pod === undefined) continue;
      const hook = this.#hookOf(pod);
      const request: HttpRequest = { method: 'GET', host: parsed.port === 80 ? parsed.host : `${parsed.host}:${parsed.port}`, path: parsed.path, headers: {} };
      const next = hook?.({ pod, request, port: e.port, tables });
      const container = servingContainer(pod, e.port) ?? pod.spec.containers[0]!;
      if (next !== undefined) {
        out.push({ pod, container, weight: each });
        if (next.kind === 'forward' && hops < 5) {
          const total = next.hops.reduce((s, h) => s + h.weight, 0);
          for (const h of next.hops) if (total > 0) out.push(...this.#shares({ kind: 'pod', ip: pod.status?.podIP ?? e.ip, nodeName: pod.spec.nodeName }, pod.metadata.namespace ?? 'default', h.url, (each * h.weight) / total, hops + 1));
        }
        continue;
      }
      if (servingContainer(pod, e.port) === undefined) continue;
      out.push({ pod, container, weight: each });
    }
    return out;
  }
}

function weighted<T extends { readonly weight: number }>(items: readonly T[], pick: (n: number) => number): T {
  const total = items.reduce((s, i) => s + Math.max(0, i.weight), 0);
  if (items.length === 1 || total <= 0) return items[0]!;
  const scale = 1_000_000;
  let r = (pick(scale) / scale) * total;
  for (const i of items) {
    r -= Math.max(0, i.weight);
    if (r < 0) return i;
  }
  return items[items.length - 1]!;
}


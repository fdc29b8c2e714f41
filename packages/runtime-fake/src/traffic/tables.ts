/**
 * The tables kube-proxy programs, built from what it watches: Services, EndpointSlices and
 * Nodes (plus the Pods, which the traffic model needs to answer as their images do). Pure: the
 * same objects give the same tables.
 *
 * @module
 */
import { SERVICE_NAME_LABEL } from '@kubeloop/core';
import type { EndpointSlice, Node, Pod, Service } from '@kubeloop/core';

/** A namespaced name. */
export interface NamespacedName {
  /** The namespace. */
  readonly namespace: string;
  /** The name. */
  readonly name: string;
}

/** One endpoint of one Service port, as an EndpointSlice lists it (deduplicated by address). */
export interface BackendEndpoint {
  /** The endpoint's address (a pod IP). */
  readonly ip: string;
  /** The port on that address (the slice's port of the same name as the Service port). */
  readonly port: number;
  /** The node the endpoint runs on (`nodeName`), if the slice says. */
  readonly nodeName?: string | undefined;
  /** The pod behind it (`targetRef`), if the slice says. */
  readonly pod?: NamespacedName | undefined;
  /** `conditions.ready` (unset counts as ready, as upstream). */
  readonly ready: boolean;
  /** `conditions.serving` (unset: as `ready`). */
  readonly serving: boolean;
  /** `conditions.terminating` (unset: false). */
  readonly terminating: boolean;
  /** `hostname` (set for pods with `spec.hostname` and a matching `spec.subdomain`). */
  readonly hostname?: string | undefined;
}

/** One port of one Service, with everything kube-proxy needs to route to it. */
export interface ServicePortEntry {
  /** The Service. */
  readonly service: NamespacedName;
  /** The port's name (`""` when unnamed). */
  readonly portName: string;
  /** `port`. */
  readonly port: number;
  /** `nodePort`, for NodePort and LoadBalancer Services that have one. */
  readonly nodePort?: number | undefined;
  /** Its endpoints, in the slices' order. */
  readonly endpoints: readonly BackendEndpoint[];
  /** `sessionAffinity: ClientIP`: its timeout in ms; undefined for no affinity. */
  readonly affinityTimeoutMs?: number | undefined;
  /** `externalTrafficPolicy: Local`. */
  readonly externalLocal: boolean;
  /** `internalTrafficPolicy: Local`. */
  readonly internalLocal: boolean;
}

/** What the traffic model knows of a pod. */
export interface PodEntry {
  /** The pod. */
  readonly pod: Pod;
  /** Its node (`spec.nodeName`). */
  readonly nodeName?: string | undefined;
}

/**
 * kube-proxy's view, indexed for routing.
 *
 * Invariants: every entry of `clusterIPs`, `nodePorts` and `loadBalancers` is an entry of
 * `ports`; keys of `clusterIPs` and `loadBalancers` are `ip:port`.
 */
export interface TrafficTables {
  /** Every Service port, by `namespace/name/portName`. */
  readonly ports: ReadonlyMap<string, ServicePortEntry>;
  /** Service ports by `clusterIP:port` (headless and ExternalName Services have none). */
  readonly clusterIPs: ReadonlyMap<string, ServicePortEntry>;
  /** Service ports by node port (open on every node). */
  readonly nodePorts: ReadonlyMap<number, ServicePortEntry>;
  /** Service ports by `status.loadBalancer.ingress[].ip:port`. */
  readonly loadBalancers: ReadonlyMap<string, ServicePortEntry>;
  /** Node names by address (every `status.addresses` entry of type InternalIP or ExternalIP). */
  readonly nodesByIP: ReadonlyMap<string, string>;
  /** Each node's InternalIP, by node name. */
  readonly nodeIPs: ReadonlyMap<string, string>;
  /** Pods with an IP, by IP (a running pod's; the latest wins if two claim one). */
  readonly podsByIP: ReadonlyMap<string, PodEntry>;
  /** Services by `namespace/name`. */
  readonly services: ReadonlyMap<string, Service>;
  /** Each Service's EndpointSlices, by `namespace/name` of the Service. */
  readonly slices: ReadonlyMap<string, readonly EndpointSlice[]>;
}

/** What {@link buildTables} reads. */
export interface TrafficObjects {
  /** Every Service. */
  readonly services: readonly Service[];
  /** Every EndpointSlice. */
  readonly endpointSlices: readonly EndpointSlice[];
  /** Every Node. */
  readonly nodes: readonly Node[];
  /** Every Pod. */
  readonly pods: readonly Pod[];
}

/** `namespace/name`. */
export function keyOf(ref: NamespacedName): string {
  return `${ref.namespace}/${ref.name}`;
}

/**
 * The endpoints of Service port `portName` in `slices`, as kube-proxy merges them: the slice
 * port of the same name gives the port (slices without it are skipped), addresses are
 * deduplicated (the first slice listing one wins), FQDN slices are ignored.
 */
export function sliceEndpoints(slices: readonly EndpointSlice[], portName: string): BackendEndpoint[] {
  const out: BackendEndpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const port = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const e of slice.endpoints ?? []) {
      const ip = e.addresses[0];
      if (ip === undefined || seen.has(ip)) continue;
      seen.add(ip);
      const ready = e.conditions?.ready !== false;
      const ref = e.targetRef?.kind === 'Pod' && e.targetRef.name !== undefined ? { namespace: e.targetRef.namespace ?? slice.metadata.namespace ?? 'default', name: e.targetRef.name } : undefined;
      out.push({ ip, port, nodeName: e.nodeName, pod: ref, ready, serving: e.conditions?.serving ?? ready, terminating: e.conditions?.terminating ?? false, hostname: e.hostname });
    }
  }
  return out;
}

/** Builds kube-proxy's tables (and the pod index) from the objects it watches. */
export function buildTables(objects: TrafficObjects): TrafficTables {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of objects.endpointSlices) {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc === undefined) continue;
    const key = `${slice.metadata.namespace ?? 'default'}/${svc}`;
    let list = slicesByService.get(key);
    if (list === undefined) slicesByService.set(key, (list = []));
    list.push(slice);
  }
  for (const list of slicesByService.values()) list.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const ports = new Map<string, ServicePortEntry>();
  const clusterIPs = new Map<string, ServicePortEntry>();
  const nodePorts = new Map<number, ServicePortEntry>();
  const loadBalancers = new Map<string, ServicePortEntry>();
  const services = new Map<string, Service>();
  for (const svc of objects.services) {
    const ref = { namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name ?? '' };
    const key = keyOf(ref);
    services.set(key, svc);
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') continue;
    const slices = slicesByService.get(key) ?? [];
    const timeoutS = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800;
    for (const p of spec.ports ?? []) {
      const portName = p.name ?? '';
      const entry: ServicePortEntry = {
        service: ref,
        portName,
        port: p.port,
        nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? p.nodePort : undefined,
        endpoints: sliceEndpoints(slices, portName),
        affinityTimeoutMs: spec.sessionAffinity === 'ClientIP' ? timeoutS * 1000 : undefined,
        externalLocal: spec.externalTrafficPolicy === 'Local',
        internalLocal: spec.internalTrafficPolicy === 'Local',
      };
      ports.set(`${key}/${portName}`, entry);
      for (const ip of spec.clusterIPs ?? (spec.clusterIP === undefined ? [] : [spec.clusterIP])) if (ip !== 'None' && ip !== '') clusterIPs.set(`${ip}:${p.port}`, entry);
      if (entry.nodePort !== undefined) nodePorts.set(entry.nodePort, entry);
      if (spec.type === 'LoadBalancer') for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip !== undefined) loadBalancers.set(`${ing.ip}:${p.port}`, entry);
    }
  }
  const nodesByIP = new Map<string, string>();
  const nodeIPs = new Map<string, string>();
  for (const node of objects.nodes) {
    const name = node.metadata.name ?? '';
    for (const a of node.status?.addresses ?? []) {
      if (a.type === 'InternalIP' || a.type === 'ExternalIP') nodesByIP.set(a.address, name);
      if (a.type === 'InternalIP' && !nodeIPs.has(name)) nodeIPs.set(name, a.address);
    }
  }
  const podsByIP = new Map<string, PodEntry>();
  for (const pod of objects.pods) {
    const ip = pod.status?.podIP;
    if (ip === undefined || ip === '' || pod.spec.hostNetwork === true) continue;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    podsByIP.set(ip, { pod, nodeName: pod.spec.nodeName });
  }
  return { ports, clusterIPs, nodePorts, loadBalancers, nodesByIP, nodeIPs, podsByIP, services, slices: slicesByService };
}

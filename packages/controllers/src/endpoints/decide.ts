/**
 * The endpoints controller's decisions (upstream `pkg/controller/endpoint` and
 * `pkg/api/v1/endpoints`): which pods of a Service are endpoints, on which ports, whether they
 * are ready, and how the subsets of an Endpoints object are packed. Pure functions of objects.
 *
 * @module
 */
import { deepEqual, formatTime } from '@kubeloop/core';
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from '@kubeloop/core';
import { isPodReady } from '../shared/index.js';

/**
 * The annotation carrying when the change that led to this Endpoints (or EndpointSlice) write
 * happened (upstream `v1.EndpointsLastChangeTriggerTime`), RFC 3339.
 */
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** The label upstream puts on the Endpoints and EndpointSlices of headless Services (`clusterIP: None`). */
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';

/**
 * Whether a pod has a place among a Service's endpoints at all (upstream
 * `endpointsliceutil.ShouldPodBeInEndpoints`): it has an IP; it is not being deleted unless
 * `includeTerminating`; and it has not finished for good — a `restartPolicy: Never` pod that
 * `Succeeded` or `Failed`, or an `OnFailure` pod that `Succeeded`, will never serve again.
 *
 * The Endpoints controller passes `publishNotReadyAddresses` as `includeTerminating`; the
 * EndpointSlice controller always passes true (terminating endpoints are published with
 * `conditions.terminating`).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (podIPv4(pod) === undefined) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp !== undefined) return false;
  const phase = pod.status?.phase;
  if (pod.spec.restartPolicy === 'Never') return phase !== 'Failed' && phase !== 'Succeeded';
  if (pod.spec.restartPolicy === 'OnFailure') return phase !== 'Succeeded';
  return true;
}

/**
 * The pod's IPv4 address (the address family of every Service here), from `status.podIPs`
 * or else `status.podIP`; undefined when it has none yet (upstream
 * `podToEndpointAddressForService` fails then, and the pod is skipped).
 */
export function podIPv4(pod: Pod): string | undefined {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => ip !== '' && !ip.includes(':'));
}

/**
 * The container port a Service port reaches on a pod (upstream `podutil.FindPort`): a numeric
 * `targetPort` as is; a named one looked up among the pod's containers (then its sidecars,
 * init containers with `restartPolicy: Always`) by name and protocol. Undefined when a named
 * port is not found: the pod is left out of that port's endpoints.
 *
 * @example
 * ```ts
 * // targetPort 'http' on a pod with containerPort 80 named http → 80; targetPort 8080 → 8080
 * ```
 */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const protocol = servicePort.protocol ?? 'TCP';
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/**
 * Whether an endpoint of `pod` carries its `spec.hostname` (upstream `ShouldSetHostname`): the
 * pod has a hostname and its `subdomain` names the Service, in the Service's namespace.
 */
export function shouldSetHostname(pod: Pod, service: Service): boolean {
  return (
    (pod.spec.hostname ?? '') !== '' &&
    pod.spec.subdomain === service.metadata.name &&
    (pod.metadata.namespace ?? '') === (service.metadata.namespace ?? '')
  );
}

/** The reference to a pod an endpoint carries (kind, namespace, name, uid — as upstream). */
export function podReference(pod: Pod): { kind: 'Pod'; namespace: string; name: string; uid: string } {
  return { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

/** Whether the Service gets endpoints from its selector: it has a non-empty one and is not `ExternalName`. */
export function selectsPods(service: Service): boolean {
  return service.spec.type !== 'ExternalName' && Object.keys(service.spec.selector ?? {}).length > 0;
}

/** Whether a pod's labels match a Service's selector (every key equal; an empty selector selects nothing here). */
export function serviceSelectsPod(service: Service, pod: Pod): boolean {
  if (!selectsPods(service) || (service.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(service.spec.selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** What {@link endpointSubsets} found: the packed subsets and how many addresses are (not) ready. */
export interface EndpointSubsetsResult {
  /** The subsets, packed and sorted by {@link repackSubsets}. */
  readonly subsets: EndpointSubset[];
  /** Ready address-port pairs counted (before packing), as upstream's `totalReadyEps`. */
  readonly ready: number;
  /** Not-ready address-port pairs counted (before packing). */
  readonly notReady: number;
}

/**
 * The subsets of a Service's Endpoints (upstream `syncService`'s loop): for each selected pod
 * that {@link shouldPodBeInEndpoints} (terminating pods only with `publishNotReadyAddresses`),
 * its address (IP, `nodeName`, `targetRef`, hostname per {@link shouldSetHostname}) on each
 * Service port whose target port {@link findPort} resolves; ready when the pod's `Ready`
 * condition is True or the Service has `publishNotReadyAddresses`, else in
 * `notReadyAddresses`. A headless Service without ports lists its pods without ports.
 *
 * `pods` must already be the selected pods (any order: the result is sorted).
 */
export function endpointSubsets(service: Service, pods: readonly Pod[]): EndpointSubsetsResult {
  const tolerateUnready = service.spec.publishNotReadyAddresses === true;
  const raw: EndpointSubset[] = [];
  let ready = 0;
  let notReady = 0;
  const add = (pod: Pod, address: EndpointAddress, port: EndpointPort | undefined): void => {
    const ports = port === undefined ? [] : [port];
    if (tolerateUnready || isPodReady(pod)) {
      raw.push({ addresses: [address], ports });
      ready++;
    } else {
      raw.push({ notReadyAddresses: [address], ports });
      notReady++;
    }
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPv4(pod);
    // Stryker disable next-line ConditionalExpression: equivalent, shouldPodBeInEndpoints above already left out a pod without an IPv4 address (the check narrows the type)
    if (ip === undefined) continue;
    const address: EndpointAddress = { ip, nodeName: pod.spec.nodeName ?? '', targetRef: podReference(pod) };
    if (shouldSetHostname(pod, service)) address.hostname = pod.spec.hostname;
    const servicePorts = service.spec.ports ?? [];
    if (servicePorts.length === 0) {
      if (service.spec.clusterIP === 'None') add(pod, address, undefined);
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
      add(pod, address, ep);
    }
  }
  return { subsets: repackSubsets(raw), ready, notReady };
}

const addressKey = (a: EndpointAddress): string => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort): string => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const ka = portKey(a);
  const kb = portKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Packs subsets into the fewest (upstream `endpoints.RepackSubsets`): every distinct port is
 * mapped to the addresses offering it (an address both ready and not ready for a port counts
 * as ready; the same IP and pod uid is one address), then ports with the same set of
 * addresses (and readiness) share a subset. Addresses without ports keep a subset of their own.
 *
 * Sorted: addresses by IP then pod uid, ports by name, port, protocol; subsets by their first
 * address, then their first port. Upstream sorts ports and subsets by an md5 hash of their
 * printed form; the order here is as deterministic, and readable.
 *
 * @example
 * ```ts
 * // [{ a:10.0.0.1 :80 }, { a:10.0.0.1 :443 }, { a:10.0.0.2 :80 }]
 * // → [{ a:[10.0.0.1] :[443] }, { a:[10.0.0.1,10.0.0.2] :[80] }]   — 10.0.0.1 alone offers 443
 * ```
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const NO_PORT = '<none>';
  const firstAddress = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  const byPort = new Map<string, Map<string, boolean>>();
  const note = (pk: string, addresses: readonly EndpointAddress[] | undefined, ready: boolean): void => {
    let set = byPort.get(pk);
    if (set === undefined) byPort.set(pk, (set = new Map()));
    for (const a of addresses ?? []) {
      const k = addressKey(a);
      if (!firstAddress.has(k)) firstAddress.set(k, a);
      if (ready) set.set(k, true);
      else if (!set.has(k)) set.set(k, false);
    }
  };
  for (const s of subsets) {
    const list = s.ports ?? [];
    const keys = list.length === 0 ? [NO_PORT] : list.map(portKey);
    list.forEach((p, i) => ports.set(keys[i]!, p));
    if (list.length === 0) ports.set(NO_PORT, undefined);
    for (const pk of keys) {
      note(pk, s.addresses, true);
      note(pk, s.notReadyAddresses, false);
    }
  }
  // Group ports by their set of (address, ready).
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [pk, set] of byPort) {
    if (set.size === 0) continue;
    const key = [...set].map(([a, r]) => `${a}=${r ? 1 : 0}`).sort().join(',');
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { set, ports: [] }));
    const port = ports.get(pk);
    if (port !== undefined) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.set) (r ? ready : notReady).push(firstAddress.get(k)!);
    const subset: EndpointSubset = {};
    if (ready.length > 0) subset.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) subset.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length > 0) subset.ports = g.ports.sort(comparePorts);
    out.push(subset);
  }
  const first = (s: EndpointSubset): string => {
    const a = s.addresses?.[0] ?? s.notReadyAddresses?.[0];
    const p = s.ports?.[0];
    return `${a === undefined ? '' : addressKey(a)}|${p === undefined ? '' : portKey(p)}`;
  };
  return out.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0));
}

/**
 * The labels of a Service's Endpoints (upstream): the Service's labels, plus
 * `service.kubernetes.io/headless: ""` for a headless Service.
 */
export function endpointsLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  delete labels[HEADLESS_SERVICE_LABEL];
  if (service.spec.clusterIP === 'None') labels[HEADLESS_SERVICE_LABEL] = '';
  return labels;
}

/** The annotation marking an Endpoints truncated to {@link MAX_ENDPOINTS_CAPACITY} addresses (`v1.EndpointsOverCapacity`). */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** The most addresses an Endpoints object carries (upstream `maxCapacity`): 1000. */
export const MAX_ENDPOINTS_CAPACITY = 1000;

/**
 * Truncates subsets to {@link MAX_ENDPOINTS_CAPACITY} addresses (upstream `truncateEndpoints`):
 * when the ready addresses alone exceed it, every subset keeps its share of 1000 ready
 * addresses (its proportion of all ready ones, rounded up, the last subsets getting what is
 * left) and no not-ready ones; otherwise all ready addresses stay and the not-ready ones share
 * what is left the same way. Returns the subsets unchanged (and `truncated: false`) when
 * they fit.
 *
 * @example
 * ```ts
 * // ready 600 + 400 in two subsets, not ready 300 + 100 → ready kept, not ready 0 of 400 kept
 * // ready 1500 + 500 → ready ceil(1500/2000·1000) = 750 and 250, not ready dropped
 * ```
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return { subsets: [...subsets], truncated: false };
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = room;
  const out = subsets.map((s) => {
    const inSubset = (truncateReady ? s.addresses : s.notReadyAddresses)?.length ?? 0;
    const share = Math.min(Math.ceil((inSubset / total) * room), left);
    if (truncateReady) {
      const addresses = (s.addresses ?? []).slice(0, share);
      left -= addresses.length;
      return { ...s, addresses, notReadyAddresses: [] };
    }
    const notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, share);
    left -= notReadyAddresses.length;
    return { ...s, notReadyAddresses };
  });
  return { subsets: out, truncated: true };
}

/** Subsets compared for equality ignoring absent-versus-empty lists. */
function sameSubsets(a: readonly EndpointSubset[] | undefined, b: readonly EndpointSubset[]): boolean {
  const norm = (ss: readonly EndpointSubset[] | undefined): unknown =>
    (ss ?? []).map((s) => ({ addresses: s.addresses ?? [], notReadyAddresses: s.notReadyAddresses ?? [], ports: s.ports ?? [] }));
  return deepEqual(norm(a), norm(b));
}

/**
 * What the Endpoints controller writes for a Service (upstream `syncService`, after computing
 * subsets):
 * - `create`: no Endpoints exists yet — a new one named as the Service, with its labels;
 * - `update`: the subsets or labels differ — the current object with them replaced;
 * - `none`: nothing to do.
 *
 * The `endpoints.kubernetes.io/last-change-trigger-time` annotation is set to `triggerTime`
 * (ms) when there is one, and removed otherwise (e.g. a change that is only a pod deletion).
 * Over {@link MAX_ENDPOINTS_CAPACITY} addresses, the subsets are truncated
 * ({@link truncateSubsets}) and annotated `endpoints.kubernetes.io/over-capacity: truncated`
 * (the comparison is with the truncated subsets, so a truncated Endpoints is not rewritten
 * at every sync).
 */
export type EndpointsWrite = { readonly kind: 'create' | 'update'; readonly endpoints: Endpoints } | { readonly kind: 'none' };

/** Decides the {@link EndpointsWrite} for a Service given its current Endpoints and the desired subsets. */
export function endpointsWrite(service: Service, current: Endpoints | undefined, subsets: EndpointSubset[], triggerTime: number | undefined): EndpointsWrite {
  const labels = endpointsLabels(service);
  const { subsets: fitting, truncated } = truncateSubsets(subsets);
  const capacityMarked = current?.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] !== undefined;
  if (current !== undefined && sameSubsets(current.subsets, fitting) && deepEqual(current.metadata.labels ?? {}, labels) && capacityMarked === truncated) {
    return { kind: 'none' };
  }
  const base: Endpoints = current ?? {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: service.metadata.name ?? '', namespace: service.metadata.namespace ?? '' },
  };
  const annotations: Record<string, string> = { ...(base.metadata.annotations ?? {}) };
  if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTime(triggerTime);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const endpoints: Endpoints = { ...base, metadata: { ...base.metadata, labels, annotations }, subsets: fitting };
  return { kind: current === undefined ? 'create' : 'update', endpoints };
}

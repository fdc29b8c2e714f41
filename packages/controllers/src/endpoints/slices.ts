/**
 * The EndpointSlice controller's decisions (upstream `pkg/controller/endpointslice` and
 * `k8s.io/endpointslice`'s reconciler): the endpoint of each pod, the slice labels, and which
 * slices to create, update and delete so that a Service's slices list its endpoints, at most
 * `maxEndpointsPerSlice` per slice, with as few writes as upstream's algorithm makes.
 *
 * @module
 */
import { ENDPOINTSLICE_MANAGED_BY_LABEL, SERVICE_NAME_LABEL, deepEqual, formatTime } from '@kubeloop/core';
import type { Endpoint, EndpointSlice, EndpointSlicePort, Node, Pod, Service } from '@kubeloop/core';
import { isControlledBy, isPodReady, newControllerRef } from '../shared/index.js';
import { HEADLESS_SERVICE_LABEL, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, findPort, podIPv4, podReference, shouldPodBeInEndpoints, shouldSetHostname } from './decide.js';

// The managed-by value is an API name, in core (the invariants read it too).
import { ENDPOINTSLICE_CONTROLLER_MANAGED_BY } from '@kubeloop/core';
export { ENDPOINTSLICE_CONTROLLER_MANAGED_BY };

/** `--max-endpoints-per-slice` default: 100. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

/** The node label giving an endpoint's `zone`. */
export const TOPOLOGY_ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * The endpoint of a pod (upstream `podToEndpoint`): its IPv4 address; `serving` from the pod's
 * Ready condition; `terminating` when it is being deleted; `ready` = serving and not
 * terminating — or always true with `publishNotReadyAddresses`; `nodeName`, `zone` (from the
 * node's `topology.kubernetes.io/zone` label), `hostname` per {@link shouldSetHostname}, and a
 * `targetRef` to the pod.
 */
export function podToEndpoint(pod: Pod, node: Node | undefined, service: Service): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = service.spec.publishNotReadyAddresses === true || (serving && !terminating);
  const ip = podIPv4(pod);
  const endpoint: Endpoint = {
    // Stryker disable next-line ConditionalExpression: equivalent for the controller, which calls this only for pods shouldPodBeInEndpoints kept, all with an IPv4 address
    addresses: ip === undefined ? [] : [ip],
    conditions: { ready, serving, terminating },
    targetRef: podReference(pod),
  };
  const zone = node?.metadata.labels?.[TOPOLOGY_ZONE_LABEL];
  if (zone !== undefined && zone !== '') endpoint.zone = zone;
  if (pod.spec.nodeName) endpoint.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, service)) endpoint.hostname = pod.spec.hostname;
  return endpoint;
}

/**
 * The ports of a pod's endpoint (upstream `getEndpointPorts`): each Service port whose target
 * {@link findPort} resolves on the pod, named as the Service port, in the Service's order.
 */
export function endpointSlicePorts(service: Service, pod: Pod): EndpointSlicePort[] {
  const out: EndpointSlicePort[] = [];
  for (const sp of service.spec.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointSlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** A key identifying a set of ports whatever their order (upstream `NewPortMapKey`). */
export function portMapKey(ports: readonly EndpointSlicePort[] | undefined): string {
  return (ports ?? []).map((p) => `${p.name}/${p.port ?? ''}/${p.protocol}/${p.appProtocol ?? ''}`).sort().join(',');
}

/**
 * The labels of a Service's slices (upstream `setEndpointSliceLabels`): the Service's labels
 * except the reserved ones, `kubernetes.io/service-name`, `endpointslice.kubernetes.io/managed-by`,
 * and `service.kubernetes.io/headless: ""` for a headless Service.
 */
export function endpointSliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) {
    if (k === SERVICE_NAME_LABEL || k === ENDPOINTSLICE_MANAGED_BY_LABEL || k === HEADLESS_SERVICE_LABEL) continue;
    labels[k] = v;
  }
  labels[SERVICE_NAME_LABEL] = service.metadata.name ?? '';
  labels[ENDPOINTSLICE_MANAGED_BY_LABEL] = ENDPOINTSLICE_CONTROLLER_MANAGED_BY;
  if (service.spec.clusterIP === 'None') labels[HEADLESS_SERVICE_LABEL] = '';
  return labels;
}

/**
 * A new, unnamed slice of the Service (upstream `newEndpointSlice`): `generateName`
 * `<service>-`, the Service as controller owner, its labels, `addressType: IPv4`, the ports.
 */
export function newEndpointSlice(service: Service, ports: EndpointSlicePort[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${service.metadata.name ?? ''}-`,
      namespace: service.metadata.namespace ?? '',
      labels: endpointSliceLabels(service),
      ownerReferences: [newControllerRef({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata })],
    },
    addressType: 'IPv4',
    endpoints: [],
    ports,
  };
}

/** What identifies an endpoint across syncs (upstream `hashEndpoint`): its pod and addresses. */
export function endpointKey(e: Endpoint): string {
  // Stryker disable next-line StringLiteral,OptionalChaining,MethodExpression: the key is only compared with keys built the same way, and every endpoint the controller builds has a targetRef with namespace and name and one address (the unit tests of the exported helper cover the rest)
  return `${e.targetRef?.namespace ?? ''}/${e.targetRef?.name ?? ''}|${[...e.addresses].sort().join(',')}|${e.hostname ?? ''}`;
}

/** The inputs of {@link reconcileSlices}. */
export interface SliceReconcileInput {
  /** The Service (with a selector). */
  readonly service: Service;
  /** Its selected pods. */
  readonly pods: readonly Pod[];
  /** The Service's slices managed by this controller, not being deleted. */
  readonly existing: readonly EndpointSlice[];
  /** Node lookup by name (for zones; a pod on an unknown node is skipped, as upstream). */
  readonly node: (name: string) => Node | undefined;
  /** `--max-endpoints-per-slice`. */
  readonly maxEndpointsPerSlice: number;
  /** The trigger time (ms) for the annotation, or undefined to clear it. */
  readonly triggerTime?: number | undefined;
}

/** The writes {@link reconcileSlices} decides, plus the pods it had to skip. */
export interface SlicePlan {
  /** New slices (with `generateName`). */
  readonly create: EndpointSlice[];
  /** Existing slices, changed. */
  readonly update: EndpointSlice[];
  /** Existing slices to delete. */
  readonly delete: EndpointSlice[];
  /** Pods skipped because their node is not known (upstream retries the Service later). */
  readonly skippedPods: string[];
}

function withTriggerTime(slice: EndpointSlice, triggerTime: number | undefined): EndpointSlice {
  const annotations = { ...(slice.metadata.annotations ?? {}) };
  if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTime(triggerTime);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  return { ...slice, metadata: { ...slice.metadata, annotations } };
}

/**
 * Decides the slice writes for a Service (upstream `Reconciler.reconcile`,
 * `reconcileByPortMapping` and `finalize`). Pods are grouped by the ports they resolve; for
 * each group:
 *
 * 1. each existing slice keeps the endpoints still desired (updated if they changed) — a slice
 *    left empty is deleted, one that changed (or whose labels are stale) is updated;
 * 2. remaining endpoints fill the slices being updated, fullest first, up to the maximum;
 * 3. what still remains goes, when fewer than the maximum, into the unchanged slice that is
 *    fullest yet still has room for all of it; otherwise into new slices.
 *
 * Slices of ports nobody uses any more, of another address type or owned by another Service
 * object are deleted. A Service without endpoints keeps one placeholder slice (no endpoints,
 * no ports). Finally a slice to create takes over a slice to delete (an update instead of a
 * create and a delete), and nothing is created while the Service is being deleted.
 *
 * Upstream pops endpoints from a set in random order; here they go in pod order
 * (namespace/name), so the result is deterministic.
 *
 * @example
 * ```ts
 * // 250 ready pods, max 100, no slices yet → create 3 slices of 100, 100 and 50 endpoints
 * // then one pod deleted → update the slice that held it (99), nothing else
 * ```
 */
export function reconcileSlices(input: SliceReconcileInput): SlicePlan {
  const { service, maxEndpointsPerSlice: max } = input;
  const skippedPods: string[] = [];
  const desiredByPorts = new Map<string, { ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }>();
  const pods = [...input.pods].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointSlicePorts(service, pod);
    const key = portMapKey(ports);
    let group = desiredByPorts.get(key);
    if (group === undefined) desiredByPorts.set(key, (group = { ports, endpoints: new Map() }));
    const node = pod.spec.nodeName ? input.node(pod.spec.nodeName) : undefined;
    if (pod.spec.nodeName && node === undefined && service.spec.publishNotReadyAddresses !== true) {
      skippedPods.push(pod.metadata.name ?? '');
      continue;
    }
    const endpoint = podToEndpoint(pod, node, service);
    if (endpoint.addresses.length > 0) group.endpoints.set(endpointKey(endpoint), endpoint);
  }

  const labels = endpointSliceLabels(service);
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const del: EndpointSlice[] = [];
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of input.existing) {
    if (slice.addressType === 'IPv4' && isControlledBy(slice, { apiVersion: 'v1', kind: 'Service', metadata: service.metadata })) {
      const key = portMapKey(slice.ports);
      existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
    } else {
      del.push(slice);
    }
  }

  for (const [key, group] of desiredByPorts) {
    const plan = reconcileByPorts(service, labels, existingByPorts.get(key) ?? [], group.endpoints, group.ports, max);
    create.push(...plan.create);
    update.push(...plan.update);
    del.push(...plan.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desiredByPorts.has(key)) del.push(...slices);

  // A Service without endpoints keeps one placeholder slice.
  if (input.existing.length === del.length && create.length === 0) {
    const placeholder = newEndpointSlice(service, []);
    const only = del.length === 1 ? del[0]! : undefined;
    const isPlaceholder =
      only !== undefined &&
      only.endpoints.length === 0 &&
      (only.ports ?? []).length === 0 &&
      only.addressType === placeholder.addressType &&
      deepEqual(only.metadata.labels ?? {}, placeholder.metadata.labels) &&
      deepEqual(only.metadata.ownerReferences ?? [], placeholder.metadata.ownerReferences);
    if (isPlaceholder) del.length = 0;
    else create.push(placeholder);
  }

  // Turn a create and a delete into one update of the slice that would be deleted.
  for (let i = 0; i < del.length && create.length > 0; ) {
    const victim = del[i]!;
    if (victim.addressType === 'IPv4' && isControlledBy(victim, { apiVersion: 'v1', kind: 'Service', metadata: service.metadata })) {
      const fresh = create.pop()!;
      const { generateName: _unused, ...freshMeta } = fresh.metadata;
      update.push({ ...victim, metadata: { ...victim.metadata, ...freshMeta, name: victim.metadata.name }, endpoints: fresh.endpoints, ports: fresh.ports });
      del.splice(i, 1);
    } else {
      i++;
    }
  }

  const creating = service.metadata.deletionTimestamp === undefined ? create : [];
  return {
    create: creating.map((s) => withTriggerTime(s, input.triggerTime)),
    update: update.map((s) => withTriggerTime(s, input.triggerTime)),
    delete: del,
    skippedPods,
  };
}

function reconcileByPorts(
  service: Service,
  labels: Record<string, string>,
  existing: readonly EndpointSlice[],
  desired: Map<string, Endpoint>,
  ports: EndpointSlicePort[],
  max: number,
): { create: EndpointSlice[]; update: EndpointSlice[]; delete: EndpointSlice[] } {
  const byName = new Map<string, EndpointSlice>();
  const unchanged: string[] = [];
  const toUpdate: string[] = [];
  const toDelete: string[] = [];
  const remaining = new Map(desired);

  // 1. Keep what is still desired in each slice.
  for (const slice of existing) {
    const name = slice.metadata.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let changed = false;
    for (const e of slice.endpoints) {
      const key = endpointKey(e);
      const want = remaining.get(key);
      if (want === undefined) continue;
      kept.push(want);
      if (!deepEqual(want, e)) changed = true;
      remaining.delete(key);
    }
    const labelsChanged = !deepEqual(slice.metadata.labels ?? {}, labels);
    if (changed || kept.length !== slice.endpoints.length) {
      if (kept.length === 0) toDelete.push(name);
      else {
        byName.set(name, { ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
        toUpdate.push(name);
      }
    } else if (labelsChanged) {
      byName.set(name, { ...slice, metadata: { ...slice.metadata, labels } });
      toUpdate.push(name);
    } else {
      unchanged.push(name);
    }
  }

  const queue = [...remaining.values()];
  // 2. Fill the slices being updated, fullest first.
  if (queue.length > 0 && toUpdate.length > 0) {
    const order = [...toUpdate].sort((a, b) => byName.get(b)!.endpoints.length - byName.get(a)!.endpoints.length || (a < b ? -1 : 1));
    for (const name of order) {
      const slice = byName.get(name)!;
      const endpoints = [...slice.endpoints];
      while (queue.length > 0 && endpoints.length < max) endpoints.push(queue.shift()!);
      byName.set(name, { ...slice, endpoints });
    }
  }

  // 3. Fit the rest into one unchanged slice, or new ones.
  const create: EndpointSlice[] = [];
  while (queue.length > 0) {
    let target: EndpointSlice | undefined;
    if (queue.length < max && unchanged.length > 0) target = sliceToFill(unchanged.map((n) => byName.get(n)!), queue.length, max);
    const slice = target ?? newEndpointSlice(service, ports);
    const endpoints = [...slice.endpoints];
    while (queue.length > 0 && endpoints.length < max) endpoints.push(queue.shift()!);
    const filled = { ...slice, endpoints };
    if (target !== undefined) {
      const name = target.metadata.name ?? '';
      byName.set(name, filled);
      toUpdate.push(name);
      unchanged.splice(unchanged.indexOf(name), 1);
    } else {
      create.push(filled);
    }
  }
  return { create, update: toUpdate.map((n) => byName.get(n)!), delete: toDelete.map((n) => byName.get(n)!) };
}

/**
 * The slice to put `count` leftover endpoints into (upstream `getSliceToFill`): the fullest
 * one that still has room for all of them, or none.
 */
export function sliceToFill(slices: readonly EndpointSlice[], count: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  for (const s of slices) {
    if (s.endpoints.length + count > max) continue;
    if (best === undefined || s.endpoints.length > best.endpoints.length) best = s;
  }
  return best;
}

/**
 * Invariants of Services' endpoints over cluster state, for tests and checkers: after the
 * cluster settles, what the Endpoints and EndpointSlices of each Service say must be what its
 * pods are ({@link endpointsMatchPods}), and no Endpoints outlives its Service
 * ({@link noEndpointsWithoutService}). The same rules as core {@link Invariant}s over a
 * `ClusterState` follow; the Endpoints plugin registers {@link endpointsMatchPodsInvariant}.
 *
 * @module
 */
import { ENDPOINTSLICE_MANAGED_BY_LABEL, SERVICE_NAME_LABEL, invariant, refOf } from '@kubeloop/core';
import type { EndpointSlice, Endpoints, Invariant, InvariantViolation, Pod, Service } from '@kubeloop/core';
import { isPodReady } from '../shared/index.js';
import { ENDPOINTSLICE_CONTROLLER_MANAGED_BY } from './slices.js';

/** One broken invariant (core's {@link InvariantViolation}). */
export type EndpointsViolation = InvariantViolation;

/** The cluster state {@link endpointsMatchPods} reads. */
export interface EndpointsState {
  /** Every Service. */
  readonly services: readonly Service[];
  /** Every Pod. */
  readonly pods: readonly Pod[];
  /** Every Endpoints object. */
  readonly endpoints: readonly Endpoints[];
  /** Every EndpointSlice. */
  readonly endpointSlices: readonly EndpointSlice[];
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();
const same = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

// The rules below are stated here, from the Service and EndpointSlice documentation, not taken
// from the controllers' decide.ts: an invariant is an oracle independent of the code it checks.

/** Whether a Service gets its endpoints from a selector: a non-empty one, and not `ExternalName`. */
function hasSelector(service: Service): boolean {
  return service.spec.type !== 'ExternalName' && Object.keys(service.spec.selector ?? {}).length > 0;
}

/** Whether a Service selects a pod: same namespace, and every selector label on the pod. */
function selects(service: Service, pod: Pod): boolean {
  if ((service.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  return Object.entries(service.spec.selector ?? {}).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The pod's IPv4 address (`status.podIPs`, else `status.podIP`), if it has one. */
function ipv4(pod: Pod): string | undefined {
  const ips = [...(pod.status?.podIPs ?? []).map((p) => p.ip), ...(pod.status?.podIP === undefined ? [] : [pod.status.podIP])];
  return ips.find((ip) => ip !== '' && !ip.includes(':'));
}

/**
 * Whether a pod can still serve: it has an address, and is not terminal for good (a pod whose
 * `restartPolicy` is `Never` once it `Succeeded` or `Failed`, `OnFailure` once it `Succeeded`);
 * a terminating pod only when `terminating` is listed.
 */
function canServe(pod: Pod, terminating: boolean): boolean {
  if (ipv4(pod) === undefined || (!terminating && pod.metadata.deletionTimestamp !== undefined)) return false;
  const phase = pod.status?.phase;
  if (pod.spec.restartPolicy === 'Never') return phase !== 'Succeeded' && phase !== 'Failed';
  return pod.spec.restartPolicy !== 'OnFailure' || phase !== 'Succeeded';
}

/**
 * Whether the pod resolves a port of the Service (or the Service is headless without ports): a
 * numeric `targetPort` (default: `port`) always; a named one when a container or sidecar (an
 * init container with `restartPolicy: Always`) declares a port of that name and protocol.
 */
function servesAPort(service: Service, pod: Pod): boolean {
  const ports = service.spec.ports ?? [];
  if (ports.length === 0) return service.spec.clusterIP === 'None';
  const declared = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')].flatMap((c) => c.ports ?? []);
  return ports.some((p) => {
    const target = p.targetPort ?? p.port;
    return typeof target === 'number' || declared.some((d) => d.name === target && (d.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
  });
}

/**
 * `endpointsMatchPods`: once the cluster has settled, every Service with a selector (not
 * `ExternalName`) has
 *
 * 1. an Endpoints object of its name whose ready addresses are exactly the IPs of its selected
 *    pods that have an IP, are Ready, are not terminating and serve one of its ports (with
 *    `publishNotReadyAddresses`: every selected pod with an IP), and whose not-ready addresses
 *    are exactly the IPs of the other non-terminating ones;
 * 2. EndpointSlices (label `kubernetes.io/service-name`, managed by the EndpointSlice
 *    controller) whose `ready` endpoints list exactly the same IPs — except that slices also
 *    list pods that resolve none of the Service's ports (upstream groups endpoints by the
 *    ports they resolve, an empty set included) — and which list no pod twice.
 *
 * Only meaningful after settling: while pods change, the controllers lag by design.
 */
export function endpointsMatchPods(state: EndpointsState): EndpointsViolation[] {
  const violations: EndpointsViolation[] = [];
  for (const service of state.services) {
    if (!hasSelector(service)) continue;
    const ns = service.metadata.namespace ?? '';
    const name = service.metadata.name ?? '';
    const objects = [refOf(service)];
    const report = (message: string): void => void violations.push({ message, objects });
    const tolerate = service.spec.publishNotReadyAddresses === true;
    const ready = new Set<string>();
    const notReady = new Set<string>();
    // Slices list pods whatever ports they resolve (upstream groups them by port set).
    const readyInSlices = new Set<string>();
    for (const pod of state.pods) {
      if (!selects(service, pod) || !canServe(pod, true)) continue;
      const ip = ipv4(pod)!;
      if (tolerate || (isPodReady(pod) && pod.metadata.deletionTimestamp === undefined)) readyInSlices.add(ip);
      if (!canServe(pod, tolerate) || !servesAPort(service, pod)) continue;
      if (tolerate || isPodReady(pod)) ready.add(ip);
      else notReady.add(ip);
    }

    const ep = state.endpoints.find((e) => e.metadata.namespace === ns && e.metadata.name === name);
    if (ep === undefined) {
      report(`has no Endpoints (expected ready [${sorted(ready).join(', ')}])`);
    } else {
      const epReady = new Set((ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)));
      const epNotReady = new Set((ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)));
      if (!same(epReady, ready)) report(`Endpoints ${ns}/${name} lists ready [${sorted(epReady).join(', ')}], pods say [${sorted(ready).join(', ')}]`);
      if (!same(epNotReady, notReady)) report(`Endpoints ${ns}/${name} lists not ready [${sorted(epNotReady).join(', ')}], pods say [${sorted(notReady).join(', ')}]`);
    }

    const slices = state.endpointSlices.filter(
      (s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels[ENDPOINTSLICE_MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_MANAGED_BY,
    );
    const sliceReady = new Set<string>();
    const seenPods = new Set<string>();
    for (const slice of slices) {
      for (const e of slice.endpoints) {
        const pod = `${e.targetRef?.namespace ?? ''}/${e.targetRef?.name ?? ''}`;
        if (seenPods.has(pod)) report(`pod ${pod} is listed twice in its EndpointSlices`);
        seenPods.add(pod);
        if (e.conditions.ready === true) for (const a of e.addresses) sliceReady.add(a);
      }
    }
    if (!same(sliceReady, readyInSlices)) {
      report(`EndpointSlices [${sorted(slices.map((s) => s.metadata.name ?? '')).join(', ')}] list ready [${sorted(sliceReady).join(', ')}], pods say [${sorted(readyInSlices).join(', ')}]`);
    }
  }
  return violations;
}

/**
 * `noEndpointsWithoutService`: once the cluster has settled, every Endpoints object has a
 * Service of its namespace and name — the Endpoints controller deletes a deleted Service's
 * Endpoints by name (upstream `syncService` on a Service that is not found), whatever wrote
 * them. The API server's own `default/kubernetes` Endpoints is not the controller's and is
 * skipped.
 *
 * Only meaningful after settling, and only where nothing else keeps Endpoints without a Service:
 * upstream deletes leftovers only when a Service goes (and once at start-up), so Endpoints that
 * another writer creates for a name that never had a Service stay.
 */
export function noEndpointsWithoutService(state: Pick<EndpointsState, 'services' | 'endpoints'>): EndpointsViolation[] {
  const services = new Set(state.services.map((s) => `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`));
  const out: EndpointsViolation[] = [];
  for (const e of state.endpoints) {
    const key = `${e.metadata.namespace ?? ''}/${e.metadata.name ?? ''}`;
    if (key === 'default/kubernetes' || services.has(key)) continue;
    out.push({ message: `Endpoints ${key} is left although its Service is gone`, objects: [refOf(e)] });
  }
  return out;
}

// As core invariants over cluster states

/**
 * Liveness: {@link endpointsMatchPods} — after settling, every Service with a selector has
 * Endpoints and EndpointSlices that list exactly its selected pods, ready or not.
 */
export const endpointsMatchPodsInvariant: Invariant = invariant('endpointsMatchPods', "After settling, each Service's Endpoints and EndpointSlices list exactly its selected pods.", (state) =>
  endpointsMatchPods({ services: state.of<Service>('Service'), pods: state.of<Pod>('Pod'), endpoints: state.of<Endpoints>('Endpoints'), endpointSlices: state.of<EndpointSlice>('EndpointSlice') }),
);

/**
 * Liveness under a precondition: {@link noEndpointsWithoutService} — after settling, no
 * Endpoints object is left without its Service (the API server's `default/kubernetes` aside).
 *
 * Not registered by the plugin: upstream's Endpoints controller deletes leftovers only when
 * their Service goes (and once at start-up), so Endpoints that another writer (your controller,
 * a test) keeps for a name that never had a Service would fail it with nothing wrong.
 */
export const noEndpointsWithoutServiceInvariant: Invariant = invariant('noEndpointsWithoutService', 'After settling, the Endpoints of a deleted Service are gone.', (state) =>
  noEndpointsWithoutService({ services: state.of<Service>('Service'), endpoints: state.of<Endpoints>('Endpoints') }),
);

/** The invariants the Endpoints plugin registers. */
export const ENDPOINTS_INVARIANTS: readonly Invariant[] = [endpointsMatchPodsInvariant];

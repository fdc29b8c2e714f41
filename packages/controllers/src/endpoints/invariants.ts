/**
 * Invariants of Services' endpoints over cluster state, for tests and checkers: after the
 * cluster settles, what the Endpoints and EndpointSlices of each Service say must be what its
 * pods are ({@link endpointsMatchPods}), and no Endpoints outlives its Service
 * ({@link noEndpointsWithoutService}). The same rules as core {@link Invariant}s over a
 * `ClusterState` follow; the Endpoints plugin registers {@link endpointsMatchPodsInvariant}.
 *
 * @module
 */
import { ENDPOINTSLICE_CONTROLLER_MANAGED_BY, ENDPOINTSLICE_MANAGED_BY_LABEL, SERVICE_NAME_LABEL, VIRTUAL_EPOCH_MS, invariant, isPodReady, parseTime, refOf, stateNowMs, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, EndpointSlice, Endpoints, Invariant, InvariantViolation, KubeObject, Node, Pod, Service, StateChange } from '@kubeloop/core';

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
  /**
   * Every Node. When given, whether the slices list a pod bound to a node that does not exist
   * is not judged (unless its Service has `publishNotReadyAddresses`): upstream's reconciler
   * skips such a pod, but only at the Service's next sync.
   */
  readonly nodes?: readonly Node[] | undefined;
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
 *    ports they resolve, an empty set included) — and which list no pod twice. A pod bound to
 *    a node that no longer exists (when `nodes` is given; not with `publishNotReadyAddresses`)
 *    is not judged: upstream's reconciler leaves it out at the Service's next sync, but nothing
 *    syncs the Service when only a Node goes (see {@link endpointWritesFollowPods}).
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
    const nodeNames = state.nodes === undefined ? undefined : new Set(state.nodes.map((n) => n.metadata.name ?? ''));
    const onGoneNode = (pod: Pod): boolean => !tolerate && nodeNames !== undefined && (pod.spec.nodeName ?? '') !== '' && !nodeNames.has(pod.spec.nodeName ?? '');
    const goneNodeIPs = new Set<string>();
    const ready = new Set<string>();
    const notReady = new Set<string>();
    // Slices list pods whatever ports they resolve (upstream groups them by port set).
    const readyInSlices = new Set<string>();
    for (const pod of state.pods) {
      if (!selects(service, pod) || !canServe(pod, true)) continue;
      const ip = ipv4(pod)!;
      if (onGoneNode(pod)) goneNodeIPs.add(ip);
      else if (tolerate || (isPodReady(pod) && pod.metadata.deletionTimestamp === undefined)) readyInSlices.add(ip);
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
        if (e.conditions.ready === true) for (const a of e.addresses) if (!goneNodeIPs.has(a)) sliceReady.add(a);
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
  endpointsMatchPods({
    services: state.of<Service>('Service'),
    pods: state.of<Pod>('Pod'),
    endpoints: state.of<Endpoints>('Endpoints'),
    endpointSlices: state.of<EndpointSlice>('EndpointSlice'),
    // A state that never saw a Node (one built without them) does not judge nodes.
    nodes: state.kinds.includes('Node') ? state.of<Node>('Node') : undefined,
  }),
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

// Rules over writes: what the controllers publish at the moment they write, judged against the
// history of the run (every change, in order, with its virtual time).

/** Every change of the run up to `state`, oldest first (the changes of each state in the chain). */
const histories = new WeakMap<ClusterState, readonly StateChange[]>();
function historyOf(state: ClusterState): readonly StateChange[] {
  const known = histories.get(state);
  if (known !== undefined) return known;
  const before = state.previous === undefined ? [] : historyOf(state.previous);
  const all = before.length === 0 ? state.changes : [...before, ...state.changes];
  histories.set(state, all);
  return all;
}

/**
 * The versions of one object a write at `history[index]` may have been decided from: its last
 * version written at an earlier instant (`null` when that change deleted it; none when it was
 * never written before), and every version written at the same instant before the write.
 */
function versionsBefore(history: readonly StateChange[], index: number, kind: string, namespace: string, name: string): (KubeObject | null)[] {
  const t = history[index]!.t ?? 0;
  const out: (KubeObject | null)[] = [];
  for (let j = index - 1; j >= 0; j--) {
    const c = history[j]!;
    if (c.object.kind !== kind || (c.object.metadata.namespace ?? '') !== namespace || c.object.metadata.name !== name) continue;
    out.push(c.type === 'DELETED' ? null : c.object);
    if ((c.t ?? 0) < t) break;
  }
  return out;
}

const readyCondition = (pod: Pod) => (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');

/** The Service a write is for: an Endpoints object's own name; a slice's `kubernetes.io/service-name`, if the EndpointSlice controller manages it. */
function serviceOfWrite(object: KubeObject): string | undefined {
  if (object.kind === 'Endpoints') return object.metadata.name;
  if (object.kind !== 'EndpointSlice' || object.metadata.labels?.[ENDPOINTSLICE_MANAGED_BY_LABEL] !== ENDPOINTSLICE_CONTROLLER_MANAGED_BY) return undefined;
  return object.metadata.labels[SERVICE_NAME_LABEL];
}

/** The writes of `state`'s own changes, with their index in the run's history. */
function newWrites(state: ClusterState): { history: readonly StateChange[]; writes: { index: number; change: StateChange; service: string }[] } {
  const history = historyOf(state);
  const writes: { index: number; change: StateChange; service: string }[] = [];
  for (let index = history.length - state.changes.length; index < history.length; index++) {
    const change = history[index]!;
    if (change.type === 'DELETED') continue;
    const service = serviceOfWrite(change.object);
    if (service !== undefined) writes.push({ index, change, service });
  }
  return { history, writes };
}

/**
 * `endpointWritesFollowPods`: in a run whose controllers' caches keep up with the store (no
 * faults), every Endpoints and EndpointSlice write shows each pod it lists as the pod was just
 * before (its last version from an earlier instant, or one from the same instant), as the
 * Service and EndpointSlice documentation define the fields (upstream `podToEndpoint` and
 * `syncService`; KEP-1672, terminating endpoints):
 *
 * - an EndpointSlice endpoint has `serving` = the pod's `Ready` condition, `terminating` = the
 *   pod has a `deletionTimestamp`, and `ready` = `serving` and not `terminating` — always true
 *   with `publishNotReadyAddresses`; it lists no pod deleted before, and, without
 *   `publishNotReadyAddresses`, no pod bound to a Node deleted before (upstream's reconciler
 *   skips such a pod);
 * - an Endpoints address is in `addresses` only for a `Ready` pod that is not terminating, in
 *   `notReadyAddresses` only for one that is not `Ready` and not terminating — with
 *   `publishNotReadyAddresses`, every listed pod is in `addresses`, terminating or not; it lists
 *   no pod deleted before.
 *
 * Judged while pods change and terminate, not only after settling. Not registered by the
 * plugin: with lagging caches, cut watches or a restarted controller the writes lag by design.
 */
export function endpointWritesFollowPods(state: ClusterState): EndpointsViolation[] {
  const out: EndpointsViolation[] = [];
  const { history, writes } = newWrites(state);
  for (const { index, change, service } of writes) {
    const object = change.object;
    const ns = object.metadata.namespace ?? '';
    const services = versionsBefore(history, index, 'Service', ns, service).filter((v): v is Service => v !== null);
    if (services.length === 0) continue;
    const tolerate = (pnra: boolean): boolean => services.some((s) => (s.spec.publishNotReadyAddresses === true) === pnra);
    const report = (message: string): void => void out.push({ message: `${object.kind} ${ns}/${object.metadata.name ?? ''} written at ${change.t ?? 0} ms ${message}`, objects: [refOf(object)] });
    const podVersions = (ref: { name?: string | undefined; uid?: string | undefined } | undefined): Pod[] =>
      versionsBefore(history, index, 'Pod', ns, ref?.name ?? '').filter((v): v is Pod => v !== null && v.metadata.uid === ref?.uid);
    const nodeGone = (name: string): boolean => {
      const versions = versionsBefore(history, index, 'Node', '', name);
      return versions.length > 0 && versions.every((v) => v === null);
    };
    // Each listed pod must match one of the versions the write may have been decided from.
    const judge = (ref: { name?: string | undefined; uid?: string | undefined } | undefined, listedAs: string, fits: (pod: Pod) => boolean, withNode: boolean): void => {
      const name = ref?.name ?? '';
      const versions = podVersions(ref);
      if (versions.length === 0) report(`lists pod ${name}, deleted (or never there) before`);
      else if (!versions.some(fits)) {
        report(`lists pod ${name} ${listedAs}, which does not show the pod as it was (Ready ${versions.map((p) => readyCondition(p)?.status ?? 'none').join('/')}, terminating ${versions.map((p) => p.metadata.deletionTimestamp !== undefined).join('/')}${withNode ? `, node ${versions[0]!.spec.nodeName ?? ''}` : ''})`);
      }
    };
    if (object.kind === 'EndpointSlice') {
      for (const e of (object as EndpointSlice).endpoints) {
        judge(e.targetRef, `with ${JSON.stringify(e.conditions)}`, (pod) => {
          const serving = readyCondition(pod)?.status === 'True';
          const terminating = pod.metadata.deletionTimestamp !== undefined;
          if (e.conditions.serving !== serving || e.conditions.terminating !== terminating) return false;
          if (e.conditions.ready === true ? !tolerate(true) && !(serving && !terminating) : !tolerate(false) || (serving && !terminating)) return false;
          return tolerate(true) || (pod.spec.nodeName ?? '') === '' || !nodeGone(pod.spec.nodeName ?? '');
        }, true);
      }
    } else {
      for (const subset of (object as Endpoints).subsets ?? []) {
        for (const [asReady, list] of [[true, subset.addresses ?? []], [false, subset.notReadyAddresses ?? []]] as const) {
          for (const a of list) {
            judge(a.targetRef, `as ${asReady ? 'ready' : 'not ready'}`, (pod) => {
              if (tolerate(true) && asReady) return true;
              return tolerate(false) && pod.metadata.deletionTimestamp === undefined && (readyCondition(pod)?.status === 'True') === asReady;
            }, false);
          }
        }
      }
    }
  }
  return out;
}

/** Whole seconds: what `metav1.Time` keeps of a time. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * `lastChangeTriggerTime`: in a run without faults (one controller process that has seen every
 * change), the `endpoints.kubernetes.io/last-change-trigger-time` annotation of an Endpoints or
 * EndpointSlice write, when present, names a change its controller had not published at its
 * previous write for the same Service. Upstream's `TriggerTimeTracker`
 * (`ComputeEndpointLastChangeTriggerTime`) takes the earliest *trigger time* among what changed
 * since the Service's previous sync: the Service's `creationTimestamp` for a Service it syncs
 * for the first time, and a pod's `Ready` condition `lastTransitionTime` when it is newer than
 * at that sync or the pod was not selected then. So the annotation is:
 *
 * - present on the first write for a Service (a Service synced for the first time is a change),
 *   and on a write listing a pod whose `Ready` condition moved, in whole seconds, after the
 *   controller's previous write for the Service (a sync that sees a listed pod's readiness move
 *   publishes it; not judged on the Endpoints of a Service with `publishNotReadyAddresses`,
 *   whose addresses readiness does not change);
 * - never later than the write that carries it;
 * - the `creationTimestamp` of the Service if it was created since the controller's previous
 *   write for it (at an earlier instant), or the `Ready` `lastTransitionTime` carried by a pod
 *   written since then — or by any pod, if the Service itself was changed since then (a new
 *   selector brings pods the controller did not select before).
 *
 * Times compare in whole seconds (`metav1.Time`). Not registered by the plugin: a restarted
 * controller forgets what it saw, and stale caches make it see changes late, as upstream.
 */
export function lastChangeTriggerTime(state: ClusterState): EndpointsViolation[] {
  const out: EndpointsViolation[] = [];
  const { history, writes } = newWrites(state);
  for (const { index, change, service } of writes) {
    const object = change.object;
    const annotation = object.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
    const ns = object.metadata.namespace ?? '';
    const t = change.t ?? 0;
    // The controller's previous write for the Service, at an earlier instant.
    let since = Number.NEGATIVE_INFINITY;
    let first = true;
    for (let j = index - 1; j >= 0; j--) {
      const c = history[j]!;
      if (c.type === 'DELETED' || c.object.kind !== object.kind || (c.object.metadata.namespace ?? '') !== ns || serviceOfWrite(c.object) !== service) continue;
      first = false;
      if ((c.t ?? 0) < t) {
        since = c.t ?? 0;
        break;
      }
    }
    if (annotation === undefined) {
      if (first) out.push({ message: `${object.kind} ${ns}/${object.metadata.name ?? ''} written at ${t} ms is the first write for Service ${service} and carries no last-change-trigger-time (the Service's creation at the latest)`, objects: [refOf(object)] });
      else {
        const late = laterReadyTransition(history, index, since);
        if (late !== undefined) out.push({ message: `${object.kind} ${ns}/${object.metadata.name ?? ''} written at ${t} ms lists pod ${late}, whose Ready transition came after the controller's previous write for Service ${service} (at ${since} ms), and carries no last-change-trigger-time`, objects: [refOf(object)] });
      }
      continue;
    }
    const report = (message: string): void => void out.push({ message: `${object.kind} ${ns}/${object.metadata.name ?? ''} written at ${t} ms carries last-change-trigger-time ${annotation}, ${message}`, objects: [refOf(object)] });
    const at = parseTime(annotation);
    if (!Number.isFinite(at)) {
      report('not a time');
      continue;
    }
    if (seconds(at) > seconds(VIRTUAL_EPOCH_MS + t)) report('later than the write');
    const candidates = new Set<number>();
    const podTime = (pod: Pod): void => {
      const ltt = readyCondition(pod)?.lastTransitionTime;
      if (typeof ltt === 'string' && ltt !== '') candidates.add(seconds(parseTime(ltt)));
    };
    let serviceChanged = false;
    for (let j = 0; j < index; j++) {
      const c = history[j]!;
      if (c.type === 'DELETED' || (c.object.metadata.namespace ?? '') !== ns) continue;
      const recent = (c.t ?? 0) >= since;
      if (c.object.kind === 'Pod' && recent) podTime(c.object as Pod);
      if (c.object.kind === 'Service' && c.object.metadata.name === service && recent) {
        serviceChanged = true;
        const created = c.object.metadata.creationTimestamp;
        if (c.type === 'ADDED' && typeof created === 'string') candidates.add(seconds(parseTime(created)));
      }
    }
    if (serviceChanged) for (let j = 0; j < index; j++) if (history[j]!.object.kind === 'Pod' && history[j]!.type !== 'DELETED' && (history[j]!.object.metadata.namespace ?? '') === ns) podTime(history[j]!.object as Pod);
    if (!candidates.has(seconds(at))) report(`which is neither the creation of the Service nor a pod's Ready transition written since the controller's previous write for it (at ${since} ms)`);
  }
  return out;
}

/**
 * A pod the write at `history[index]` lists whose `Ready` condition moved (in whole seconds)
 * after `since`, in every version the write may have been decided from and shows (Ready as
 * listed: an Endpoints address or a slice endpoint's `serving`): its sync cannot have
 * seen that transition before (a sync that sees a listed pod's readiness move writes it), so its
 * trigger time is new. Endpoints of a Service with `publishNotReadyAddresses` are left out: there
 * readiness changes nothing in them, so a sync may see the transition without writing.
 */
function laterReadyTransition(history: readonly StateChange[], index: number, since: number): string | undefined {
  const object = history[index]!.object;
  const ns = object.metadata.namespace ?? '';
  // Each pod listed, with whether the write shows it Ready.
  let listed: readonly { ref: { name?: string | undefined; uid?: string | undefined } | undefined; ready: boolean }[];
  if (object.kind === 'EndpointSlice') listed = (object as EndpointSlice).endpoints.map((e) => ({ ref: e.targetRef, ready: e.conditions.serving === true }));
  else {
    const services = versionsBefore(history, index, 'Service', ns, object.metadata.name ?? '');
    if (services.some((s) => s === null || (s as Service).spec.publishNotReadyAddresses === true)) return undefined;
    listed = ((object as Endpoints).subsets ?? []).flatMap((s) => [...(s.addresses ?? []).map((a) => ({ ref: a.targetRef, ready: true })), ...(s.notReadyAddresses ?? []).map((a) => ({ ref: a.targetRef, ready: false }))]);
  }
  for (const { ref, ready } of listed) {
    // The versions the write shows (its readiness), among those it may have been decided from.
    const versions = versionsBefore(history, index, 'Pod', ns, ref?.name ?? '').filter((v): v is Pod => v !== null && v.metadata.uid === ref?.uid && (readyCondition(v as Pod)?.status === 'True') === ready);
    const late = versions.every((pod) => {
      const ltt = readyCondition(pod)?.lastTransitionTime;
      return typeof ltt === 'string' && ltt !== '' && seconds(parseTime(ltt)) > seconds(VIRTUAL_EPOCH_MS + since);
    });
    if (versions.length > 0 && late) return ref?.name ?? '';
  }
  return undefined;
}

/**
 * Transition: {@link endpointWritesFollowPods} — each Endpoints and EndpointSlice write shows
 * its pods as they were just before it (readiness, termination, deletion, deleted nodes).
 * Opt-in (not registered by the plugin): it assumes caches that keep up with the store.
 */
export const endpointWritesFollowPodsInvariant: Invariant = transitionInvariant(
  'endpointWritesFollowPods',
  'Each Endpoints and EndpointSlice write shows its pods as they were just before it: slice endpoints ready only when serving (Ready) and not terminating (unless publishNotReadyAddresses), terminating exactly when the pod is being deleted; Endpoints addresses ready only for Ready pods, terminating pods left out (unless publishNotReadyAddresses); no pod deleted before, and no slice endpoint on a Node deleted before.',
  (_previous, state) => endpointWritesFollowPods(state),
);

/**
 * Transition: {@link lastChangeTriggerTime} — the `last-change-trigger-time` annotation a write
 * carries names a change its controller had not yet published. Opt-in (not registered by the
 * plugin): it assumes one controller process that has seen every change.
 */
export const lastChangeTriggerTimeInvariant: Invariant = transitionInvariant(
  'lastChangeTriggerTime',
  "The last-change-trigger-time annotation of an Endpoints or EndpointSlice write is there on the first write for a Service and on one listing a pod whose readiness moved since the controller's previous write, no later than the write, and is the Service's creation or a pod's Ready transition written since the controller's previous write for that Service (any selected pod's, if the Service changed since).",
  (_previous, state) => lastChangeTriggerTime(state),
);

/**
 * `terminatingEndpointsWithin`: in every state of a run whose controllers keep up (no faults),
 * a selected pod that began terminating more than `withinMs` ago (its `deletionTimestamp` minus
 * its `deletionGracePeriodSeconds`, whole seconds) is out of its Service's Endpoints unless the
 * Service has `publishNotReadyAddresses` (upstream `ShouldPodBeInEndpoints(pod,
 * publishNotReadyAddresses)`), and every EndpointSlice endpoint of it says `terminating: true`
 * and, without `publishNotReadyAddresses`, `ready: false` (upstream `podToEndpoint`; KEP-1672).
 * Judged while pods terminate: a pod that lingers on SIGTERM keeps its endpoints until it goes,
 * marked.
 */
export function terminatingEndpointsWithin(state: ClusterState, withinMs: number): EndpointsViolation[] {
  const out: EndpointsViolation[] = [];
  const now = stateNowMs(state);
  const pods = new Map(state.of<Pod>('Pod').map((p) => [p.metadata.uid ?? '', p]));
  const terminatingFor = (uid: string | undefined): Pod | undefined => {
    const pod = pods.get(uid ?? '');
    if (pod?.metadata.deletionTimestamp === undefined) return undefined;
    const began = parseTime(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    return now - began > withinMs ? pod : undefined;
  };
  for (const service of state.of<Service>('Service')) {
    if (!hasSelector(service)) continue;
    const ns = service.metadata.namespace ?? '';
    const name = service.metadata.name ?? '';
    const tolerate = service.spec.publishNotReadyAddresses === true;
    const endpoints = state.get<Endpoints>('Endpoints', ns, name);
    if (!tolerate && endpoints !== undefined) {
      for (const a of (endpoints.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])])) {
        const pod = terminatingFor(a.targetRef?.uid);
        if (pod !== undefined) out.push({ message: `Endpoints ${ns}/${name} still lists pod ${pod.metadata.name ?? ''}, terminating since over ${withinMs} ms`, objects: [refOf(endpoints), refOf(pod)] });
      }
    }
    for (const slice of state.of<EndpointSlice>('EndpointSlice')) {
      if (slice.metadata.namespace !== ns || slice.metadata.labels?.[SERVICE_NAME_LABEL] !== name || slice.metadata.labels[ENDPOINTSLICE_MANAGED_BY_LABEL] !== ENDPOINTSLICE_CONTROLLER_MANAGED_BY) continue;
      for (const e of slice.endpoints) {
        const pod = terminatingFor(e.targetRef?.uid);
        if (pod !== undefined && (e.conditions.terminating !== true || (!tolerate && e.conditions.ready !== false))) {
          out.push({ message: `EndpointSlice ${ns}/${slice.metadata.name ?? ''} lists pod ${pod.metadata.name ?? ''}, terminating since over ${withinMs} ms, with ${JSON.stringify(e.conditions)}`, objects: [refOf(slice), refOf(pod)] });
        }
      }
    }
  }
  return out;
}

/**
 * Safety, timed: {@link terminatingEndpointsWithin} — `withinMs` (default 2 000: the
 * `deletionTimestamp` keeps whole seconds) after a pod begins terminating, its Service's
 * Endpoints no longer list it and its slices mark it terminating and not ready (unless
 * `publishNotReadyAddresses`). Opt-in (not registered by the plugin): it assumes controllers
 * that keep up with the store (no faults).
 */
export function terminatingEndpointsWithinInvariant(options: { readonly withinMs?: number | undefined } = {}): Invariant {
  const withinMs = options.withinMs ?? 2_000;
  return invariant(
    'terminatingEndpointsWithin',
    `In every state, a pod terminating for over ${withinMs} ms is out of its Service's Endpoints and marked terminating (not ready) in its EndpointSlices, unless the Service publishes not-ready addresses.`,
    (state) => terminatingEndpointsWithin(state, withinMs),
    'safety',
  );
}

/**
 * The Endpoints suites' shared run (not exported from the package): the steps drawn over pods,
 * labels, Services and Nodes, how they are performed and printed, and `endpointDetails`, the
 * suite's own invariant on what each endpoint carries. `endpoints.property.test.ts` draws them
 * under faults; `endpoints.broken.test.ts` plays fixed cases against controllers broken on
 * purpose.
 *
 * @module
 */
import fc from 'fast-check';
import { ENDPOINTSLICE_MANAGED_BY_LABEL, Pods, SERVICE_NAME_LABEL, Services, invariant, refOf } from '@kubeloop/core';
import type { EndpointSlice, Endpoints, InvariantViolation, Node, Plugin, Pod, Service } from '@kubeloop/core';
import { DEEP, endpointsMatchPodsInvariant, noEndpointsWithoutServiceInvariant } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { endpointsPlugin } from '@kubeloop/controllers';

/** Runs of each property (the deep run draws more). */
export const RUNS = DEEP ? 340 : 15;
/** Actions per run (after the first, which creates the initial Services and pods). */
const MAX_STEPS = 8;
const APPS = ['a', 'b'] as const;
const TIERS = ['x', 'y'] as const;
const NODES = ['node-1', 'node-2'] as const;

export interface PodSpec {
  readonly app: (typeof APPS)[number];
  readonly tier: (typeof TIERS)[number];
  /** Readiness never comes (a readiness probe failing for an hour). */
  readonly neverReady: boolean;
  /** Names its container port `http` (else the port is unnamed). */
  readonly namedPort: boolean;
  /** Also declares a container port `metrics` (9090). */
  readonly metrics: boolean;
  /** Sets `spec.hostname` and `spec.subdomain: svc-0` (endpoints then carry the hostname). */
  readonly hostname: boolean;
  /**
   * Ignores SIGTERM (`stop-after=never`) with a 45 s `terminationGracePeriodSeconds`: once
   * deleted it stays terminating until the kubelet kills it, long enough for the cluster to
   * settle and the invariants to judge it while it terminates.
   */
  readonly lingers: boolean;
}

export interface ServiceSpec {
  readonly selector: Readonly<Record<string, string>>;
  readonly targetPort: number | 'http';
  readonly publishNotReadyAddresses: boolean;
  /** Headless (`clusterIP: None`): its Endpoints and slices carry the headless label. */
  readonly headless: boolean;
  /** A second port `metrics` → the container port `metrics` (by name) or 9090 (by number); both ports are then named. */
  readonly metrics: 'none' | 'byName' | 'byNumber';
  /**
   * Also labels the Service with the EndpointSlice labels it must not pass on
   * (`kubernetes.io/service-name: other`, `endpointslice.kubernetes.io/managed-by: someone-else`):
   * its Endpoints keep them, its slices carry the controller's own values.
   */
  readonly reservedLabels: boolean;
}

/** What the test does; controller-manager crashes, failing writes and cut watches are fault schedules. */
export type Step =
  | { readonly kind: 'init'; readonly services: readonly ServiceSpec[]; readonly pods: readonly PodSpec[] }
  | { readonly kind: 'addPod'; readonly pod: PodSpec }
  /**
   * `afterMs`: let the pods start first (a pod deleted before its containers run goes at once,
   * lingering or not); `selected`: pick among the pods some Service selects, those that linger
   * on SIGTERM if there are any (a terminating pod no Service selects is judged by nothing).
   */
  | { readonly kind: 'deletePod'; readonly pick: number; readonly afterMs: number; readonly selected: boolean }
  | { readonly kind: 'relabel'; readonly pick: number; readonly app: string | undefined }
  | { readonly kind: 'deleteService'; readonly pick: number }
  | { readonly kind: 'reselect'; readonly pick: number; readonly selector: Readonly<Record<string, string>> }
  | { readonly kind: 'removeNode'; readonly node: (typeof NODES)[number] }
  | { readonly kind: 'wait'; readonly ms: number };

const podSpec: fc.Arbitrary<PodSpec> = fc.record({ app: fc.constantFrom(...APPS), tier: fc.constantFrom(...TIERS), neverReady: fc.boolean(), namedPort: fc.boolean(), metrics: fc.boolean(), hostname: fc.boolean(), lingers: fc.boolean() });
const selector: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.record({ app: fc.constantFrom(...APPS) }),
  fc.record({ tier: fc.constantFrom(...TIERS) }),
  fc.record({ app: fc.constantFrom(...APPS), tier: fc.constantFrom(...TIERS) }),
);
const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.record({
  selector,
  targetPort: fc.constantFrom<number | 'http'>(80, 'http'),
  publishNotReadyAddresses: fc.boolean(),
  headless: fc.boolean(),
  metrics: fc.constantFrom('none' as const, 'byName' as const, 'byNumber' as const),
  reservedLabels: fc.boolean(),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addPod' as const), pod: podSpec }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50), afterMs: fc.constantFrom(0, 5_000, 5_000), selected: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(50), app: fc.constantFrom<string | undefined>('a', 'b', 'stray', undefined) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteService' as const), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reselect' as const), pick: fc.nat(10), selector }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeNode' as const), node: fc.constantFrom(...NODES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 30_000 })) }) },
);

/** One to three Services and up to six pods first, then the steps. */
const steps: fc.Arbitrary<readonly Step[]> = fc
  .tuple(fc.array(serviceSpec, { minLength: 1, maxLength: 3 }), fc.array(podSpec, { maxLength: 6 }), fc.array(step, { maxLength: MAX_STEPS }))
  .map(([services, pods, more]): Step[] => [{ kind: 'init', services, pods }, ...more]);

/**
 * Per run (the toolkit's `runState`, fresh for each case, so a replayed case names its pods as
 * it did): pod names count up within a run.
 */
export interface RunState {
  pods: number;
}

function podManifest(run: RunState, spec: PodSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${run.pods++}`,
      namespace: 'default',
      labels: { app: spec.app, tier: spec.tier },
      ...(spec.neverReady || spec.lingers ? { annotations: { 'kubeloop.dev/behavior': [...(spec.neverReady ? ['not-ready-for=1h'] : []), ...(spec.lingers ? ['stop-after=never'] : [])].join(',') } } : {}),
    },
    spec: {
      ...(spec.hostname ? { hostname: `host-${run.pods - 1}`, subdomain: 'svc-0' } : {}),
      ...(spec.lingers ? { terminationGracePeriodSeconds: 45 } : {}),
      containers: [
        {
          name: 'web',
          image: 'kiamol/ch02-whoami',
          ports: [{ containerPort: 80, ...(spec.namedPort ? { name: 'http' } : {}) }, ...(spec.metrics ? [{ containerPort: 9090, name: 'metrics' }] : [])],
          readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 },
        },
      ],
    },
  };
}

function serviceManifest(name: string, spec: ServiceSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    // Every Service carries the reserved headless label: only a headless one's Endpoints and slices keep it.
    metadata: {
      name,
      namespace: 'default',
      labels: { team: name, 'service.kubernetes.io/headless': '', ...(spec.reservedLabels ? { [SERVICE_NAME_LABEL]: 'other', [ENDPOINTSLICE_MANAGED_BY_LABEL]: 'someone-else' } : {}) },
    },
    spec: {
      selector: spec.selector,
      ports:
        spec.metrics === 'none'
          ? [{ port: 8080, targetPort: spec.targetPort }]
          : [
              { name: 'web', port: 8080, targetPort: spec.targetPort },
              { name: 'metrics', port: 9090, targetPort: spec.metrics === 'byName' ? 'metrics' : 9090, appProtocol: 'http' },
            ],
      publishNotReadyAddresses: spec.publishNotReadyAddresses,
      ...(spec.headless ? { clusterIP: 'None' } : {}),
    },
  };
}

async function perform(cluster: SimCluster, s: Step, context: RunContext<RunState>): Promise<void> {
  const server = cluster.server;
  const podManifestOf = (spec: PodSpec) => podManifest(context.state, spec);
  const pick = async <T>(list: () => Promise<{ readonly items: readonly T[] }>, n: number): Promise<T | undefined> => {
    const items = (await list()).items;
    return items[n % Math.max(1, items.length)];
  };
  switch (s.kind) {
    case 'init':
      await cluster.apply(s.services.map((spec, i) => serviceManifest(`svc-${i}`, spec)));
      if (s.pods.length > 0) await cluster.apply(s.pods.map(podManifestOf));
      return;
    case 'addPod':
      await cluster.apply(podManifestOf(s.pod));
      return;
    case 'deletePod': {
      if (s.afterMs > 0) await context.advance(s.afterMs);
      const services = (await server.list(Services, { namespace: 'default' })).items.filter((v) => Object.keys(v.spec.selector ?? {}).length > 0);
      const selectedBySome = (p: Pod): boolean => services.some((v) => Object.entries(v.spec.selector ?? {}).every(([k, value]) => p.metadata.labels?.[k] === value));
      const lingers = (p: Pod): boolean => (p.metadata.annotations?.['kubeloop.dev/behavior'] ?? '').includes('stop-after=never');
      const candidates = async (): Promise<{ items: Pod[] }> => {
        const pods = (await server.list(Pods, { namespace: 'default' })).items.filter((p) => !s.selected || selectedBySome(p));
        return { items: s.selected && pods.some(lingers) ? pods.filter(lingers) : pods };
      };
      const pod = await pick(candidates, s.pick);
      if (pod !== undefined) await server.delete(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'relabel': {
      const pod = await pick(() => server.list(Pods, { namespace: 'default' }), s.pick);
      if (pod === undefined) return;
      await server.patch(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }, { type: 'merge', body: { metadata: { labels: { app: s.app ?? null } } } }).catch(() => undefined);
      return;
    }
    case 'deleteService': {
      const svc = await pick(() => server.list(Services, { namespace: 'default' }), s.pick);
      if (svc !== undefined) await server.delete(Services, { namespace: 'default', name: svc.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'reselect': {
      const svc = await pick(() => server.list(Services, { namespace: 'default' }), s.pick);
      if (svc === undefined) return;
      await server.update(Services, { ...svc, spec: { ...svc.spec, selector: { ...s.selector } } }).catch(() => undefined);
      return;
    }
    case 'removeNode':
      await cluster.removeNode(s.node);
      return;
    case 'wait':
      await context.advance(s.ms);
      return;
  }
}

const selectorText = (selector: Readonly<Record<string, string>>): string =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

function podText(p: PodSpec): string {
  return `app=${p.app},tier=${p.tier}${p.neverReady ? ' never ready' : ''}${p.namedPort ? ' port http' : ''}${p.metrics ? ' port metrics' : ''}${p.hostname ? ' hostname' : ''}${p.lingers ? ' lingers 45 s on SIGTERM' : ''}`;
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'init':
      return `create ${s.services.map((v, i) => `svc-${i} (${selectorText(v.selector)} → ${v.targetPort}${v.metrics === 'none' ? '' : ` and metrics ${v.metrics}`}${v.publishNotReadyAddresses ? ', publishNotReadyAddresses' : ''}${v.headless ? ', headless' : ''}${v.reservedLabels ? ', reserved slice labels' : ''})`).join(', ')}; pods ${s.pods.map(podText).join('; ') || '(none)'}`;
    case 'addPod':
      return `add a pod ${podText(s.pod)}`;
    case 'deletePod':
      return `${s.afterMs > 0 ? `wait ${s.afterMs} ms, then ` : ''}delete ${s.selected ? 'selected ' : ''}pod #${s.pick} (modulo their count)`;
    case 'relabel':
      return `set app=${s.app ?? '(none)'} on pod #${s.pick} (modulo their count)`;
    case 'deleteService':
      return `delete Service #${s.pick} (modulo their count)`;
    case 'reselect':
      return `set the selector of Service #${s.pick} (modulo their count) to ${selectorText(s.selector)}`;
    case 'removeNode':
      return `remove ${s.node} (the machine powers off and its Node is deleted; its pods stay bound to it)`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

/** `--max-endpoints-per-slice` of these runs: small, so that a Service's endpoints span slices. */
export const MAX_PER_SLICE = 2;
const HEADLESS = 'service.kubernetes.io/headless';

// endpointDetailsInvariant states, from the Endpoints and EndpointSlice API documentation and
// in its own code (not the controllers' decide.ts or slices.ts), what the toolkit's
// endpointsMatchPods leaves out: which ports, references, node names, hostnames, conditions and
// labels each endpoint carries, how slices are owned and filled. Added when the mutation run
// (docs/mutation-testing.md) showed that a controller publishing wrong ports, a wrong pod
// reference or wrong labels passed this suite.

const sortedEntries = (r: Readonly<Record<string, string>> | undefined): string => JSON.stringify(Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
const podIP = (pod: Pod): string | undefined => [...(pod.status?.podIPs ?? []).map((p) => p.ip), pod.status?.podIP ?? ''].find((ip) => ip !== '' && !ip.includes(':'));
const podIsReady = (pod: Pod): boolean => (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
/** Every pod here has `restartPolicy: Always`: a pod with an IP can serve. */
const selectedPods = (service: Service, pods: readonly Pod[]): Pod[] =>
  pods.filter(
    (p) => p.metadata.namespace === service.metadata.namespace && podIP(p) !== undefined && Object.entries(service.spec.selector ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v),
  );
/** `name/port/protocol/appProtocol` of each Service port the pod serves: a numeric target as is, a named one by its container port. */
function servedPorts(service: Service, pod: Pod): string[] {
  return (service.spec.ports ?? []).flatMap((sp) => {
    const target = sp.targetPort ?? sp.port;
    const port = typeof target === 'number' ? target : pod.spec.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === target)?.containerPort;
    return port === undefined ? [] : [`${sp.name ?? ''}/${port}/${sp.protocol ?? 'TCP'}/${sp.appProtocol ?? ''}`];
  });
}
const sameSet = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort());
/** The hostname an endpoint of `pod` carries for `service`: the pod's, when its subdomain names the Service. */
const hostnameFor = (service: Service, pod: Pod): string | undefined => (pod.spec.hostname && pod.spec.subdomain === service.metadata.name ? pod.spec.hostname : undefined);
const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** The zone an endpoint on `nodeName` carries: the node's `topology.kubernetes.io/zone` label, unless absent or empty. */
const zoneOf = (nodes: readonly Node[], nodeName: string | undefined): string | undefined => {
  const zone = nodes.find((n) => n.metadata.name === nodeName)?.metadata.labels?.[ZONE_LABEL];
  return zone === '' ? undefined : zone;
};

function endpointDetails(services: readonly Service[], pods: readonly Pod[], endpoints: readonly Endpoints[], slices: readonly EndpointSlice[], nodes: readonly Node[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const service of services) {
    if (Object.keys(service.spec.selector ?? {}).length === 0) continue;
    const name = service.metadata.name ?? '';
    const report = (message: string): void => void out.push({ message: `Service ${name}: ${message}`, objects: [refOf(service)] });
    const selected = selectedPods(service, pods);
    const byName = new Map(selected.map((p) => [p.metadata.name ?? '', p]));
    const headless = service.spec.clusterIP === 'None';
    // A pod bound to a node that no longer exists need not be listed: upstream's reconciler skips
    // it (unless the Service publishes not-ready addresses), but only at the Service's next sync,
    // and a Node going triggers none (endpointWritesFollowPods judges those syncs).
    const onGoneNode = (pod: Pod): boolean => service.spec.publishNotReadyAddresses !== true && (pod.spec.nodeName ?? '') !== '' && !nodes.some((n) => n.metadata.name === pod.spec.nodeName);
    const ownLabels = Object.fromEntries(Object.entries(service.metadata.labels ?? {}).filter(([k]) => k !== HEADLESS));

    const ep = endpoints.find((e) => e.metadata.namespace === service.metadata.namespace && e.metadata.name === name);
    if (ep !== undefined) {
      const want = { ...ownLabels, ...(headless ? { [HEADLESS]: '' } : {}) };
      if (sortedEntries(ep.metadata.labels) !== sortedEntries(want)) report(`Endpoints labels ${sortedEntries(ep.metadata.labels)}, expected ${sortedEntries(want)}`);
      if (ep.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'] !== undefined) report('Endpoints marked over capacity');
      const portsByPod = new Map<string, string[]>();
      const readiness = new Map<string, Set<boolean>>();
      for (const subset of ep.subsets ?? []) {
        const ports = (subset.ports ?? []).map((p) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`);
        for (const [ready, list] of [[true, subset.addresses ?? []], [false, subset.notReadyAddresses ?? []]] as const) {
          for (const a of list) {
            const pod = byName.get(a.targetRef?.name ?? '');
            if (pod === undefined) {
              report(`Endpoints address ${a.ip} refers to ${a.targetRef?.name ?? '(nothing)'}, not a selected pod`);
              continue;
            }
            const podName = pod.metadata.name ?? '';
            if (a.targetRef?.kind !== 'Pod' || a.targetRef.uid !== pod.metadata.uid || a.targetRef.namespace !== pod.metadata.namespace) report(`Endpoints address of ${podName} has targetRef ${JSON.stringify(a.targetRef)}`);
            if (a.ip !== podIP(pod)) report(`Endpoints address of ${podName} is ${a.ip}, the pod's IP is ${podIP(pod)}`);
            if ((a.nodeName ?? '') !== (pod.spec.nodeName ?? '')) report(`Endpoints address of ${podName} has nodeName ${a.nodeName}, the pod runs on ${pod.spec.nodeName}`);
            if (a.hostname !== hostnameFor(service, pod)) report(`Endpoints address of ${podName} has hostname ${a.hostname}, expected ${hostnameFor(service, pod)}`);
            portsByPod.set(podName, [...(portsByPod.get(podName) ?? []), ...ports]);
            readiness.set(podName, (readiness.get(podName) ?? new Set()).add(ready));
          }
        }
      }
      for (const [podName, ports] of portsByPod) {
        const want = servedPorts(service, byName.get(podName)!);
        if (!sameSet(ports, want)) report(`Endpoints list ${podName} on ports [${[...new Set(ports)].sort().join(', ')}], it serves [${want.sort().join(', ')}]`);
        if (readiness.get(podName)!.size > 1) report(`Endpoints list ${podName} both ready and not ready`);
      }
    }

    // Slices with no managed-by label are not the controller's (upstream's controller lists only
    // its own): the API server's `kubernetes` slice, kept when a step gives that Service a
    // selector. A controller that forgot the label is still caught: its pods go unlisted.
    const own = slices.filter((s) => s.metadata.namespace === service.metadata.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels[ENDPOINTSLICE_MANAGED_BY_LABEL] !== undefined);
    const wantSliceLabels = { ...ownLabels, [SERVICE_NAME_LABEL]: name, [ENDPOINTSLICE_MANAGED_BY_LABEL]: 'endpointslice-controller.k8s.io', ...(headless ? { [HEADLESS]: '' } : {}) };
    const wantOwner = JSON.stringify([{ apiVersion: 'v1', kind: 'Service', name, uid: service.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const listed = new Set<string>();
    for (const slice of own) {
      const sliceName = slice.metadata.name ?? '';
      if (slice.addressType !== 'IPv4') report(`slice ${sliceName} has addressType ${slice.addressType}`);
      if (slice.endpoints.length > MAX_PER_SLICE) report(`slice ${sliceName} holds ${slice.endpoints.length} endpoints, more than ${MAX_PER_SLICE}`);
      if (sortedEntries(slice.metadata.labels) !== sortedEntries(wantSliceLabels)) report(`slice ${sliceName} labels ${sortedEntries(slice.metadata.labels)}, expected ${sortedEntries(wantSliceLabels)}`);
      if (JSON.stringify(slice.metadata.ownerReferences ?? []) !== wantOwner) report(`slice ${sliceName} owner references ${JSON.stringify(slice.metadata.ownerReferences)}`);
      // An empty slice is the placeholder (no ports). Upstream deletes it once every endpoint
      // resolves ports (its port mapping is then no longer wanted), but keeps it, unchanged,
      // while some endpoints resolve no ports (a named targetPort their pod does not declare)
      // and do not fit in it below the per-slice maximum: it shares their port mapping, and
      // `reconcileByPortMapping` leaves an untouched empty slice alone and makes a new one.
      // A pod skipped for its deleted node still makes its port mapping wanted (upstream adds the
      // mapping before it looks the node up), so an empty slice of no ports may stay for it too.
      const portless = own.some((o) => o.endpoints.length > 0 && (o.ports ?? []).length === 0) || selected.some((p) => onGoneNode(p) && servedPorts(service, p).length === 0);
      if (slice.endpoints.length === 0 && !portless && own.some((o) => o.endpoints.length > 0)) report(`slice ${sliceName} is empty although others hold endpoints`);
      if (slice.endpoints.length === 0 && (slice.ports ?? []).length > 0) report(`empty slice ${sliceName} has ports`);
      const slicePorts = (slice.ports ?? []).map((p) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`);
      for (const e of slice.endpoints) {
        const pod = byName.get(e.targetRef?.name ?? '');
        if (pod === undefined) {
          report(`slice ${sliceName} lists ${e.targetRef?.name ?? '(nothing)'}, not a selected pod`);
          continue;
        }
        const podName = pod.metadata.name ?? '';
        listed.add(podName);
        const serving = podIsReady(pod);
        const terminating = pod.metadata.deletionTimestamp !== undefined;
        const ready = service.spec.publishNotReadyAddresses === true || (serving && !terminating);
        if (e.conditions.ready !== ready || e.conditions.serving !== serving || e.conditions.terminating !== terminating) {
          report(`slice ${sliceName} lists ${podName} with conditions ${JSON.stringify(e.conditions)}, expected ready ${ready}, serving ${serving}, terminating ${terminating}`);
        }
        if (e.targetRef?.kind !== 'Pod' || e.targetRef.uid !== pod.metadata.uid || e.targetRef.namespace !== pod.metadata.namespace) report(`slice ${sliceName} lists ${podName} with targetRef ${JSON.stringify(e.targetRef)}`);
        if (JSON.stringify(e.addresses) !== JSON.stringify([podIP(pod)])) report(`slice ${sliceName} lists ${podName} at ${e.addresses.join(', ')}, the pod's IP is ${podIP(pod)}`);
        if ((e.nodeName ?? '') !== (pod.spec.nodeName ?? '')) report(`slice ${sliceName} lists ${podName} on node ${e.nodeName}, the pod runs on ${pod.spec.nodeName}`);
        if (e.hostname !== hostnameFor(service, pod)) report(`slice ${sliceName} lists ${podName} with hostname ${e.hostname}, expected ${hostnameFor(service, pod)}`);
        // A slice written while the pod's node existed keeps its zone until the Service syncs again.
        const nodeGone = !nodes.some((n) => n.metadata.name === pod.spec.nodeName);
        if (!nodeGone && e.zone !== zoneOf(nodes, pod.spec.nodeName)) report(`slice ${sliceName} lists ${podName} in zone ${e.zone}, its node's zone is ${zoneOf(nodes, pod.spec.nodeName)}`);
        if (!sameSet(slicePorts, servedPorts(service, pod))) report(`slice ${sliceName} has ports [${slicePorts.join(', ')}] but lists ${podName}, which serves [${servedPorts(service, pod).join(', ')}]`);
      }
    }
    for (const pod of selected) if (!listed.has(pod.metadata.name ?? '') && !onGoneNode(pod)) report(`no slice lists ${pod.metadata.name ?? ''}`);
    if (own.length === 0) report('has no EndpointSlice (a Service without endpoints keeps a placeholder)');
  }
  return out;
}

/**
 * Liveness: after settling, each endpoint of a selector Service carries what the Endpoints and
 * EndpointSlice documentation says (see the comment above `endpointDetails`).
 */
export const endpointDetailsInvariant = invariant(
  'endpointDetails',
  "After settling, each endpoint of a Service carries the pod's reference, IP, node name and zone, hostname (when the pod sets one and the Service is its subdomain) and conditions (serving = pod Ready, terminating = being deleted, ready = serving and not terminating, or publishNotReadyAddresses); each slice carries the ports its pods serve for the Service (a named targetPort resolved on the pod), is owned by the Service, labelled with its name and the EndpointSlice controller as manager, of address type IPv4, holds at most the configured number of endpoints, and is empty only as the placeholder of a Service without endpoints.",
  (state) => endpointDetails(state.of<Service>('Service'), state.of<Pod>('Pod'), state.of<Endpoints>('Endpoints'), state.of<EndpointSlice>('EndpointSlice'), state.of<Node>('Node')),
);

/**
 * The suite's check: the drawn steps on two nodes, with the Endpoints and EndpointSlice
 * controllers of `endpoints` (default: the real ones, `MAX_PER_SLICE` endpoints per slice),
 * judged after settling by `endpointsMatchPods`, `noEndpointsWithoutService` and
 * {@link endpointDetailsInvariant}; a test adds the safety invariants it can judge.
 */
export function options(name: string, faults: fc.Arbitrary<FaultSchedule>, endpoints: Plugin = endpointsPlugin({ endpointSlices: { maxEndpointsPerSlice: MAX_PER_SLICE } })): CheckClusterOptions<Step, RunState> {
  return {
    name,
    // One node in a zone, one whose zone label is empty (an endpoint there carries no zone).
    cluster: { nodes: [{ name: 'node-1', labels: { [ZONE_LABEL]: 'zone-a' } }, { name: 'node-2', labels: { [ZONE_LABEL]: '' } }], controllerManager: { plugins: [endpoints] } },
    runState: () => ({ pods: 0 }),
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    liveness: [endpointsMatchPodsInvariant, noEndpointsWithoutServiceInvariant, endpointDetailsInvariant],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}

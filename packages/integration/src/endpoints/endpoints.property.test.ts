/**
 * The Endpoints and EndpointSlice controllers under random pods, labels and Services (upstream's
 * level-triggered `syncService`). The properties, for every run, once the faults stop and the
 * cluster settles (and over a stable window after it):
 *
 * - every selector Service's Endpoints lists exactly the IPs of its ready, non-terminating
 *   selected pods with an IP (not-ready ones as not ready, or ready with
 *   `publishNotReadyAddresses`), and its EndpointSlices together list the same endpoints
 *   (`endpointsMatchPodsInvariant` of the toolkit);
 * - the Endpoints of a deleted Service are gone (by name, as upstream).
 *
 * They hold without faults, when the controller manager crashes (before or after a write
 * reaches the store) and restarts while writes fail (503, 409, 500, 429), and when every watch of
 * the controller manager is cut with 410 Gone. The faults are the toolkit's (`@kubeloop/testing`):
 * fault schedules drawn by fast-check and played by `checkCluster`, which shrinks a failure to its
 * few actions and faults and prints a replay command.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { Pods, Services } from '@kubeloop/core';
import { DEEP, checkCluster, endpointsMatchPodsInvariant, faultArbitrary, faultSchedules, faultSchedulesWith, noEndpointsWithoutServiceInvariant } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { endpointsPlugin } from '@kubeloop/controllers';

const RUNS = DEEP ? 340 : 15;
/** Actions per run (after the first, which creates the initial Services and pods). */
const MAX_STEPS = 8;
const APPS = ['a', 'b'] as const;
const TIERS = ['x', 'y'] as const;

interface PodSpec {
  readonly app: (typeof APPS)[number];
  readonly tier: (typeof TIERS)[number];
  /** Readiness never comes (a readiness probe failing for an hour). */
  readonly neverReady: boolean;
  /** Names its container port `http` (else the port is unnamed). */
  readonly namedPort: boolean;
}

interface ServiceSpec {
  readonly selector: Readonly<Record<string, string>>;
  readonly targetPort: number | 'http';
  readonly publishNotReadyAddresses: boolean;
}

/** What the test does; controller-manager crashes, failing writes and cut watches are fault schedules. */
type Step =
  | { readonly kind: 'init'; readonly services: readonly ServiceSpec[]; readonly pods: readonly PodSpec[] }
  | { readonly kind: 'addPod'; readonly pod: PodSpec }
  | { readonly kind: 'deletePod'; readonly pick: number }
  | { readonly kind: 'relabel'; readonly pick: number; readonly app: string | undefined }
  | { readonly kind: 'deleteService'; readonly pick: number }
  | { readonly kind: 'reselect'; readonly pick: number; readonly selector: Readonly<Record<string, string>> }
  | { readonly kind: 'wait'; readonly ms: number };

const podSpec: fc.Arbitrary<PodSpec> = fc.record({ app: fc.constantFrom(...APPS), tier: fc.constantFrom(...TIERS), neverReady: fc.boolean(), namedPort: fc.boolean() });
const selector: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.record({ app: fc.constantFrom(...APPS) }),
  fc.record({ tier: fc.constantFrom(...TIERS) }),
  fc.record({ app: fc.constantFrom(...APPS), tier: fc.constantFrom(...TIERS) }),
);
const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.record({ selector, targetPort: fc.constantFrom<number | 'http'>(80, 'http'), publishNotReadyAddresses: fc.boolean() });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addPod' as const), pod: podSpec }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(50), app: fc.constantFrom<string | undefined>('a', 'b', 'stray', undefined) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteService' as const), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reselect' as const), pick: fc.nat(10), selector }) },
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
interface RunState {
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
      ...(spec.neverReady ? { annotations: { 'kubeloop.dev/behavior': 'not-ready-for=1h' } } : {}),
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'kiamol/ch02-whoami',
          ports: [{ containerPort: 80, ...(spec.namedPort ? { name: 'http' } : {}) }],
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
    metadata: { name, namespace: 'default', labels: { team: name } },
    spec: { selector: spec.selector, ports: [{ port: 8080, targetPort: spec.targetPort }], publishNotReadyAddresses: spec.publishNotReadyAddresses },
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
      const pod = await pick(() => server.list(Pods, { namespace: 'default' }), s.pick);
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
  return `app=${p.app},tier=${p.tier}${p.neverReady ? ' never ready' : ''}${p.namedPort ? ' port http' : ''}`;
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'init':
      return `create ${s.services.map((v, i) => `svc-${i} (${selectorText(v.selector)} → ${v.targetPort}${v.publishNotReadyAddresses ? ', publishNotReadyAddresses' : ''})`).join(', ')}; pods ${s.pods.map(podText).join('; ') || '(none)'}`;
    case 'addPod':
      return `add a pod ${podText(s.pod)}`;
    case 'deletePod':
      return `delete pod #${s.pick} (modulo their count)`;
    case 'relabel':
      return `set app=${s.app ?? '(none)'} on pod #${s.pick} (modulo their count)`;
    case 'deleteService':
      return `delete Service #${s.pick} (modulo their count)`;
    case 'reselect':
      return `set the selector of Service #${s.pick} (modulo their count) to ${selectorText(s.selector)}`;
    case 'wait':
      return `wait ${s.ms} ms`;
  }
}

function options(name: string, faults: fc.Arbitrary<FaultSchedule>): CheckClusterOptions<Step, RunState> {
  return {
    name,
    cluster: { nodes: 2, controllerManager: { plugins: [endpointsPlugin({ endpointSlices: { maxEndpointsPerSlice: 2 } })] } },
    runState: () => ({ pods: 0 }),
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    liveness: [endpointsMatchPodsInvariant, noEndpointsWithoutServiceInvariant],
    stepMs: 1,
    stableMs: 10_000,
    runs: RUNS,
  };
}


describe('Endpoints and EndpointSlices under random pods, labels and Services', () => {
  it('after settling, every selector Service’s Endpoints lists exactly the IPs of its ready, non-terminating selected pods with an IP, and its slices together list the same endpoints', async () => {
    await checkCluster(options('endpoints: no faults', fc.constant([])));
  }, 120_000);

  it('the same holds when the controller manager crashes (before or after a write reaches the store) and restarts, and writes fail with 503, 409, 500 or 429', async () => {
    // One crash within the first 15 writes (every run makes that many), more crashes and failing writes drawn.
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash', 'writeError', 'writeError'], maxFaults: 5, maxWrite: 40 }));
    await checkCluster(options('endpoints: crashes and failing writes', faults));
  }, 120_000);

  it('the same holds when every watch of the controller manager is cut with 410 Gone every few seconds while the faults last', async () => {
    const expire = fc.record({ kind: fc.constant('expireWatches' as const), afterMs: fc.integer({ min: 2_000, max: 15_000 }) });
    // Repeated cuts back an informer off up to 30 s before it relists: settle over a longer window.
    await checkCluster({ ...options('endpoints: cut watches', faultSchedulesWith([expire], fc.constant([]))), settleQuietMs: 75_000 });
  }, 120_000);
});

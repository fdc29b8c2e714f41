/**
 * The Endpoints and EndpointSlice controllers under random pods, labels and Services, with and
 * without controller-manager crashes and cut watches: once the cluster settles, every
 * selector Service's Endpoints and slices say exactly what its pods are (upstream's
 * level-triggered `syncService`).
 */
import { describe, expect, it } from 'vitest';
import { fc } from '@fast-check/vitest';
import { ApiError, EndpointSlices, Endpoints, Pods, Services, WRITE_VERBS, faults } from '@kubeloop/core';
import type { ClientInterceptor, Clock } from '@kubeloop/core';
import { SimCluster, expireWatches } from '@kubeloop/testing';
import { endpointsMatchPods } from './invariants.js';
import type { EndpointsState } from './invariants.js';
import { endpointsPlugin } from './plugin.js';

const DEEP = process.env.KUBELOOP_DEEP === '1';
const RUNS = DEEP ? 200 : 15;
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

type Step =
  | { readonly kind: 'addPod'; readonly pod: PodSpec }
  | { readonly kind: 'deletePod'; readonly pick: number }
  | { readonly kind: 'relabel'; readonly pick: number; readonly app: string | undefined }
  | { readonly kind: 'deleteService'; readonly pick: number }
  | { readonly kind: 'reselect'; readonly pick: number; readonly selector: Readonly<Record<string, string>> }
  | { readonly kind: 'restart' }
  | { readonly kind: 'wait'; readonly ms: number };

const podSpec: fc.Arbitrary<PodSpec> = fc.record({ app: fc.constantFrom(...APPS), tier: fc.constantFrom(...TIERS), neverReady: fc.boolean(), namedPort: fc.boolean() });
const selector: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.record({ app: fc.constantFrom(...APPS) }),
  fc.record({ tier: fc.constantFrom(...TIERS) }),
  fc.record({ app: fc.constantFrom(...APPS), tier: fc.constantFrom(...TIERS) }),
);
const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.record({ selector, targetPort: fc.constantFrom<number | 'http'>(80, 'http'), publishNotReadyAddresses: fc.boolean() });

const baseStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addPod' as const), pod: podSpec }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(50), app: fc.constantFrom<string | undefined>('a', 'b', 'stray', undefined) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteService' as const), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reselect' as const), pick: fc.nat(10), selector }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_000, max: 30_000 })) }) },
);
const withRestarts: fc.Arbitrary<Step> = fc.oneof({ weight: 6, arbitrary: baseStep }, { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restart' }) });

let podCounter = 0;
function podManifest(spec: PodSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${podCounter++}`,
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

async function snapshot(cluster: SimCluster): Promise<EndpointsState> {
  return {
    services: (await cluster.server.list(Services)).items,
    pods: (await cluster.server.list(Pods)).items,
    endpoints: (await cluster.server.list(Endpoints)).items,
    endpointSlices: (await cluster.server.list(EndpointSlices)).items,
  };
}

async function run(services: readonly ServiceSpec[], pods: readonly PodSpec[], steps: readonly Step[], seed: number, interceptors?: (clock: Clock) => readonly ClientInterceptor[]): Promise<void> {
  const cluster = await SimCluster.create({
    seed,
    nodes: 2,
    controllerManager: { plugins: [endpointsPlugin({ endpointSlices: { maxEndpointsPerSlice: 2 } })], ...(interceptors === undefined ? {} : { interceptors }) },
  });
  try {
    await cluster.apply(services.map((s, i) => serviceManifest(`svc-${i}`, s)));
    await cluster.apply(pods.map(podManifest));
    for (const step of steps) await apply(cluster, step);
    await cluster.settle();
    const state = await snapshot(cluster);
    expect(endpointsMatchPods(state)).toEqual([]);
    // The Endpoints of deleted Services are gone (by name, as upstream).
    const live = new Set(state.services.map((s) => s.metadata.name));
    expect(state.endpoints.map((e) => e.metadata.name).filter((n) => !live.has(n) && n !== 'kubernetes')).toEqual([]);
  } finally {
    await cluster.stop();
  }
}

async function apply(cluster: SimCluster, step: Step): Promise<void> {
  const server = cluster.server;
  const pick = async <T>(list: () => Promise<{ readonly items: readonly T[] }>, n: number): Promise<T | undefined> => {
    const items = (await list()).items;
    return items[n % Math.max(1, items.length)];
  };
  switch (step.kind) {
    case 'addPod':
      await cluster.apply(podManifest(step.pod));
      return;
    case 'deletePod': {
      const pod = await pick(() => server.list(Pods, { namespace: 'default' }), step.pick);
      if (pod !== undefined) await server.delete(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'relabel': {
      const pod = await pick(() => server.list(Pods, { namespace: 'default' }), step.pick);
      if (pod === undefined) return;
      await server.patch(Pods, { namespace: 'default', name: pod.metadata.name ?? '' }, { type: 'merge', body: { metadata: { labels: { app: step.app ?? null } } } }).catch(() => undefined);
      return;
    }
    case 'deleteService': {
      const svc = await pick(() => server.list(Services, { namespace: 'default' }), step.pick);
      if (svc !== undefined) await server.delete(Services, { namespace: 'default', name: svc.metadata.name ?? '' }).catch(() => undefined);
      return;
    }
    case 'reselect': {
      const svc = await pick(() => server.list(Services, { namespace: 'default' }), step.pick);
      if (svc === undefined) return;
      await server.update(Services, { ...svc, spec: { ...svc.spec, selector: { ...step.selector } } }).catch(() => undefined);
      return;
    }
    case 'restart':
      await cluster.restartControllerManager();
      return;
    case 'wait':
      await cluster.advance(step.ms);
      return;
  }
}

/** Fails every fifth write of the controller manager (deterministic: no randomness needed). */
function everyFifthWriteFails(): ClientInterceptor {
  let writes = 0;
  return faults((r) => (WRITE_VERBS.has(r.verb) && ++writes % 5 === 0 ? new ApiError('ServiceUnavailable', 'injected fault') : undefined));
}

const services = fc.array(serviceSpec, { minLength: 1, maxLength: 3 });
const pods = fc.array(podSpec, { maxLength: 6 });

describe('Endpoints and EndpointSlices under random pods, labels and Services', () => {
  it('after settling, every selector Service’s Endpoints lists exactly the IPs of its ready, non-terminating selected pods with an IP, and its slices together list the same endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(services, pods, fc.array(baseStep, { maxLength: 8 }), fc.nat(1000), async (s, p, steps, seed) => run(s, p, steps, seed)),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('the same holds when the controller manager crashes and restarts between steps and one write in five fails with 503', async () => {
    await fc.assert(
      fc.asyncProperty(services, pods, fc.array(withRestarts, { maxLength: 8 }), fc.nat(1000), async (s, p, steps, seed) => run(s, p, steps, seed, () => [everyFifthWriteFails()])),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('the same holds when every watch of the controller manager is cut with 410 Gone every 15 s', async () => {
    await fc.assert(
      fc.asyncProperty(services, pods, fc.array(baseStep, { maxLength: 8 }), fc.nat(1000), async (s, p, steps, seed) => run(s, p, steps, seed, (clock) => [expireWatches(clock, 15_000)])),
      { numRuns: RUNS },
    );
  }, 120_000);
});

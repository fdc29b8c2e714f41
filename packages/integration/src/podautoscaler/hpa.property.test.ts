/**
 * The HPA under random load, metrics-server outages and faults: two Deployments (one HPA with a
 * `behavior` of +1 pod per 30 s up and a 60 s scale-down window, one without behavior) whose
 * per-pod CPU load changes at random, a metrics API that stops answering and comes back, and
 * controller-manager crashes or API latency.
 *
 * Checked: the invariants the plugin registers (bounds, policies, stabilization); the strict
 * policy form where the controller keeps its memory (no crashes); and what upstream promises
 * of an outage — the HPA keeps the current scale (no rescale from metrics while the API is
 * down) and, once it has synced, says so with `ScalingActive=False` / `FailedGetResourceMetric`.
 * Each is then shown failing on an HPA controller broken on purpose (`../sabotage.ts`).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filter } from 'rxjs';
import type { Observable } from 'rxjs';
import { ApiError, Deployments, HorizontalPodAutoscalers, PodMetricses, VIRTUAL_EPOCH_MS, parseTime, refOf, transitionInvariant, invariant } from '@kubeloop/core';
import type { ClientInterceptor, ClientRequest, HorizontalPodAutoscaler, Invariant, KubeObject, Plugin, WatchEvent } from '@kubeloop/core';
import { DEEP, DEFAULT_CONTROLLER_PLUGINS, checkCluster, faultArbitrary, faultSchedules, faultSchedulesWith, runCase } from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, RunContext, SimCluster } from '@kubeloop/testing';
import { HPA_PLUGIN_NAME, horizontalPodAutoscalerPlugin, hpaScaleStepsWithinPolicies } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const RUNS = DEEP ? 100 : 4;
const MAX_STEPS = 7;
const NODES = 2;

type Step =
  | { readonly kind: 'load'; readonly app: 'web' | 'api'; readonly milli: number }
  | { readonly kind: 'metrics'; readonly up: boolean }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('load' as const), app: fc.constantFrom('web' as const, 'api' as const), milli: fc.constantFrom(10, 40, 120, 300) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('metrics' as const), up: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 5_000, max: 120_000 }) }) },
);

/** A run's metrics API: outages as [from, to) in wall-clock ms of the virtual clock. */
interface Outages {
  readonly spans: { from: number; to?: number }[];
}

const down = (o: Outages): boolean => o.spans.length > 0 && o.spans[o.spans.length - 1]!.to === undefined;

/** The run in progress (runs are sequential): the interceptor reads its outages. */
let current: Outages = { spans: [] };

/**
 * The controller manager's view of `metrics.k8s.io` during an outage: every call fails with 503,
 * as an aggregated API whose server stopped answering; open watches stay open but carry nothing
 * (a cache built on them keeps what it last heard).
 */
const metricsOutage: ClientInterceptor = {
  request: (request, next) => (request.resource === PodMetricses && down(current) ? Promise.reject(new ApiError('ServiceUnavailable', 'the server is currently unable to handle the request (get pods.metrics.k8s.io)')) : next()),
  watch: <T extends KubeObject>(request: ClientRequest, next: () => Observable<WatchEvent<T>>) => (request.resource === PodMetricses ? next().pipe(filter(() => !down(current))) : next()),
};

function app(name: 'web' | 'api', replicas: number, milli: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'kubeloop.dev/cpu-usage': `${milli}m` } },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/hpa-example', resources: { requests: { cpu: '100m' } } }] },
      },
    },
  };
}

function hpa(name: 'web' | 'api', behavior: object | undefined, max: number): object {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...(behavior === undefined ? {} : { behavior }),
    },
  };
}

const WEB_BEHAVIOR = {
  scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] },
  scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 50, periodSeconds: 30 }] },
};

async function perform(cluster: SimCluster, s: Step, context: RunContext<Outages>): Promise<void> {
  if (s.kind === 'wait') return context.advance(s.ms);
  if (s.kind === 'metrics') {
    const now = cluster.now() + VIRTUAL_EPOCH_MS;
    if (!s.up && !down(context.state)) context.state.spans.push({ from: now });
    if (s.up && down(context.state)) context.state.spans[context.state.spans.length - 1]!.to = now;
    return context.advance(1_000);
  }
  await cluster.server.patch(Deployments, { namespace: 'default', name: s.app }, { type: 'merge', body: { spec: { template: { metadata: { annotations: { 'kubeloop.dev/cpu-usage': `${s.milli}m` } } } } } });
  return context.advance(1_000);
}

/**
 * Transition: no HPA rescales through its metrics while the metrics API is down: upstream keeps
 * the current scale when it cannot compute a count. Corrections into [min, max] need no metrics
 * and are exempt.
 *
 * A rescale is flagged only when the metrics read it came from surely fell inside the outage.
 * Upstream reads the metrics, writes the scale, and only then stamps `lastScaleTime`
 * (`setStatus` reads `time.Now()` after `Scales().Update`), in whole seconds, and writes the
 * status after that. So the read came before the outage ended when the stamp's second ended
 * before it, or the status write did; and after it began when the stamp's second starts more
 * than `readToRecordMs` after it — the most the run's faults put between a read and its stamp
 * (a latency on the metrics request and on the scale write). A request made in the very
 * millisecond the outage begins may still be answered, hence "more than".
 */
function holdsScaleWithoutMetrics(outages: Outages, readToRecordMs: number): Invariant {
  return transitionInvariant('hpaHoldsScaleWithoutMetrics', 'While the metrics API does not answer, no HorizontalPodAutoscaler rescales its target from metrics.', (previous, state) => {
    const out = [];
    // an HPA may be written twice in one step: a later status write of the same rescale is no new rescale
    const seen = new Map<string, string | undefined>();
    for (const c of state.changes) {
      if (c.object.kind !== 'HorizontalPodAutoscaler' || c.type === 'DELETED') continue;
      const h = c.object as HorizontalPodAutoscaler;
      const key = `${h.metadata.namespace ?? ''}/${h.metadata.name ?? ''}`;
      const before = seen.has(key) ? seen.get(key) : previous.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', h.metadata.namespace, h.metadata.name ?? '')?.status.lastScaleTime;
      const at = h.status.lastScaleTime;
      seen.set(key, at);
      if (at === undefined || at === before) continue;
      const from = h.status.currentReplicas ?? 0;
      if (from < h.spec.minReplicas || from > h.spec.maxReplicas) continue;
      const atMs = parseTime(at);
      const writtenMs = c.t === undefined ? Infinity : VIRTUAL_EPOCH_MS + c.t;
      if (outages.spans.some((o) => atMs > o.from + readToRecordMs && (o.to === undefined || Math.min(atMs + 1000, writtenMs + 1) <= o.to))) {
        out.push({ message: `rescaled its target from ${from} to ${h.status.desiredReplicas} at ${at}, while the metrics API did not answer`, objects: [refOf(h)] });
      }
    }
    return out;
  });
}

/** Liveness: once settled during an outage, every HPA says it cannot compute a count (ScalingActive False, FailedGetResourceMetric). */
function reportsInactiveWithoutMetrics(outages: Outages): Invariant {
  return invariant('hpaInactiveWithoutMetrics', 'Once settled while the metrics API does not answer, every HorizontalPodAutoscaler has ScalingActive False with reason FailedGetResourceMetric.', (state) => {
    if (!down(outages)) return [];
    return state.of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler').flatMap((h) => {
      const c = h.status.conditions?.find((x) => x.type === 'ScalingActive');
      return c?.status === 'False' && c.reason === 'FailedGetResourceMetric' ? [] : [{ message: `has ScalingActive ${c?.status ?? 'unset'} (${c?.reason ?? ''}) while the metrics API does not answer`, objects: [refOf(h)] }];
    });
  });
}

/** Transition: the strict form of the policies (the HPA's own earlier steps count), for runs where the controller keeps its memory. */
const strictPolicies = transitionInvariant('hpaScaleStepsWithinPoliciesStrict', 'Within a policy period, the HPA scale steps together stay within the policy (the controller never restarts).', (_previous, state) => {
  const changes = [];
  for (let s: typeof state | undefined = state; s !== undefined; s = s.previous) changes.unshift(...s.changes);
  const now = new Set(state.changes.map((c) => c.object));
  return hpaScaleStepsWithinPolicies(changes, { rememberScaleSteps: true, only: (r) => now.has(r.hpa) });
});

/** The most a latency fault adds to one request of the controller manager in these runs. */
const MAX_LATENCY_MS = 500;

/** The check's options; `latencyMs`: the most its faults add to one request. */
function options(name: string, faults: fc.Arbitrary<FaultSchedule>, extra: readonly Invariant[] = [], plugin: Plugin = horizontalPodAutoscalerPlugin(), latencyMs = 0): CheckClusterOptions<Step, Outages> {
  return {
    name,
    cluster: {
      nodes: NODES,
      metricsServer: true,
      controllerManager: { plugins: [...DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== HPA_PLUGIN_NAME), plugin], interceptors: [metricsOutage] },
    },
    runState: () => (current = { spans: [] }),
    setup: async (cluster) => {
      await cluster.apply([app('web', 2, 40), hpa('web', WEB_BEHAVIOR, 6), app('api', 1, 40), hpa('api', undefined, 5)]);
      await cluster.advance(30_000);
    },
    actions: fc.array(step, { minLength: 1, maxLength: MAX_STEPS }),
    perform,
    describe: (s) => (s.kind === 'wait' ? `wait ${s.ms} ms` : s.kind === 'metrics' ? `metrics API ${s.up ? 'answers again' : 'stops answering'}` : `${s.app} pods use ${s.milli}m each`),
    faults,
    // a rescale's metrics request and its scale write lie between its metrics read and its stamp
    safety: (o) => [holdsScaleWithoutMetrics(o, 2 * latencyMs), ...extra],
    liveness: (o) => [reportsInactiveWithoutMetrics(o)],
    stepMs: 1,
    // +1 pod per 30 s up to 6, a 60 s window and rollouts of each load change: slow to converge by design
    settleMaxMs: 600_000,
    stableMs: 30_000,
    runs: RUNS,
  };
}

describe('the HPA under random load and metrics outages', () => {
  it('with controller-manager crashes: bounds, policies and windows hold; an outage keeps the scale and says ScalingActive False', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 20 })], faultSchedules({ kinds: ['crash'], maxFaults: 1, maxWrite: 40, steps: MAX_STEPS, nodes: NODES }));
    await checkCluster(options('hpa: crashes', faults));
  }, 300_000);

  it('with API latency and no crash: the scale steps stay within their policies over whole periods (the strict form)', async () => {
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['latency'], maxDelayMs: MAX_LATENCY_MS })], fc.constant([]));
    await checkCluster(options('hpa: latency', faults, [strictPolicies], horizontalPodAutoscalerPlugin(), MAX_LATENCY_MS));
  }, 300_000);
});

/** What each broken controller gets wrong, the steps that show it, and the invariant that must see it. */
const hpaRead = (f: (h: HorizontalPodAutoscaler) => HorizontalPodAutoscaler) => (r: { resource: string }, o: KubeObject) => (r.resource === HorizontalPodAutoscalers.resource ? f(o as HorizontalPodAutoscaler) : o);
const SURGE: Step[] = [{ kind: 'load', app: 'web', milli: 300 }, { kind: 'wait', ms: 20_000 }];
const STALE_SCALE_DOWN: Step[] = [
  { kind: 'load', app: 'api', milli: 300 },
  { kind: 'wait', ms: 60_000 },
  { kind: 'load', app: 'api', milli: 10 },
  { kind: 'wait', ms: 40_000 },
  { kind: 'metrics', up: false },
  { kind: 'wait', ms: 300_000 },
];
const cases: { name: string; invariant: string; plugin: Plugin; steps: Step[]; latencyMs?: number }[] = [
  {
    name: 'a controller that ignores spec.behavior (upstream’s legacy limit max(2c, 4) instead of +1 pod per 30 s)',
    invariant: 'hpaScaleStepsWithinPolicies',
    plugin: sabotaged(horizontalPodAutoscalerPlugin(), { read: hpaRead((h) => ({ ...h, spec: { ...h.spec, behavior: undefined } })) }),
    steps: SURGE,
  },
  {
    name: 'a controller without a scale-down stabilization window',
    invariant: 'hpaScaleDownsStabilized',
    plugin: sabotaged(horizontalPodAutoscalerPlugin(), { read: hpaRead((h) => ({ ...h, spec: { ...h.spec, behavior: { ...h.spec.behavior, scaleDown: { ...h.spec.behavior?.scaleDown, stabilizationWindowSeconds: 0 } } } })) }),
    steps: [...SURGE, { kind: 'wait', ms: 20_000 }, { kind: 'load', app: 'web', milli: 10 }, { kind: 'wait', ms: 30_000 }],
  },
  {
    name: 'a controller that reads the metrics from its informer cache, which keeps the last values when the API stops answering',
    invariant: 'hpaInactiveWithoutMetrics',
    plugin: sabotaged(horizontalPodAutoscalerPlugin(), { listFromCache: (r) => r.resource === PodMetricses.resource }),
    steps: [{ kind: 'wait', ms: 30_000 }, { kind: 'metrics', up: false }, { kind: 'wait', ms: 60_000 }],
  },
  {
    name: 'the same cache-reading controller, which scales down on stale metrics once the window has passed during the outage',
    invariant: 'hpaHoldsScaleWithoutMetrics',
    plugin: sabotaged(horizontalPodAutoscalerPlugin(), { listFromCache: (r) => r.resource === PodMetricses.resource }),
    steps: STALE_SCALE_DOWN,
  },
  {
    name: 'the same cache-reading controller when every request takes the longest latency (the rule then allows a second between a read and its stamp)',
    invariant: 'hpaHoldsScaleWithoutMetrics',
    plugin: sabotaged(horizontalPodAutoscalerPlugin(), { listFromCache: (r) => r.resource === PodMetricses.resource }),
    steps: STALE_SCALE_DOWN,
    latencyMs: MAX_LATENCY_MS,
  },
];

describe('the HPA invariants against controllers broken on purpose', () => {
  for (const c of cases) {
    it(`${c.invariant} catches ${c.name}; the real controller passes the same steps`, async () => {
      const latency: FaultSchedule = c.latencyMs === undefined ? [] : [{ kind: 'latency', ms: c.latencyMs }];
      const { actions: _a, faults: _f, runs: _r, ...broken } = options(`hpa broken: ${c.invariant}`, fc.constant([]), [], c.plugin, c.latencyMs);
      expect((await runCase(broken, 1, c.steps, latency)).failure?.invariant).toBe(c.invariant);
      const { actions: _a2, faults: _f2, runs: _r2, ...real } = options(`hpa real: ${c.invariant}`, fc.constant([]), [], horizontalPodAutoscalerPlugin(), c.latencyMs);
      const outcome = await runCase(real, 1, c.steps, latency);
      expect(outcome.failure).toBeUndefined();
    }, 120_000);
  }

  // the deep run's counterexample (seed 20261206): the metrics API answers again at 1:45.001; the
  // next sync starts at 1:45.005, reads the metrics at 1:45.006 and scales web from 2 to 1, so
  // its lastScaleTime reads 1:45 — the outage's last second, but after the outage ended
  it('hpaHoldsScaleWithoutMetrics passes a rescale whose metrics were read after the outage ended within the same second of lastScaleTime', async () => {
    const steps: Step[] = [{ kind: 'metrics', up: false }, { kind: 'load', app: 'web', milli: 10 }, { kind: 'wait', ms: 72_998 }, { kind: 'metrics', up: true }, { kind: 'wait', ms: 5_000 }];
    const { actions: _a, faults: _f, runs: _r, ...real } = options('hpa real: outage ends within a second', fc.constant([]), [strictPolicies], horizontalPodAutoscalerPlugin(), MAX_LATENCY_MS);
    const outcome = await runCase(real, 0, steps, [{ kind: 'latency', ms: 1 }]);
    expect(outcome.failure).toBeUndefined();
  }, 120_000);
});

/**
 * Arbitraries for Kubernetes objects that pass the API server's admission: pod templates with
 * resource requests, ReplicaSets, Deployments, DaemonSets, Services and node pools. Names and
 * labels come from small vocabularies, so that generated actions often touch the same objects
 * and selectors often overlap — where controllers' bugs live.
 *
 * @module
 */
import fc from 'fast-check';
import type { NodeSpec } from '../sim/cluster.js';
import type { TaintSpec } from '../check/actions.js';

/** A plain manifest object (what `SimCluster.apply` takes). */
export type Manifest = Readonly<Record<string, unknown>>;

/** Workload names: a small pool, so that actions collide. */
export const WORKLOAD_NAMES: readonly string[] = ['web', 'api', 'db'];
/**
 * Images the fake runtime pulls in a few virtual seconds, all of servers that run until stopped
 * (a bare shell image such as busybox exits at once and crash-loops, as in a real cluster, so
 * it is no stand-in for an application here).
 */
export const IMAGES: readonly string[] = ['nginx:1.25', 'traefik/whoami:v1.10', 'registry.example.com/app:v1', 'registry.example.com/app:v2'];

/** A workload name from {@link WORKLOAD_NAMES}. */
export const workloadName = (): fc.Arbitrary<string> => fc.constantFrom(...WORKLOAD_NAMES);

/** Label sets over a small vocabulary (`tier`, `track`), possibly empty. */
export function labelSets(): fc.Arbitrary<Record<string, string>> {
  return fc.record({ tier: fc.constantFrom('front', 'back'), track: fc.constantFrom('stable', 'canary') }, { requiredKeys: [] });
}

/** Container resource requests (and sometimes limits equal to them): cpu 50m–2, memory 32Mi–2Gi. */
export function resourceRequirements(): fc.Arbitrary<Record<string, Record<string, string>>> {
  const requests = fc.record({ cpu: fc.integer({ min: 1, max: 40 }).map((n) => `${n * 50}m`), memory: fc.integer({ min: 1, max: 64 }).map((n) => `${n * 32}Mi`) }, { requiredKeys: [] });
  return fc.tuple(requests, fc.boolean()).map(([r, limited]): Record<string, Record<string, string>> => {
    const set = Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => e[1] !== undefined));
    return limited && Object.keys(set).length > 0 ? { requests: set, limits: set } : { requests: set };
  });
}

/** A pod template whose labels include `app: <app>` (what the selectors of its workload match). */
export function podTemplates(app: string): fc.Arbitrary<Manifest> {
  const container = (i: number) => fc.record({ name: fc.constant(`c${i}`), image: fc.constantFrom(...IMAGES), resources: resourceRequirements() });
  return fc.record({
    labels: labelSets(),
    containers: fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => container(i)))),
    nodeSelector: fc.option(fc.constant({ pool: 'a' }), { nil: undefined, freq: 4 }),
    terminationGracePeriodSeconds: fc.constantFrom(0, 1, 30),
  }).map(({ labels, containers, nodeSelector, terminationGracePeriodSeconds }) => ({
    metadata: { labels: { ...labels, app } },
    spec: { containers, terminationGracePeriodSeconds, ...(nodeSelector === undefined ? {} : { nodeSelector }) },
  }));
}

const meta = (name: string) => ({ name, namespace: 'default', labels: { app: name } });

/**
 * Replica counts from 0 to `max` (default 5), biased to the boundaries where rollout arithmetic
 * goes wrong: 1, 2 or 3 about two times in three (a percentage of them rounds, and one pod more
 * or less is a large share), 0 more often than uniformly, the rest anywhere in range.
 *
 * Worked example: 25% of 3 replicas is 0.75 — `maxSurge` 1 (rounded up), `maxUnavailable` 0
 * (rounded down); a controller that rounds either the other way breaks a rollout bound.
 */
export function replicaCounts(max = 5): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: Math.min(1, max), max: Math.min(3, max) }) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max }) },
  );
}

/**
 * The percentages {@link intOrPercents} favours: each is a fraction of 1, 2 or 3 replicas that
 * is not a whole number for at least two of them, so it rounds (up for `maxSurge`, down for
 * `maxUnavailable`, upstream `GetScaledValueFromIntOrPercent`).
 */
export const ROUNDING_PERCENTS: readonly string[] = Object.freeze(['10%', '25%', '33%', '50%', '75%', '99%']);

/**
 * A `maxSurge`/`maxUnavailable` value biased to the boundaries: 0 (`0` or `0%`) about three
 * times in ten, a percentage of {@link ROUNDING_PERCENTS} four times in ten, else 1–3 or `100%`.
 */
export function intOrPercents(): fc.Arbitrary<number | string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<number | string>(0, '0%') },
    { weight: 4, arbitrary: fc.constantFrom<number | string>(...ROUNDING_PERCENTS) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 1, arbitrary: fc.constant<number | string>('100%') },
  );
}

/** A Deployment's RollingUpdate strategy (the `strategy` field). */
export interface RollingUpdateStrategy {
  /** Always `RollingUpdate`. */
  readonly type: 'RollingUpdate';
  /** Its parameters. */
  readonly rollingUpdate: { readonly maxSurge: number | string; readonly maxUnavailable: number | string };
}

const isZero = (v: number | string) => v === 0 || v === '0%';

/**
 * RollingUpdate strategies with `maxSurge` and `maxUnavailable` from {@link intOrPercents}; when
 * both are zero (which validation refuses) `maxSurge` becomes 1. Both resolve to 0 for small
 * replica counts often (e.g. `10%`/`0` at 3 replicas), where upstream lets one pod be
 * unavailable.
 */
export function rollingUpdates(): fc.Arbitrary<RollingUpdateStrategy> {
  return fc
    .record({ maxSurge: intOrPercents(), maxUnavailable: intOrPercents() })
    .map((ru) => ({ type: 'RollingUpdate' as const, rollingUpdate: isZero(ru.maxSurge) && isZero(ru.maxUnavailable) ? { ...ru, maxSurge: 1 } : ru }));
}

/** ReplicaSets (apps/v1) with 0–5 replicas ({@link replicaCounts}), selecting `app: <name>`. */
export function replicaSets(name: fc.Arbitrary<string> = workloadName()): fc.Arbitrary<Manifest> {
  return name.chain((n) =>
    fc.record({ replicas: replicaCounts(), template: podTemplates(n), minReadySeconds: fc.constantFrom(0, 0, 5) }).map((spec) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta(n),
      spec: { ...spec, selector: { matchLabels: { app: n } } },
    })),
  );
}

/**
 * Deployments (apps/v1) with 0–5 replicas ({@link replicaCounts}): RollingUpdate
 * ({@link rollingUpdates}) or, with `recreate` (default true), Recreate. Applying a Recreate
 * Deployment over a live RollingUpdate one is refused (a merge keeps `rollingUpdate`), so
 * action arbitraries leave Recreate out.
 */
export function deployments(name: fc.Arbitrary<string> = workloadName(), recreate = true): fc.Arbitrary<Manifest> {
  const rolling = rollingUpdates();
  const strategy = recreate ? fc.oneof<fc.Arbitrary<object>[]>(rolling, fc.constant({ type: 'Recreate' })) : rolling;
  return name.chain((n) =>
    fc.record({ replicas: replicaCounts(), template: podTemplates(n), strategy, revisionHistoryLimit: fc.constantFrom(0, 2, 10), minReadySeconds: fc.constantFrom(0, 0, 5) }).map((spec) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(n),
      spec: { ...spec, selector: { matchLabels: { app: n } } },
    })),
  );
}

/** DaemonSets (apps/v1), RollingUpdate or OnDelete. */
export function daemonSets(name: fc.Arbitrary<string> = workloadName()): fc.Arbitrary<Manifest> {
  const updateStrategy = fc.oneof(
    fc.record({ type: fc.constant('RollingUpdate'), rollingUpdate: fc.record({ maxUnavailable: fc.constantFrom(1, 2, '50%') }) }),
    fc.constant({ type: 'OnDelete' }),
  );
  return name.chain((n) =>
    fc.record({ template: podTemplates(n), updateStrategy }).map((spec) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(n),
      spec: { ...spec, selector: { matchLabels: { app: n } } },
    })),
  );
}

/** ClusterIP Services selecting `app: <name>`, with one or two ports. */
export function services(name: fc.Arbitrary<string> = workloadName()): fc.Arbitrary<Manifest> {
  return name.chain((n) =>
    fc.uniqueArray(fc.constantFrom(80, 443, 8080), { minLength: 1, maxLength: 2 }).map((ports) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(n),
      spec: { selector: { app: n }, ports: ports.map((port) => ({ name: `p${port}`, port, targetPort: port, protocol: 'TCP' })) },
    })),
  );
}

/** Taints users add (keys under `example.com/`). */
export function taints(): fc.Arbitrary<TaintSpec> {
  return fc.record({ key: fc.constantFrom('example.com/dedicated', 'example.com/maintenance'), value: fc.constantFrom('', 'yes'), effect: fc.constantFrom('NoSchedule' as const, 'PreferNoSchedule' as const, 'NoExecute' as const) });
}

/** Node pools: 1–`max` nodes named `node-1`…, with sizes, a `pool` label and sometimes a taint. */
export function nodePools(max = 4): fc.Arbitrary<NodeSpec[]> {
  const node = fc.record({
    cpu: fc.constantFrom('2', '4', '8'),
    memory: fc.constantFrom('4Gi', '8Gi', '16Gi'),
    pods: fc.constantFrom(10, 110),
    pool: fc.constantFrom('a', 'b'),
    taint: fc.option(taints(), { nil: undefined, freq: 4 }),
  });
  return fc.array(node, { minLength: 1, maxLength: max }).map((nodes) =>
    nodes.map((n, i) => ({ name: `node-${i + 1}`, cpu: n.cpu, memory: n.memory, pods: n.pods, labels: { pool: n.pool }, ...(n.taint === undefined ? {} : { taints: [{ ...n.taint }] }) })),
  );
}

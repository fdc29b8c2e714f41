/**
 * A pod's effective requests and limits, as the scheduler, the kubelet's admission and quota all
 * count them (upstream `k8s.io/component-helpers/resource` `PodRequests` and `PodLimits`, the
 * formula of the sidecar-containers KEP 753). One rule, in exact quantities: callers that need
 * numbers (the scheduler's millicores, the kubelet's bytes) convert the result, they do not
 * recompute it.
 *
 * The rule, per resource name:
 *
 * 1. app containers run together: their amounts are summed;
 * 2. sidecars (init containers with `restartPolicy: Always`) start in order and keep running:
 *    each adds to that sum too;
 * 3. a regular init container runs alone, but next to the sidecars started before it: it needs
 *    its own amount plus theirs, and the pod needs the largest such figure over its init
 *    containers if that beats the sum of step 1 and 2;
 * 4. `spec.overhead` (the runtime's own cost, set by the RuntimeClass admission) is added to
 *    every request, and to a limit only where the containers set a non-zero one: a limit left
 *    unset means unlimited and stays so.
 *
 * @module
 */
import type { Container, Pod } from './kinds/pod.js';
import { tryParseQuantity, type Quantity } from './quantity.js';

/**
 * Exact amounts by resource name (`cpu` → `1100m`, `memory` → `192Mi`), upstream's
 * `v1.ResourceList` with parsed values. A name that is absent is not requested (for limits:
 * not limited).
 */
export type ResourceQuantities = Map<string, Quantity>;

/** How {@link podRequests} counts (upstream `PodResourcesOptions`, the parts kubeloop uses). */
export interface PodResourcesOptions {
  /**
   * Amounts to count for a container that does not request a resource named here (upstream
   * `NonMissingContainerRequests`). The scheduler scores with `{ cpu: '100m', memory: '200Mi' }`
   * so that pods without requests still spread. A request set explicitly, even to zero, is kept.
   */
  readonly nonMissingContainerRequests?: Readonly<Record<string, string>> | undefined;
}

type ResourceList = Readonly<Record<string, string>> | undefined;

/**
 * Adds `list` (plus `nonMissing` for the names it lacks) into `into`. Text that is not a
 * quantity is skipped: the API server rejects such pods, so only hand-built objects carry it.
 */
function addList(into: ResourceQuantities, list: ResourceList, nonMissing?: ResourceList): void {
  if (list !== undefined) {
    for (const name in list) {
      const q = tryParseQuantity(String(list[name]));
      if (q !== undefined) addQuantity(into, name, q);
    }
  }
  if (nonMissing !== undefined) {
    for (const name in nonMissing) {
      if (list !== undefined && name in list) continue;
      const q = tryParseQuantity(nonMissing[name]!);
      if (q !== undefined) addQuantity(into, name, q);
    }
  }
}

function addQuantity(into: ResourceQuantities, name: string, q: Quantity): void {
  const had = into.get(name);
  into.set(name, had === undefined ? q : had.add(q));
}

/** Raises every amount of `into` to at least the one in `other` (upstream `maxResourceList`). */
function maxInto(into: ResourceQuantities, other: ResourceQuantities): void {
  for (const [name, q] of other) {
    const had = into.get(name);
    if (had === undefined || q.cmp(had) > 0) into.set(name, q);
  }
}

/** Steps 1–3 of the rule (upstream `aggregateContainerResourcesByFn`), over one list of each container. */
function aggregate(pod: Pod, listOf: (c: Container) => ResourceList, nonMissing: ResourceList): ResourceQuantities {
  const total: ResourceQuantities = new Map();
  for (const c of pod.spec.containers) addList(total, listOf(c), nonMissing);
  const inits = pod.spec.initContainers;
  if (inits === undefined || inits.length === 0) return total;
  const sidecars: ResourceQuantities = new Map();
  const initPeak: ResourceQuantities = new Map();
  for (const c of inits) {
    if (c.restartPolicy === 'Always') {
      addList(total, listOf(c), nonMissing);
      addList(sidecars, listOf(c), nonMissing);
      maxInto(initPeak, sidecars);
    } else {
      const running = new Map(sidecars);
      addList(running, listOf(c), nonMissing);
      maxInto(initPeak, running);
    }
  }
  maxInto(total, initPeak);
  return total;
}

/**
 * What a pod requests (upstream `PodRequests`): what the scheduler reserves on a node, what the
 * kubelet admits against the node's allocatable, and what quota charges for `requests.*`.
 * See the module for the rule: app containers and sidecars summed, each regular init container
 * with the sidecars started before it, the larger figure, plus the whole `spec.overhead`.
 *
 * Guarantees: exact (no rounding); a fresh map the caller may change; resources that no
 * container and no overhead names are absent (not zero). Assumes quantities the API server
 * accepted; text that does not parse is skipped.
 *
 * @example
 * A 600m app container and a 500m sidecar run together: the pod requests 1100m, so it does not
 * fit a 1-CPU node although each container would.
 * ```ts
 * podRequests(pod({
 *   initContainers: [{ name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }],
 *   containers: [{ name: 'app', resources: { requests: { cpu: '600m' } } }],
 * })).get('cpu')?.toString(); // '1100m'
 * ```
 * Init containers: a sidecar of 100m, then an init container of 2 CPUs (running next to it:
 * 2100m), then app containers of 300m + 200m (with the sidecar: 600m); overhead 10m. The pod
 * requests max(2100m, 600m) + 10m = 2110m.
 * ```ts
 * podRequests(pod({
 *   initContainers: [
 *     { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
 *     { name: 'migrate', resources: { requests: { cpu: '2' } } },
 *   ],
 *   containers: [{ name: 'a', resources: { requests: { cpu: '300m' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }],
 *   overhead: { cpu: '10m' },
 * })).get('cpu')?.toString(); // '2110m'
 * ```
 */
export function podRequests(pod: Pod, options?: PodResourcesOptions): ResourceQuantities {
  const out = aggregate(pod, (c) => c.resources?.requests, options?.nonMissingContainerRequests);
  addList(out, pod.spec.overhead);
  return out;
}

/**
 * A pod's limits (upstream `PodLimits`): the same aggregation as {@link podRequests} over the
 * containers' `limits`; `spec.overhead` is added only to the resources that already have a
 * non-zero limit, since a resource without a limit is unlimited.
 *
 * Guarantees, assumptions: as {@link podRequests}. Caveat, as upstream: a resource that one
 * container limits and another leaves unlimited still gets the sum of the limits that are set,
 * although the pod as a whole is unlimited (quota, which charges `limits.*`, first requires
 * every container to state the limit).
 *
 * @example
 * Limits of 200m cpu and no memory limit, overhead `{ cpu: 10m, memory: 16Mi }`: the pod's
 * limits are `{ cpu: 210m }`, no memory limit.
 */
export function podLimits(pod: Pod): ResourceQuantities {
  const out = aggregate(pod, (c) => c.resources?.limits, undefined);
  const overhead = pod.spec.overhead;
  if (overhead !== undefined) {
    for (const name in overhead) {
      const limit = out.get(name);
      const q = tryParseQuantity(String(overhead[name]));
      if (limit !== undefined && !limit.isZero() && q !== undefined) out.set(name, limit.add(q));
    }
  }
  return out;
}

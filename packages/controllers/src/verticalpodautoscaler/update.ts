/**
 * What the VPA does to pods, as pure functions: the requests a recommendation gives a pod
 * (upstream admission-controller `recommendation_provider` and `resource/pod/patch`), whether a
 * running pod should be updated (updater `priority.UpdatePriorityCalculator`), and which pods
 * of a controller may be evicted now (updater `eviction.PodsEvictionRestriction`).
 *
 * @module
 */
import { Quantity, controllerRef, parseQuantity, parseTime } from '@kubeloop/core';
import type { Container, KubeObject, Pod } from '@kubeloop/core';
import type { RecommendedContainerResources, UpdateMode, VerticalPodAutoscaler } from './kind.js';
import { containerPolicy } from './recommend.js';

/** The annotation admission writes on pods it changed (upstream `vpaUpdates`). */
export const VPA_UPDATES_ANNOTATION = 'vpaUpdates';
/** The annotation listing the containers admission saw (upstream `vpaObservedContainers`). */
export const VPA_OBSERVED_CONTAINERS_ANNOTATION = 'vpaObservedContainers';
/** Upstream's `--min-replicas` default: a controller with fewer live pods is not evicted from. */
export const DEFAULT_MIN_REPLICAS = 2;
/** Upstream's `--eviction-tolerance` default: at most this fraction of a controller's pods down at once. */
export const DEFAULT_EVICTION_TOLERANCE = 0.5;
/** Upstream's `podLifetimeUpdateThreshold`: inside its bounds, a pod younger than 12 h is left alone. */
export const POD_LIFETIME_UPDATE_THRESHOLD_MS = 12 * 60 * 60 * 1000;
/** Upstream's `--min-change-priority` (0.1): a smaller relative change is not worth an eviction. */
export const MIN_CHANGE_PRIORITY = 0.1;

/** The effective update mode (absent means `Auto`, as upstream). */
export function updateModeOf(vpa: VerticalPodAutoscaler): UpdateMode {
  return vpa.spec.updatePolicy?.updateMode ?? 'Auto';
}

function milli(q: string | undefined): number | undefined {
  return q === undefined ? undefined : parseQuantity(q).milliValue();
}

/**
 * The pod admission would create from `pod` under `vpa`'s recommendation (upstream's
 * admission patches): each recommended container's controlled requests set to the target; with
 * `controlledValues: RequestsAndLimits` (the default) a limit keeps its ratio to the request
 * (`newLimit = limit × newRequest / request`); the `vpaUpdates` and `vpaObservedContainers`
 * annotations say what changed. Returns undefined when nothing applies (mode `Off`, no
 * recommendation).
 *
 * Worked example: request 100m, limit 200m, target 350m → request 350m, limit 700m.
 */
export function applyRecommendation(pod: Pod, vpa: VerticalPodAutoscaler): Pod | undefined {
  if (updateModeOf(vpa) === 'Off') return undefined;
  const recs = vpa.status.recommendation?.containerRecommendations ?? [];
  if (recs.length === 0) return undefined;
  const updates: string[] = [];
  const containers = pod.spec.containers.map((c: Container, i: number) => {
    const rec: RecommendedContainerResources | undefined = recs.find((r) => r.containerName === c.name);
    const policy = containerPolicy(vpa, c.name);
    if (rec === undefined || policy?.mode === 'Off') return c;
    const requests: Record<string, string> = { ...(c.resources?.requests as Record<string, string> | undefined) };
    const limits: Record<string, string> = { ...(c.resources?.limits as Record<string, string> | undefined) };
    const changed: string[] = [];
    for (const [resource, target] of Object.entries(rec.target)) {
      const old = milli(requests[resource]);
      requests[resource] = target;
      changed.push(`${resource} request`);
      const limit = milli(limits[resource]);
      if ((policy?.controlledValues ?? 'RequestsAndLimits') === 'RequestsAndLimits' && limit !== undefined && old !== undefined && old > 0) {
        const next = Math.round((limit * (milli(target) ?? 0)) / old);
        limits[resource] = resource === 'cpu' ? Quantity.fromMilli(next).toString() : Quantity.fromNumber(Math.round(next / 1000)).toString();
        changed.push(`${resource} limit`);
      }
    }
    updates.push(`container ${i}: ${changed.join(', ')}`);
    return { ...c, resources: { ...c.resources, requests, ...(Object.keys(limits).length === 0 ? {} : { limits }) } };
  });
  if (updates.length === 0) return undefined;
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: {
        ...pod.metadata.annotations,
        [VPA_UPDATES_ANNOTATION]: `Pod resources updated by ${vpa.metadata.name ?? ''}: ${updates.join('; ')}`,
        [VPA_OBSERVED_CONTAINERS_ANNOTATION]: pod.spec.containers.map((c) => c.name).join(', '),
      },
    },
    spec: { ...pod.spec, containers },
  };
}

/** How much a pod wants an update (upstream `PodPriority`). */
export interface UpdatePriority {
  /** Some controlled request lies outside [lowerBound, upperBound]. */
  readonly outsideRecommendedRange: boolean;
  /** Σ over resources of |target − request| / request, over the pod's containers. */
  readonly resourceDiff: number;
}

/**
 * Upstream `getUpdatePriority`: whether any container's request is outside its recommended
 * range (a missing request counts as 0), and the relative difference of the pod's total
 * requests to its total targets per resource.
 */
export function updatePriority(pod: Pod, vpa: VerticalPodAutoscaler): UpdatePriority {
  const recs = vpa.status.recommendation?.containerRecommendations ?? [];
  let outside = false;
  const requested = new Map<string, number>();
  const recommended = new Map<string, number>();
  for (const c of pod.spec.containers) {
    const rec = recs.find((r) => r.containerName === c.name);
    if (rec === undefined || containerPolicy(vpa, c.name)?.mode === 'Off') continue;
    for (const [resource, target] of Object.entries(rec.target)) {
      const req = milli((c.resources?.requests as Record<string, string> | undefined)?.[resource]) ?? 0;
      const lower = milli(rec.lowerBound?.[resource]);
      const upper = milli(rec.upperBound?.[resource]);
      if ((lower !== undefined && req < lower) || (upper !== undefined && req > upper)) outside = true;
      requested.set(resource, (requested.get(resource) ?? 0) + req);
      recommended.set(resource, (recommended.get(resource) ?? 0) + (milli(target) ?? 0));
    }
  }
  let diff = 0;
  for (const [resource, rec] of recommended) {
    const req = requested.get(resource) ?? 0;
    diff += req === 0 ? (rec === 0 ? 0 : 1) : Math.abs(rec - req) / req;
  }
  return { outsideRecommendedRange: outside, resourceDiff: diff };
}

/**
 * Whether the updater wants `pod` recreated (upstream `UpdatePriorityCalculator.AddPod`): a
 * request outside the recommended range always; otherwise only a pod older than 12 h whose
 * requests differ by at least 10 % from the targets.
 */
export function shouldUpdate(pod: Pod, vpa: VerticalPodAutoscaler, nowMs: number): boolean {
  const p = updatePriority(pod, vpa);
  if (p.outsideRecommendedRange) return true;
  const started = pod.status.startTime === undefined ? nowMs : parseTime(pod.status.startTime);
  if (nowMs - started < POD_LIFETIME_UPDATE_THRESHOLD_MS) return false;
  return p.resourceDiff >= MIN_CHANGE_PRIORITY;
}

/**
 * The pods the updater evicts now (upstream `PodsEvictionRestriction.CanEvict`), in the order
 * given, grouped by controller: none from a controller with fewer than `minReplicas` pods;
 * otherwise while more than `replicas − ⌊replicas × tolerance⌋` of its pods would still run
 * — and, when that allows none and every pod runs, one.
 *
 * Worked example: 1 replica, minReplicas 1: tolerance ⌊0.5⌋ = 0, so one eviction (every pod
 * runs); 4 replicas, all running: ⌊2⌋ = 2 may go.
 */
export function podsToEvict(candidates: readonly Pod[], allPods: readonly Pod[], minReplicas: number, tolerance: number = DEFAULT_EVICTION_TOLERANCE): Pod[] {
  const ownerOf = (p: Pod): string => controllerRef(p as KubeObject)?.uid ?? '';
  const groups = new Map<string, { replicas: number; running: number; evicted: number }>();
  for (const p of allPods) {
    const o = ownerOf(p);
    if (o === '' || p.metadata.deletionTimestamp !== undefined || p.status.phase === 'Succeeded' || p.status.phase === 'Failed') continue;
    const g = groups.get(o) ?? { replicas: 0, running: 0, evicted: 0 };
    g.replicas++;
    if (p.status.phase === 'Running') g.running++;
    groups.set(o, g);
  }
  const out: Pod[] = [];
  for (const p of candidates) {
    const g = groups.get(ownerOf(p));
    if (g === undefined || p.status.phase !== 'Running' || g.replicas < minReplicas) continue;
    const allowed = Math.floor(g.replicas * tolerance);
    const shouldBeAlive = g.replicas - allowed;
    const ok = g.running - g.evicted > shouldBeAlive || (allowed === 0 && g.running === g.replicas && g.evicted === 0);
    if (!ok) continue;
    g.evicted++;
    out.push(p);
  }
  return out;
}

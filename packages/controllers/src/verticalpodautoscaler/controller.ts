/**
 * The VPA's recommender and updater (upstream `vertical-pod-autoscaler/pkg/recommender` and
 * `pkg/updater`) as two controllers of VerticalPodAutoscalers, each syncing every VPA once a
 * minute (`--recommender-interval`, `--updater-interval`).
 *
 * @module
 */
import { HorizontalPodAutoscalers, PodMetricses, Pods, controllerFor, deepEqual, done, formatTime, isApiError, parseQuantity, parseTime, requeueAfter, setStatusCondition } from '@kubeloop/core';
import type { Condition, Controller, KubeObject, Manager, Pod, Reconciler, Request, Result } from '@kubeloop/core';
import { VerticalPodAutoscalerCheckpoints, VerticalPodAutoscalers } from './kind.js';
import type { RecommendedContainerResources, VerticalPodAutoscaler, VerticalPodAutoscalerCheckpoint } from './kind.js';
import { ContainerUsageState, containerPolicy, containerRecommendation, controlledResources, estimateContainer } from './recommend.js';
import { selects, targetResource } from './target.js';
import { DEFAULT_MIN_REPLICAS, podsToEvict, shouldUpdate, updateModeOf } from './update.js';

/** How often the recommender and the updater sync each VPA: upstream's 1 minute. */
export const DEFAULT_VPA_INTERVAL_MS = 60_000;
/** The recommender's component name (events). */
export const VPA_RECOMMENDER_COMPONENT = 'vpa-recommender';
/** The updater's component name (events). */
export const VPA_UPDATER_COMPONENT = 'vpa-updater';
/** Upstream's `--checkpoints-gc-interval` default: checkpoints of VPAs gone are swept every 10 min. */
export const DEFAULT_CHECKPOINTS_GC_INTERVAL_MS = 10 * 60_000;

/** Options of the VPA controllers (upstream flags). */
export interface VpaControllerOptions {
  /** How often each VPA is synced (default {@link DEFAULT_VPA_INTERVAL_MS}). */
  readonly intervalMs?: number | undefined;
  /** The updater's `--min-replicas` (default {@link DEFAULT_MIN_REPLICAS}); a VPA's `updatePolicy.minReplicas` wins. */
  readonly minReplicas?: number | undefined;
  /** The recommender's `--checkpoints-gc-interval` (default {@link DEFAULT_CHECKPOINTS_GC_INTERVAL_MS}). */
  readonly checkpointsGcIntervalMs?: number | undefined;
}

/** The checkpoint of a VPA's container is named `<vpa>-<container>`, as upstream's. */
export function checkpointName(vpaName: string, containerName: string): string {
  return `${vpaName}-${containerName}`;
}

/** The VPA's target and the pods it selects, read live; undefined when the target is absent. */
async function targetPods(m: Manager, vpa: VerticalPodAutoscaler): Promise<{ target: KubeObject; pods: Pod[] } | undefined> {
  const resource = targetResource(vpa.spec.targetRef.kind);
  if (resource === undefined) return undefined;
  let target: KubeObject;
  try {
    target = await m.client.get(resource, { namespace: vpa.metadata.namespace ?? '', name: vpa.spec.targetRef.name });
  } catch (e) {
    if (isApiError(e, 'NotFound')) return undefined;
    throw e;
  }
  const pods = m.cache(Pods).list(vpa.metadata.namespace ?? '').filter((p) => selects(target, p));
  return { target, pods };
}

/**
 * The recommender: feeds each VPA's per-container histograms with the PodMetrics of the pods
 * its target selects (each sample once, by its timestamp) and writes the recommendation and
 * the conditions `RecommendationProvided`, `NoPodsMatched` and `ConfigUnsupported` (an HPA
 * scaling the same target on a resource the VPA controls: the two would fight). A container
 * last terminated `OOMKilled` adds, once per kill, a memory sample of its request or recent
 * peak bumped by 100Mi or 20 % (upstream's OOM observer and `RecordOOM`).
 *
 * Checkpoints (upstream `checkpoint.CheckpointWriter` and `InitFromCheckpoints`): at each
 * sync it writes one `VerticalPodAutoscalerCheckpoint` per container with samples (when its
 * histograms changed); the first sync of a VPA after a (re)start loads that VPA's checkpoints,
 * so a restarted recommender carries on from its history instead of starting afresh. A VPA's
 * checkpoints are deleted when the recommender sees the VPA gone, and every
 * `--checkpoints-gc-interval` those of VPAs that no longer exist are swept.
 */
export class VpaRecommender implements Reconciler {
  readonly #m: Manager;
  readonly #o: VpaControllerOptions;
  readonly #states = new Map<string, Map<string, ContainerUsageState>>();
  readonly #seen = new Map<string, string>();
  /** VPAs whose checkpoints were loaded by this incarnation. */
  readonly #restored = new Set<string>();
  /** Per checkpoint name (namespace/name), what was last written (without lastUpdateTime). */
  readonly #written = new Map<string, string>();
  #lastGcMs: number | undefined;
  /** Per VPA, the OOM kills already recorded, by pod uid / container / finishedAt (those still shown in a pod's lastState). */
  readonly #ooms = new Map<string, Set<string>>();

  /** A recommender on the manager's caches and client. */
  constructor(manager: Manager, options: VpaControllerOptions = {}) {
    this.#m = manager;
    this.#o = options;
  }

  /** One sync of the VPA `request`; requeued after the interval while it exists. */
  async reconcile(request: Request): Promise<Result> {
    const m = this.#m;
    const vpa = m.cache(VerticalPodAutoscalers).get(request) as VerticalPodAutoscaler | undefined;
    const key = `${request.namespace ?? ''}/${request.name}`;
    if (vpa === undefined) {
      this.#states.delete(key);
      this.#ooms.delete(key);
      this.#restored.delete(key);
      await this.#deleteCheckpoints(request.namespace ?? '', (c) => c.spec.vpaObjectName === request.name);
      return done;
    }
    const now = m.clock.now();
    if (!this.#restored.has(key)) await this.#restore(vpa, key);
    let conditions: Condition[] = [...(vpa.status.conditions ?? [])];
    const set = (type: string, status: 'True' | 'False', reason: string, message: string): void => {
      conditions = setStatusCondition(conditions, { type, status, ...(reason === '' ? {} : { reason }), ...(message === '' ? {} : { message }) }, now);
    };
    const drop = (type: string): void => {
      conditions = conditions.filter((c) => c.type !== type);
    };
    const found = await targetPods(m, vpa);
    const pods = found?.pods ?? [];
    if (pods.length === 0) set('NoPodsMatched', 'True', '', 'No pods match this VPA object');
    else drop('NoPodsMatched');
    await this.#sample(vpa, key, pods);

    // The recommendation: every container of the pods with samples.
    const states = this.#states.get(key) ?? new Map<string, ContainerUsageState>();
    const containersPerPod = pods[0]?.spec.containers.length ?? Math.max(1, states.size);
    const recs: RecommendedContainerResources[] = [];
    for (const [name, state] of [...states].sort(([a], [b]) => a.localeCompare(b))) {
      if (state.totalSamples === 0) continue;
      const rec = containerRecommendation(vpa, name, estimateContainer(state, containersPerPod));
      if (rec !== undefined) recs.push(rec);
    }
    if (recs.length > 0) set('RecommendationProvided', 'True', '', '');
    else set('RecommendationProvided', 'False', '', '');

    const conflict = this.#hpaConflict(vpa);
    if (conflict !== undefined) set('ConfigUnsupported', 'True', 'HorizontalPodAutoscalerConflict', conflict);
    else drop('ConfigUnsupported');

    await this.#writeCheckpoints(vpa, states, now);
    await this.#collectGarbage(now);

    const status = { ...vpa.status, ...(recs.length > 0 ? { recommendation: { containerRecommendations: recs } } : {}), conditions };
    if (!deepEqual(status, vpa.status)) {
      try {
        await m.client.updateStatus(VerticalPodAutoscalers, { ...vpa, status });
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
      }
    }
    return requeueAfter(this.#o.intervalMs ?? DEFAULT_VPA_INTERVAL_MS);
  }

  /** Loads the VPA's checkpoints into its container states (upstream `InitFromCheckpoints`); a bad one is skipped. */
  async #restore(vpa: VerticalPodAutoscaler, key: string): Promise<void> {
    let checkpoints: readonly VerticalPodAutoscalerCheckpoint[];
    try {
      checkpoints = (await this.#m.client.list(VerticalPodAutoscalerCheckpoints, { namespace: vpa.metadata.namespace ?? '' })).items;
    } catch {
      return; // tried again at the next sync
    }
    const states = this.#states.get(key) ?? new Map<string, ContainerUsageState>();
    for (const c of checkpoints) {
      if (c.spec.vpaObjectName !== vpa.metadata.name || c.spec.containerName === undefined || states.has(c.spec.containerName)) continue;
      try {
        states.set(c.spec.containerName, ContainerUsageState.fromCheckpoint(c.status));
      } catch {
        // upstream logs and skips a checkpoint it cannot load
      }
    }
    this.#states.set(key, states);
    this.#restored.add(key);
  }

  /** One checkpoint per container with samples, written when it changed (upstream `StoreCheckpoints`). */
  async #writeCheckpoints(vpa: VerticalPodAutoscaler, states: ReadonlyMap<string, ContainerUsageState>, now: number): Promise<void> {
    const namespace = vpa.metadata.namespace ?? '';
    const vpaName = vpa.metadata.name ?? '';
    const client = this.#m.client;
    for (const [container, state] of states) {
      if (state.totalSamples === 0 && state.memoryPeaks.isEmpty()) continue;
      const name = checkpointName(vpaName, container);
      const saved = state.saveToCheckpoint();
      const text = JSON.stringify(saved);
      if (this.#written.get(`${namespace}/${name}`) === text) continue;
      const body = { spec: { vpaObjectName: vpaName, containerName: container }, status: { ...saved, lastUpdateTime: formatTime(now) } };
      try {
        const existing = await client.get(VerticalPodAutoscalerCheckpoints, { namespace, name }).catch((e: unknown) => {
          if (isApiError(e, 'NotFound')) return undefined;
          throw e;
        });
        if (existing === undefined) {
          await client.create(VerticalPodAutoscalerCheckpoints, { apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscalerCheckpoint', metadata: { namespace, name }, ...body } as VerticalPodAutoscalerCheckpoint);
        } else {
          await client.update(VerticalPodAutoscalerCheckpoints, { ...existing, ...body });
        }
        this.#written.set(`${namespace}/${name}`, text);
      } catch (e) {
        if (!isApiError(e)) throw e;
        // written again at the next sync
      }
    }
  }

  /** Every `--checkpoints-gc-interval`: deletes the checkpoints whose VPA no longer exists (upstream `GarbageCollectCheckpoints`). */
  async #collectGarbage(now: number): Promise<void> {
    if (this.#lastGcMs !== undefined && now - this.#lastGcMs < (this.#o.checkpointsGcIntervalMs ?? DEFAULT_CHECKPOINTS_GC_INTERVAL_MS)) return;
    this.#lastGcMs = now;
    const vpas = this.#m.cache(VerticalPodAutoscalers);
    await this.#deleteCheckpoints(undefined, (c) => vpas.get({ namespace: c.metadata.namespace ?? '', name: c.spec.vpaObjectName ?? '' }) === undefined);
  }

  /** Deletes the checkpoints (in `namespace`, or all) that `doomed` picks. */
  async #deleteCheckpoints(namespace: string | undefined, doomed: (c: VerticalPodAutoscalerCheckpoint) => boolean): Promise<void> {
    const client = this.#m.client;
    let list: readonly VerticalPodAutoscalerCheckpoint[];
    try {
      list = (await client.list(VerticalPodAutoscalerCheckpoints, namespace === undefined ? {} : { namespace })).items;
    } catch {
      return;
    }
    for (const c of list) {
      if (!doomed(c)) continue;
      this.#written.delete(`${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`);
      try {
        await client.delete(VerticalPodAutoscalerCheckpoints, { namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' });
      } catch (e) {
        if (!isApiError(e)) throw e;
      }
    }
  }

  /**
   * The OOM observer (upstream `input/oom.observer`): each container whose last termination
   * was `OOMKilled` is recorded once (by its `finishedAt`) as a memory sample bumped from its
   * memory request and recent peak (`ContainerUsageState.recordOom`).
   */
  #observeOoms(key: string, pods: readonly Pod[]): void {
    const states = this.#states.get(key) ?? new Map<string, ContainerUsageState>();
    this.#states.set(key, states);
    const seen = this.#ooms.get(key) ?? new Set<string>();
    const live = new Set<string>();
    for (const pod of pods) {
      for (const cs of pod.status.containerStatuses ?? []) {
        const t = cs.lastState?.terminated;
        if (t?.reason !== 'OOMKilled' || (cs.restartCount ?? 0) === 0) continue;
        const oomKey = `${pod.metadata.uid ?? ''}/${cs.name}/${t.finishedAt ?? ''}`;
        live.add(oomKey);
        if (seen.has(oomKey)) continue;
        const spec = pod.spec.containers.find((c) => c.name === cs.name);
        const request = (spec?.resources?.requests as Record<string, string> | undefined)?.['memory'];
        const state = states.get(cs.name) ?? new ContainerUsageState();
        states.set(cs.name, state);
        state.recordOom(t.finishedAt === undefined ? this.#m.clock.now() : parseTime(t.finishedAt), request === undefined ? 0 : parseQuantity(request).value());
      }
    }
    this.#ooms.set(key, live);
  }

  /** Adds each container's newest PodMetrics sample, once per sample timestamp. */
  async #sample(vpa: VerticalPodAutoscaler, key: string, pods: readonly Pod[]): Promise<void> {
    if (pods.length === 0) return;
    this.#observeOoms(key, pods);
    let metrics;
    try {
      metrics = (await this.#m.client.list(PodMetricses, { namespace: vpa.metadata.namespace ?? '' })).items;
    } catch {
      return; // no metrics this round (metrics-server absent or not answering)
    }
    const states = this.#states.get(key) ?? new Map<string, ContainerUsageState>();
    this.#states.set(key, states);
    const byName = new Map(pods.map((p) => [p.metadata.name ?? '', p]));
    for (const pm of metrics) {
      const pod = byName.get(pm.metadata.name ?? '');
      if (pod === undefined) continue;
      const at = parseTime(pm.timestamp);
      for (const c of pm.containers) {
        const seenKey = `${pod.metadata.uid ?? ''}/${c.name}`;
        if (this.#seen.get(seenKey) === pm.timestamp) continue;
        this.#seen.set(seenKey, pm.timestamp);
        const spec = pod.spec.containers.find((s) => s.name === c.name);
        if (spec === undefined) continue;
        const state = states.get(c.name) ?? new ContainerUsageState();
        states.set(c.name, state);
        const cpu = c.usage['cpu'];
        const request = (spec.resources?.requests as Record<string, string> | undefined)?.['cpu'];
        if (cpu !== undefined) state.addCpuSample(parseQuantity(cpu).milliValue() / 1000, request === undefined ? 0 : parseQuantity(request).milliValue() / 1000, at);
        const mem = c.usage['memory'];
        if (mem !== undefined) state.addMemorySample(parseQuantity(mem).value(), at);
      }
    }
    for (const k of [...this.#seen.keys()]) if (!pods.some((p) => k.startsWith(`${p.metadata.uid ?? ''}/`))) this.#seen.delete(k);
  }

  /** The conflict message when an HPA scales the VPA's target on a resource the VPA controls. */
  #hpaConflict(vpa: VerticalPodAutoscaler): string | undefined {
    const ref = vpa.spec.targetRef;
    for (const hpa of this.#m.cache(HorizontalPodAutoscalers).list(vpa.metadata.namespace ?? '')) {
      if (hpa.spec.scaleTargetRef.kind !== ref.kind || hpa.spec.scaleTargetRef.name !== ref.name) continue;
      const names = (hpa.spec.metrics ?? []).flatMap((mtr) => (mtr.type === 'Resource' && mtr.resource !== undefined ? [mtr.resource.name] : mtr.type === 'ContainerResource' && mtr.containerResource !== undefined ? [mtr.containerResource.name] : []));
      const policies = vpa.spec.resourcePolicy?.containerPolicies ?? [];
      const controlled = new Set(policies.length === 0 ? ['cpu', 'memory'] : policies.filter((p) => p.mode !== 'Off').flatMap((p) => controlledResources(p)));
      const both = names.filter((n) => controlled.has(n));
      if (both.length > 0) {
        return `HorizontalPodAutoscaler ${hpa.metadata.name ?? ''} also scales ${ref.kind}/${ref.name} on ${both.join(', ')}: a VPA and an HPA must not both act on the same resource metric`;
      }
    }
    return undefined;
  }
}

/**
 * The updater: for a VPA in mode `Recreate` or `Auto` with a recommendation, evicts the
 * running pods that want an update (`shouldUpdate`), as many as the eviction restriction
 * allows (`podsToEvict`: the VPA's `minReplicas`, 50 % tolerance), through the Eviction API so
 * that PodDisruptionBudgets hold; events `EvictedByVPA` on the pod and `EvictedPod` on the VPA.
 * The pods come back through their controller and admission gives them the new requests.
 */
export class VpaUpdater implements Reconciler {
  readonly #m: Manager;
  readonly #o: VpaControllerOptions;

  /** An updater on the manager's caches and client. */
  constructor(manager: Manager, options: VpaControllerOptions = {}) {
    this.#m = manager;
    this.#o = options;
  }

  /** One pass over the VPA `request`'s pods; requeued after the interval while it exists. */
  async reconcile(request: Request): Promise<Result> {
    const m = this.#m;
    const vpa = m.cache(VerticalPodAutoscalers).get(request) as VerticalPodAutoscaler | undefined;
    if (vpa === undefined) return done;
    const interval = requeueAfter(this.#o.intervalMs ?? DEFAULT_VPA_INTERVAL_MS);
    const mode = updateModeOf(vpa);
    if ((mode !== 'Recreate' && mode !== 'Auto' && mode !== 'InPlaceOrRecreate') || (vpa.status.recommendation?.containerRecommendations ?? []).length === 0) return interval;
    const found = await targetPods(m, vpa);
    if (found === undefined) return interval;
    const now = m.clock.now();
    const candidates = found.pods.filter((p) => p.status.phase === 'Running' && p.metadata.deletionTimestamp === undefined && p.spec.containers.some((c) => containerPolicy(vpa, c.name)?.mode !== 'Off') && shouldUpdate(p, vpa, now));
    const minReplicas = vpa.spec.updatePolicy?.minReplicas ?? this.#o.minReplicas ?? DEFAULT_MIN_REPLICAS;
    const recorder = m.recorder(VPA_UPDATER_COMPONENT);
    for (const pod of podsToEvict(candidates, found.pods, minReplicas)) {
      try {
        await m.client.evict({ namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' });
      } catch (e) {
        if (isApiError(e, 'NotFound') || isApiError(e, 'TooManyRequests')) continue;
        throw e;
      }
      void recorder.event(pod, 'Normal', 'EvictedByVPA', 'Pod was evicted by VPA Updater to apply resource recommendation.');
      void recorder.event(vpa, 'Normal', 'EvictedPod', `VPA Updater evicted Pod ${pod.metadata.name ?? ''} to apply resource recommendation.`);
    }
    return interval;
  }
}

/** The recommender controller on a manager. */
export function vpaRecommenderController(manager: Manager, options: VpaControllerOptions = {}): Controller {
  return controllerFor(manager, VerticalPodAutoscalers).named('vpa-recommender').watches(Pods, () => []).watches(HorizontalPodAutoscalers, () => []).complete(new VpaRecommender(manager, options));
}

/** The updater controller on a manager. */
export function vpaUpdaterController(manager: Manager, options: VpaControllerOptions = {}): Controller {
  return controllerFor(manager, VerticalPodAutoscalers).named('vpa-updater').watches(Pods, () => []).complete(new VpaUpdater(manager, options));
}


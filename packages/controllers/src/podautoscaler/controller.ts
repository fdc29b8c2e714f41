/**
 * The HPA's reconcile (upstream `HorizontalController.reconcileAutoscaler`): read the target's
 * scale, the pods its selector matches and their PodMetrics, call the replica calculator and
 * the normalization, write the scale, the status and upstream's events; again every 15 s.
 *
 * @module
 */
import {
  DESCRIBED_KIND_LABEL,
  ExternalMetricValues,
  HorizontalPodAutoscalers,
  METRIC_NAME_LABEL,
  MetricValues,
  PodMetricses,
  Pods,
  controllerFor,
  deepEqual,
  done,
  formatTime,
  isApiError,
  metricLabelValue,
  parseQuantity,
  parseSelector,
  parseTime,
  requeueAfter,
  selectorFromLabelSelector,
} from '@kubeloop/core';
import type { Condition, Controller, ExternalMetricValue, HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus, LabelSelector, Manager, MetricSpec, MetricStatus, MetricValue, Pod, Reconciler, Request, Result, Scale } from '@kubeloop/core';
import { initialHistory, normalizeDesiredReplicas, recordScaleEvent } from './behavior.js';
import type { ScalingHistory } from './behavior.js';
import { DEFAULT_HPA_TOLERANCE, ReplicaCalculationError, perPodTotalReplicas, podsMetricReplicas, resourceReplicas, usageRatioReplicas } from './replicas.js';
import type { PodMetricSample, ReplicaCalculatorOptions } from './replicas.js';
import { formatMilliQuantity, samplesFromPodMetrics, setCondition } from './status.js';
import type { HpaConditionType } from './status.js';

/** The controller's name (kube-controller-manager's `horizontalpodautoscaling`). */
export const HPA_CONTROLLER_NAME = 'horizontalpodautoscaling';
/** The component its events come from, as upstream's. */
export const HPA_CONTROLLER_COMPONENT = 'horizontal-pod-autoscaler';
/** Upstream's `--horizontal-pod-autoscaler-sync-period` default: 15 s. */
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;

/** Options of the HPA controller (upstream's kube-controller-manager flags). */
export interface HpaControllerOptions extends ReplicaCalculatorOptions {
  /** How often each HPA is synced (default {@link DEFAULT_HPA_SYNC_PERIOD_MS}). */
  readonly syncPeriodMs?: number | undefined;
  /** The downscale stabilization of HPAs without `behavior` (default 5 min). */
  readonly downscaleStabilizationMs?: number | undefined;
  /** Workers (default 1). */
  readonly concurrency?: number | undefined;
}

/** What one metric proposed, or why it could not. */
type MetricOutcome =
  | { readonly ok: true; readonly replicas: number; readonly name: string; readonly status: MetricStatus }
  | { readonly ok: false; readonly reason: string; readonly error: string };

/**
 * The HPA reconciler. Keeps, per HPA, the recent recommendations and scale events the
 * stabilization windows and policies read (in memory, as upstream: a restarted controller
 * starts afresh).
 *
 * Guarantees: never writes a scale outside `[minReplicas, maxReplicas]` except to bring a
 * target from outside into it; a target at 0 replicas is left alone (`ScalingDisabled`); when
 * no metric can be computed the scale is kept and `ScalingActive` is False with the reason;
 * `status.lastScaleTime` (and the scale event the policies count) is the time the scale write
 * returned, so it follows the metrics read the rescale was computed from.
 */
export class HorizontalPodAutoscalerReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #options: HpaControllerOptions;
  readonly #histories = new Map<string, ScalingHistory>();

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager, options: HpaControllerOptions = {}) {
    this.#manager = manager;
    this.#options = options;
  }

  /** One sync of the HPA `request`; always requeued after the sync period while the HPA exists. */
  async reconcile(request: Request): Promise<Result> {
    const key = `${request.namespace ?? ''}/${request.name}`;
    const hpa = this.#manager.cache(HorizontalPodAutoscalers).get(request);
    if (hpa === undefined) {
      this.#histories.delete(key);
      return done;
    }
    const period = this.#options.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
    await this.#sync(hpa, key);
    return requeueAfter(period);
  }

  async #sync(hpa: HorizontalPodAutoscaler, key: string): Promise<void> {
    const m = this.#manager;
    const nowMs = m.clock.now();
    const recorder = m.recorder(HPA_CONTROLLER_COMPONENT);
    const namespace = hpa.metadata.namespace ?? '';
    const ref = hpa.spec.scaleTargetRef;
    const reference = `${ref.kind}/${namespace}/${ref.name}`;
    let conditions: Condition[] = [...(hpa.status.conditions ?? [])];
    const set = (type: HpaConditionType, status: 'True' | 'False', reason: string, message: string): void => {
      conditions = setCondition(conditions, type, status, reason, message, nowMs);
    };
    const writeStatus = async (status: HorizontalPodAutoscalerStatus): Promise<void> => {
      const next = { ...status, conditions };
      if (deepEqual(next, hpa.status)) return;
      try {
        await m.client.updateStatus(HorizontalPodAutoscalers, { ...hpa, status: next });
      } catch (error) {
        if (isApiError(error, 'NotFound')) return;
        void recorder.event(hpa, 'Warning', 'FailedUpdateStatus', error instanceof Error ? error.message : String(error));
        throw error;
      }
    };
    const keepStatus = (currentReplicas: number | undefined): HorizontalPodAutoscalerStatus => ({ ...hpa.status, ...(currentReplicas === undefined ? {} : { currentReplicas }) });

    // The target's scale.
    const resource = m.registry.forKind(ref.apiVersion ?? '', ref.kind);
    let scale: Scale | undefined;
    let scaleError = `no matches for kind "${ref.kind}" in group "${(ref.apiVersion ?? '').split('/').slice(0, -1).join('/')}"`;
    if (resource !== undefined) {
      try {
        scale = await m.client.getScale(resource, { namespace, name: ref.name });
      } catch (error) {
        scaleError = error instanceof Error ? error.message : String(error);
      }
    }
    if (resource === undefined || scale === undefined) {
      const message = scaleError;
      void recorder.event(hpa, 'Warning', 'FailedGetScale', message);
      set('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${message}`);
      await writeStatus(keepStatus(undefined));
      return;
    }
    set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const currentReplicas = scale.spec.replicas ?? 0;
    let history = this.#histories.get(key) ?? initialHistory(currentReplicas, nowMs);

    const minReplicas = hpa.spec.minReplicas;
    const maxReplicas = hpa.spec.maxReplicas;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let currentMetrics: MetricStatus[] | undefined = hpa.status.currentMetrics;
    if (currentReplicas === 0 && minReplicas !== 0) {
      rescale = false;
      set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.#computeReplicasForMetrics(hpa, scale, nowMs, set);
      if (!computed.ok) {
        this.#histories.set(key, history);
        void recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error);
        await writeStatus({ ...keepStatus(currentReplicas), ...(computed.statuses === undefined ? {} : { currentMetrics: computed.statuses }) });
        return;
      }
      currentMetrics = computed.statuses;
      desiredReplicas = computed.replicas;
      if (desiredReplicas > currentReplicas) rescaleReason = `${computed.name} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const normalized = normalizeDesiredReplicas(
        { currentReplicas, proposedReplicas: desiredReplicas, minReplicas, maxReplicas, behavior: hpa.spec.behavior, nowMs, ...(this.#options.downscaleStabilizationMs === undefined ? {} : { downscaleStabilizationMs: this.#options.downscaleStabilizationMs }) },
        history,
      );
      history = normalized.history;
      set('AbleToScale', normalized.ableToScale.status, normalized.ableToScale.reason, normalized.ableToScale.message);
      set('ScalingLimited', normalized.scalingLimited.status, normalized.scalingLimited.reason, normalized.scalingLimited.message);
      desiredReplicas = normalized.desiredReplicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    let lastScaleTime = hpa.status.lastScaleTime;
    if (rescale) {
      try {
        await m.client.updateScale(resource, { namespace, name: ref.name }, { ...scale, spec: { ...scale.spec, replicas: desiredReplicas } });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        void recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${message}`);
        set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${message}`);
        this.#histories.set(key, history);
        await writeStatus(keepStatus(currentReplicas));
        throw new Error(`failed to rescale ${reference}: ${message}`, { cause: error });
      }
      // the rescale is dated when its write has gone through, not when the sync began (upstream's
      // storeScaleEvent and setStatus read time.Now() after Scales().Update): the time stamped is
      // then after the metrics it was computed from were read, however long the requests took
      const scaledAtMs = m.clock.now();
      set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      void recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      history = recordScaleEvent(history, hpa.spec.behavior, currentReplicas, desiredReplicas, scaledAtMs);
      lastScaleTime = formatTime(scaledAtMs);
    } else {
      desiredReplicas = currentReplicas;
    }
    this.#histories.set(key, history);
    const status: HorizontalPodAutoscalerStatus = {
      ...(hpa.status.observedGeneration === undefined ? {} : { observedGeneration: hpa.status.observedGeneration }),
      ...(lastScaleTime === undefined ? {} : { lastScaleTime }),
      currentReplicas,
      desiredReplicas,
      ...(currentMetrics === undefined ? {} : { currentMetrics }),
    };
    await writeStatus(status);
  }

  /** Upstream `computeReplicasForMetrics`: the largest proposal over the metrics; fails only when every metric fails. */
  async #computeReplicasForMetrics(
    hpa: HorizontalPodAutoscaler,
    scale: Scale,
    nowMs: number,
    set: (type: HpaConditionType, status: 'True' | 'False', reason: string, message: string) => void,
  ): Promise<{ ok: true; replicas: number; name: string; statuses: MetricStatus[] } | { ok: false; error: string; statuses?: MetricStatus[] }> {
    const recorder = this.#manager.recorder(HPA_CONTROLLER_COMPONENT);
    const selectorText = scale.status?.selector ?? '';
    if (selectorText === '') {
      const message = 'selector is required';
      void recorder.event(hpa, 'Warning', 'SelectorRequired', message);
      set('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return { ok: false, error: message };
    }
    let pods: Pod[];
    try {
      const selector = parseSelector(selectorText);
      pods = this.#manager.cache(Pods).list(hpa.metadata.namespace ?? '').filter((p) => selector.matches(p.metadata.labels ?? {}));
    } catch (error) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${error instanceof Error ? error.message : String(error)}`;
      void recorder.event(hpa, 'Warning', 'InvalidSelector', message);
      set('ScalingActive', 'False', 'InvalidSelector', message);
      return { ok: false, error: message };
    }
    const specs = hpa.spec.metrics ?? [];
    const statuses: MetricStatus[] = [];
    let best: { replicas: number; name: string } | undefined;
    let firstInvalid: { reason: string; error: string } | undefined;
    let invalid = 0;
    for (const spec of specs) {
      const outcome = await this.#computeReplicasForMetric(hpa, spec, scale, pods, nowMs);
      if (!outcome.ok) {
        invalid++;
        firstInvalid ??= { reason: outcome.reason, error: outcome.error };
        void recorder.event(hpa, 'Warning', outcome.reason, outcome.error);
        statuses.push({ type: spec.type });
        continue;
      }
      statuses.push(outcome.status);
      if (best === undefined || outcome.replicas > best.replicas) best = { replicas: outcome.replicas, name: outcome.name };
    }
    if (invalid >= specs.length || best === undefined) {
      const first = firstInvalid ?? { reason: 'FailedGetResourceMetric', error: 'no metrics' };
      set('ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: ${first.error}`);
      return { ok: false, error: `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.error}`, statuses };
    }
    set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.name}`);
    return { ok: true, replicas: best.replicas, name: best.name, statuses };
  }

  /** One metric (upstream `computeReplicasForMetric`): dispatches on its type; every failure is a reason and upstream's message. */
  async #computeReplicasForMetric(hpa: HorizontalPodAutoscaler, spec: MetricSpec, scale: Scale, pods: Pod[], nowMs: number): Promise<MetricOutcome> {
    const options = calculatorOptions(this.#options, hpa);
    const specReplicas = scale.spec.replicas ?? 0;
    const statusReplicas = scale.status?.replicas ?? 0;
    const namespace = hpa.metadata.namespace ?? '';
    const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
    switch (spec.type) {
      case 'Resource':
      case 'ContainerResource':
        return this.#resourceMetric(spec, specReplicas, pods, nowMs, namespace, options);
      case 'Pods': {
        const source = spec.pods;
        const fail = (m: string): MetricOutcome => ({ ok: false, reason: 'FailedGetPodsMetric', error: `failed to get pods metric value: ${m}` });
        if (source === undefined || source.target.averageValue === undefined) return fail('invalid pods metric source: no average value target was set');
        const name = source.metric.name;
        try {
          const values = await this.#metricValues(namespace, name, 'Pod', source.metric.selector);
          const podNames = new Set(pods.map((p) => p.metadata.name ?? ''));
          const samples = new Map<string, PodMetricSample>();
          for (const v of values) {
            if (podNames.has(v.describedObject.name)) samples.set(v.describedObject.name, sampleOf(v));
          }
          if (samples.size === 0) return fail(`unable to get metric ${name}: no metrics returned from custom metrics API`);
          const target = milli(source.target.averageValue);
          if (pods.length === 0) throw new ReplicaCalculationError('no-pods', 'no pods returned by selector while calculating replica count');
          const r = podsMetricReplicas({ currentReplicas: specReplicas, pods, metrics: samples, nowMs, targetMilliValue: target }, options);
          return { ok: true, replicas: r.replicas, name: `pods metric ${name}`, status: { type: 'Pods', pods: { metric: source.metric, current: { averageValue: formatMilliQuantity(r.averageMilliValue) } } } };
        } catch (error) {
          return fail(message(error));
        }
      }
      case 'Object': {
        const source = spec.object;
        const fail = (m: string): MetricOutcome => ({ ok: false, reason: 'FailedGetObjectMetric', error: `failed to get object metric value: ${m}` });
        if (source === undefined) return fail('invalid object metric source: neither a value target nor an average value target was set');
        const name = source.metric.name;
        const described = source.describedObject;
        try {
          const values = (await this.#metricValues(namespace, name, described.kind, source.metric.selector)).filter((v) => v.describedObject.name === described.name);
          if (values.length === 0) {
            return fail(`unable to get metric ${name}: ${described.kind} on ${namespace} ${described.name}/unable to fetch metrics from custom metrics API: the server could not find the metric ${name} for ${described.kind.toLowerCase()}s ${described.name}`);
          }
          const usage = milli(values[0]!.value);
          if (source.target.value !== undefined) {
            const replicas = usageRatioReplicas(specReplicas, usage / milli(source.target.value), pods, options);
            return { ok: true, replicas, name: `${described.kind} metric ${name}`, status: { type: 'Object', object: { describedObject: described, metric: source.metric, current: { value: formatMilliQuantity(usage) } } } };
          }
          if (source.target.averageValue !== undefined) {
            const r = perPodTotalReplicas(statusReplicas, usage, milli(source.target.averageValue), options);
            return { ok: true, replicas: r.replicas, name: `external metric ${name}(${selectorText(source.metric.selector)})`, status: { type: 'Object', object: { describedObject: described, metric: source.metric, current: { averageValue: formatMilliQuantity(r.averageMilliValue) } } } };
          }
          return fail('invalid object metric source: neither a value target nor an average value target was set');
        } catch (error) {
          return fail(message(error));
        }
      }
      case 'External': {
        const source = spec.external;
        if (source === undefined) return { ok: false, reason: 'FailedGetExternalMetric', error: 'invalid external metric source: neither a value target nor an average value target was set' };
        const name = source.metric.name;
        const perPod = source.target.averageValue !== undefined;
        const fail = (m: string): MetricOutcome => ({ ok: false, reason: 'FailedGetExternalMetric', error: perPod ? `failed to get ${name} external metric: ${m}` : `failed to get external metric ${name}: ${m}` });
        if (!perPod && source.target.value === undefined) return { ok: false, reason: 'FailedGetExternalMetric', error: 'invalid external metric source: neither a value target nor an average value target was set' };
        try {
          const selector = source.metric.selector === undefined ? everythingSelector : selectorFromLabelSelector(source.metric.selector);
          let values: readonly ExternalMetricValue[];
          try {
            const labelValue = metricLabelValue(name);
            values = (await this.#manager.client.list(ExternalMetricValues, { namespace, ...(labelValue === undefined ? {} : { labelSelector: `${METRIC_NAME_LABEL}=${labelValue}` }) })).items;
          } catch (error) {
            throw new Error(`unable to get external metric ${namespace}/${name}/${selectorText(source.metric.selector)}: unable to fetch metrics from external metrics API: ${message(error)}`, { cause: error });
          }
          values = values.filter((v) => v.metricName === name && selector.matches(v.metricLabels));
          if (values.length === 0) throw new Error(`unable to get external metric ${namespace}/${name}/${selectorText(source.metric.selector)}: no metrics returned from external metrics API`);
          let usage = 0;
          for (const v of values) usage += milli(v.value);
          const metricName = `external metric ${name}(${selectorText(source.metric.selector)})`;
          if (perPod) {
            const r = perPodTotalReplicas(statusReplicas, usage, milli(source.target.averageValue!), options);
            return { ok: true, replicas: r.replicas, name: metricName, status: { type: 'External', external: { metric: source.metric, current: { averageValue: formatMilliQuantity(r.averageMilliValue) } } } };
          }
          const replicas = usageRatioReplicas(specReplicas, usage / milli(source.target.value!), pods, options);
          return { ok: true, replicas, name: metricName, status: { type: 'External', external: { metric: source.metric, current: { value: formatMilliQuantity(usage) } } } };
        } catch (error) {
          return fail(message(error));
        }
      }
      default:
        return { ok: false, reason: 'InvalidMetricSourceType', error: `unknown metric source type "${String((spec as { type: unknown }).type)}"` };
    }
  }

  /** The custom metric `name`'s series describing objects of `kind` in `namespace`, whose labels `selector` matches. */
  async #metricValues(namespace: string, name: string, kind: string, selector: LabelSelector | undefined): Promise<MetricValue[]> {
    const matches = selector === undefined ? everythingSelector : selectorFromLabelSelector(selector);
    const labels = [[METRIC_NAME_LABEL, metricLabelValue(name)], [DESCRIBED_KIND_LABEL, metricLabelValue(kind)]].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    let items: readonly MetricValue[];
    try {
      items = (await this.#manager.client.list(MetricValues, { namespace, ...(labels.length === 0 ? {} : { labelSelector: labels.join(',') }) })).items;
    } catch (error) {
      throw new Error(`unable to get metric ${name}: unable to fetch metrics from custom metrics API: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return items.filter((v) => v.metric.name === name && v.describedObject.kind === kind && matches.matches(v.metricLabels));
  }

  /** A Resource or ContainerResource metric (upstream `computeStatusFor[Container]ResourceMetric`). */
  async #resourceMetric(spec: MetricSpec, currentReplicas: number, pods: Pod[], nowMs: number, namespace: string, options: ReplicaCalculatorOptions): Promise<MetricOutcome> {
    const container = spec.type === 'ContainerResource' ? spec.containerResource?.container : undefined;
    const source = spec.type === 'ContainerResource' ? spec.containerResource : spec.resource;
    const reason = spec.type === 'ContainerResource' ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
    if (source === undefined) return { ok: false, reason, error: 'invalid resource metric source: neither a utilization target nor a value target was set' };
    const name = source.name;
    const target = source.target;
    const fail = (message: string): MetricOutcome => ({
      ok: false,
      reason,
      error: container === undefined ? `failed to get ${name} utilization: ${message}` : `failed to get ${name} container metric value: ${message}`,
    });
    let items;
    try {
      items = (await this.#manager.client.list(PodMetricses, { namespace })).items;
    } catch (error) {
      return fail(`unable to get metrics for resource ${name}: unable to fetch metrics from resource metrics API: ${error instanceof Error ? error.message : String(error)}`);
    }
    const noun = container === undefined ? '' : 'container ';
    try {
      const samples = samplesFromPodMetrics(items, name, new Set(pods.map((p) => p.metadata.name ?? '')), container);
      if (samples.size === 0) return fail(`unable to get metrics for resource ${name}: no metrics returned from resource metrics API`);
      if (target.averageValue !== undefined) {
        const m = Math.round(parseQuantity(String(target.averageValue)).milliValue());
        const r = resourceReplicas({ currentReplicas, resource: name, pods, metrics: samples, nowMs, container, target: { type: 'AverageValue', milliValue: m } }, options);
        const current = { averageValue: formatMilliQuantity(r.rawAverageValue) };
        return { ok: true, replicas: r.replicas, name: `${name} ${noun}resource`, status: container === undefined ? { type: 'Resource', resource: { name, current } } : { type: 'ContainerResource', containerResource: { name, container, current } } };
      }
      if (target.averageUtilization === undefined) return fail('invalid resource metric source: neither a utilization target nor a value target was set');
      const r = resourceReplicas({ currentReplicas, resource: name, pods, metrics: samples, nowMs, container, target: { type: 'Utilization', averageUtilization: target.averageUtilization } }, options);
      const current = { averageUtilization: r.utilization, averageValue: formatMilliQuantity(r.rawAverageValue) };
      return {
        ok: true,
        replicas: r.replicas,
        name: `${name} ${noun}resource utilization (percentage of request)`,
        status: container === undefined ? { type: 'Resource', resource: { name, current } } : { type: 'ContainerResource', containerResource: { name, container, current } },
      };
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  }
}

const everythingSelector = { matches: (): boolean => true };

/**
 * The calculator's options for one HPA: the controller's, with the tolerance of each direction
 * that the HPA's `behavior` sets (upstream's configurable tolerance), the controller's otherwise.
 */
function calculatorOptions(options: ReplicaCalculatorOptions, hpa: HorizontalPodAutoscaler): ReplicaCalculatorOptions {
  const up = hpa.spec.behavior?.scaleUp?.tolerance;
  const down = hpa.spec.behavior?.scaleDown?.tolerance;
  if (up === undefined && down === undefined) return options;
  const base = options.tolerance ?? DEFAULT_HPA_TOLERANCE;
  const fallback = (direction: 'scaleUp' | 'scaleDown'): number => (typeof base === 'number' ? base : base[direction]);
  return {
    ...options,
    tolerance: {
      scaleUp: up === undefined ? fallback('scaleUp') : parseQuantity(String(up)).milliValue() / 1000,
      scaleDown: down === undefined ? fallback('scaleDown') : parseQuantity(String(down)).milliValue() / 1000,
    },
  };
}

/** A quantity in milli-units. */
function milli(q: string | number): number {
  return Math.round(parseQuantity(String(q)).milliValue());
}

/** A custom metric's value as a per-pod sample. */
function sampleOf(v: MetricValue): PodMetricSample {
  return { milliValue: milli(v.value), timestampMs: parseTime(v.timestamp), windowMs: (v.windowSeconds ?? 0) * 1000 };
}

/** A metric selector as upstream's `%+v` prints a `*LabelSelector` in the metric names: `nil`, or its Go struct form. */
function selectorText(selector: LabelSelector | undefined): string {
  if (selector === undefined) return 'nil';
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}: ${v},`).join('');
  const expressions = (selector.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}

/** Builds the HPA controller on a manager: every HorizontalPodAutoscaler, synced every 15 s. */
export function horizontalPodAutoscalerController(manager: Manager, options: HpaControllerOptions = {}): Controller {
  return controllerFor(manager, HorizontalPodAutoscalers)
    .named(HPA_CONTROLLER_NAME)
    .watches(Pods, () => [])
    .withConcurrency(options.concurrency ?? 1)
    .complete(new HorizontalPodAutoscalerReconciler(manager, options));
}

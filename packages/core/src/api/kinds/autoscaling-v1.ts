/**
 * The HorizontalPodAutoscaler in `autoscaling/v1`, as the API server converts it to and from the
 * stored `autoscaling/v2` (upstream `pkg/apis/autoscaling/v1/conversion.go`).
 *
 * `autoscaling/v1` has one metric field, `spec.targetCPUUtilizationPercentage`, and its status
 * one, `currentCPUUtilizationPercentage`. Everything else v2 holds travels in annotations, so a
 * v1 client that reads an object and writes it back loses nothing:
 * - `autoscaling.alpha.kubernetes.io/metrics`: the metrics other than a CPU utilization target,
 *   as v1 `MetricSpec`s (`metricName`, `targetAverageValue`, … the v2beta1 field names);
 * - `autoscaling.alpha.kubernetes.io/current-metrics`: every current metric, as v1 `MetricStatus`es;
 * - `autoscaling.alpha.kubernetes.io/conditions`: the status conditions;
 * - `autoscaling.alpha.kubernetes.io/behavior`: `spec.behavior`, with Go's field names
 *   (`ScaleUp`, `StabilizationWindowSeconds`, …: upstream marshals its internal type, which has
 *   no JSON tags), read back case-insensitively as Go's decoder does.
 *
 * Reading v1 writes these back into the v2 fields and drops the annotations; an annotation the
 * server did not write itself is refused with its field path when it does not decode.
 *
 * @module
 */
import { ApiError } from '../errors.js';
import type { HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, MetricSpec, MetricStatus } from './autoscaling.js';

const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

/** The annotations the conversion owns (upstream `DropRoundTripHorizontalPodAutoscalerAnnotations`). */
const ROUND_TRIP: readonly string[] = [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR];

type Json = Record<string, unknown>;

function record(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** Whether a field is there (JSON `null` is not). */
const present = (v: unknown): boolean => v !== undefined && v !== null;

/** `{ key: value }` when `value` is set, `{}` otherwise (Go's `omitempty` on a pointer). */
function opt(key: string, value: unknown): Json {
  return present(value) ? { [key]: value } : {};
}

/** A non-pointer Go quantity: an absent one marshals as `"0"`. */
function quantity(value: unknown): unknown {
  return present(value) ? value : '0';
}

/** `annotations` without the ones the conversion owns; undefined when none are left. */
function withoutRoundTrip(annotations: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (annotations === undefined) return undefined;
  const out = Object.fromEntries(Object.entries(annotations).filter(([k]) => !ROUND_TRIP.includes(k)));
  return Object.keys(out).length === 0 ? undefined : out;
}

/** A cross-version object reference as v1 writes it (`apiVersion` only when set). */
function reference(r: Json): Json {
  return { kind: r.kind ?? '', name: r.name ?? '', ...opt('apiVersion', r.apiVersion) };
}

/** v2's metric identifier from a v1 source's `metricName` and its selector field. */
function identifierFromV1(source: Json, selectorKey: string): Json {
  return { name: source.metricName ?? '', ...opt('selector', source[selectorKey]) };
}

function isCpuUtilization(m: MetricSpec): boolean {
  return m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.averageUtilization !== undefined;
}

function metricSpecToV1(m: MetricSpec): Json {
  const out: Json = { type: m.type };
  if (m.object) {
    const { describedObject: d, metric, target } = m.object;
    out.object = { target: reference(d), metricName: metric.name, targetValue: quantity(target.value), ...opt('selector', metric.selector), ...opt('averageValue', target.averageValue) };
  }
  if (m.pods) out.pods = { metricName: m.pods.metric.name, targetAverageValue: quantity(m.pods.target.averageValue), ...opt('selector', m.pods.metric.selector) };
  if (m.resource) {
    const t = m.resource.target;
    out.resource = { name: m.resource.name, ...opt('targetAverageUtilization', t.averageUtilization), ...opt('targetAverageValue', t.averageValue) };
  }
  if (m.containerResource) {
    const t = m.containerResource.target;
    out.containerResource = { name: m.containerResource.name, ...opt('targetAverageUtilization', t.averageUtilization), ...opt('targetAverageValue', t.averageValue), container: m.containerResource.container };
  }
  if (m.external) {
    const { metric, target } = m.external;
    out.external = { metricName: metric.name, ...opt('metricSelector', metric.selector), ...opt('targetValue', target.value), ...opt('targetAverageValue', target.averageValue) };
  }
  return out;
}

function metricSpecFromV1(raw: unknown): Json {
  const m = record(raw);
  const out: Json = { type: m.type };
  if (present(m.object)) {
    const o = record(m.object);
    const t = record(o.target);
    out.object = {
      describedObject: reference(t),
      metric: identifierFromV1(o, 'selector'),
      target: { type: present(o.averageValue) ? 'AverageValue' : 'Value', value: quantity(o.targetValue), ...opt('averageValue', o.averageValue) },
    };
  }
  if (present(m.pods)) {
    const p = record(m.pods);
    out.pods = { metric: identifierFromV1(p, 'selector'), target: { type: 'AverageValue', averageValue: quantity(p.targetAverageValue) } };
  }
  for (const key of ['resource', 'containerResource'] as const) {
    if (!present(m[key])) continue;
    const r = record(m[key]);
    const utilization = r.targetAverageUtilization;
    const target = { type: present(utilization) ? 'Utilization' : 'AverageValue', ...opt('averageValue', r.targetAverageValue), ...opt('averageUtilization', utilization) };
    out[key] = { name: r.name ?? '', ...(key === 'containerResource' ? { container: r.container ?? '' } : {}), target };
  }
  if (present(m.external)) {
    const e = record(m.external);
    out.external = {
      metric: identifierFromV1(e, 'metricSelector'),
      target: { type: present(e.targetValue) ? 'Value' : 'AverageValue', ...opt('value', e.targetValue), ...opt('averageValue', e.targetAverageValue) },
    };
  }
  return out;
}

function metricStatusToV1(m: MetricStatus): Json {
  const out: Json = { type: m.type };
  if (m.object) {
    const { describedObject: d, metric, current } = m.object;
    out.object = { target: reference(d), metricName: metric.name, currentValue: quantity(current.value), ...opt('selector', metric.selector), ...opt('averageValue', current.averageValue) };
  }
  if (m.pods) out.pods = { metricName: m.pods.metric.name, currentAverageValue: quantity(m.pods.current.averageValue), ...opt('selector', m.pods.metric.selector) };
  if (m.resource) {
    const c = m.resource.current;
    out.resource = { name: m.resource.name, ...opt('currentAverageUtilization', c.averageUtilization), currentAverageValue: quantity(c.averageValue) };
  }
  if (m.containerResource) {
    const c = m.containerResource.current;
    out.containerResource = { name: m.containerResource.name, ...opt('currentAverageUtilization', c.averageUtilization), currentAverageValue: quantity(c.averageValue), container: m.containerResource.container };
  }
  if (m.external) {
    const { metric, current } = m.external;
    out.external = { metricName: metric.name, ...opt('metricSelector', metric.selector), currentValue: quantity(current.value), ...opt('currentAverageValue', current.averageValue) };
  }
  return out;
}

function metricStatusFromV1(raw: unknown): Json {
  const m = record(raw);
  const out: Json = { type: m.type };
  if (present(m.object)) {
    const o = record(m.object);
    const t = record(o.target);
    out.object = { describedObject: reference(t), metric: identifierFromV1(o, 'selector'), current: { value: quantity(o.currentValue), ...opt('averageValue', o.averageValue) } };
  }
  if (present(m.pods)) {
    const p = record(m.pods);
    out.pods = { metric: identifierFromV1(p, 'selector'), current: { averageValue: quantity(p.currentAverageValue) } };
  }
  for (const key of ['resource', 'containerResource'] as const) {
    if (!present(m[key])) continue;
    const r = record(m[key]);
    out[key] = { name: r.name ?? '', ...(key === 'containerResource' ? { container: r.container ?? '' } : {}), current: { averageValue: quantity(r.currentAverageValue), ...opt('averageUtilization', r.currentAverageUtilization) } };
  }
  if (present(m.external)) {
    const e = record(m.external);
    out.external = { metric: identifierFromV1(e, 'metricSelector'), current: { value: quantity(e.currentValue), ...opt('averageValue', e.currentAverageValue) } };
  }
  return out;
}

/** Rules with Go's field names, every field present (`null` for an unset pointer or slice). */
function rulesToGo(rules: HPAScalingRules | undefined): Json | null {
  if (rules === undefined) return null;
  return {
    StabilizationWindowSeconds: rules.stabilizationWindowSeconds ?? null,
    SelectPolicy: rules.selectPolicy ?? null,
    Policies: rules.policies === undefined ? null : rules.policies.map((p) => ({ Type: p.type, Value: p.value, PeriodSeconds: p.periodSeconds })),
    Tolerance: rules.tolerance ?? null,
  };
}

/** A field of a Go-encoded struct, matched case-insensitively as Go's decoder matches names. */
function goField(object: Json, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function rulesFromGo(raw: unknown): Json | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Json;
  const policies = goField(r, 'Policies');
  return {
    ...opt('stabilizationWindowSeconds', goField(r, 'StabilizationWindowSeconds')),
    ...opt('selectPolicy', goField(r, 'SelectPolicy')),
    ...(Array.isArray(policies) ? { policies: policies.map((p) => ({ type: goField(record(p), 'Type'), value: goField(record(p), 'Value'), periodSeconds: goField(record(p), 'PeriodSeconds') })) } : {}),
    ...opt('tolerance', goField(r, 'Tolerance')),
  };
}

/**
 * The behavior an annotation holds, or undefined: as upstream, one that does not decode, or
 * decodes to no rules at all, is ignored.
 */
function behaviorFromGo(text: string): Json | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const scaleUp = rulesFromGo(goField(raw as Json, 'ScaleUp'));
  const scaleDown = rulesFromGo(goField(raw as Json, 'ScaleDown'));
  if (scaleUp === undefined && scaleDown === undefined) return undefined;
  return { ...opt('scaleUp', scaleUp), ...opt('scaleDown', scaleDown) };
}

/** The JSON list an annotation holds; a 400 naming the annotation when it is not one. */
function listAnnotation(annotations: Json, key: string, what: string): unknown[] | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) {
    throw new ApiError('BadRequest', `metadata.annotations[${key}]: Invalid value: ${JSON.stringify(text)}: must be a JSON list of autoscaling/v1 ${what}`);
  }
  return value;
}

/**
 * A stored autoscaling/v2 HorizontalPodAutoscaler as an autoscaling/v1 client reads it: the CPU
 * utilization target and current value in v1's own fields, the rest in the annotations the
 * module documentation lists (replacing any of them the object carried).
 *
 * @example
 * ```ts
 * convertHorizontalPodAutoscalerToV1(hpa).spec; // { scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 }
 * ```
 */
export function convertHorizontalPodAutoscalerToV1(hpa: HorizontalPodAutoscaler): Record<string, unknown> {
  const { spec, status } = hpa;
  const metrics = spec.metrics ?? [];
  // Upstream takes the first CPU Resource metric, with a utilization target or not.
  const cpu = metrics.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  // ... and, for the status, the last CPU Resource metric with a utilization.
  const currentCpu = (status.currentMetrics ?? []).filter((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current.averageUtilization !== undefined).at(-1);
  const others = metrics.filter((m) => !isCpuUtilization(m));
  const annotations: Record<string, string> = { ...withoutRoundTrip(hpa.metadata.annotations) };
  if (others.length > 0) annotations[METRICS] = JSON.stringify(others.map(metricSpecToV1));
  if ((status.currentMetrics ?? []).length > 0) annotations[CURRENT_METRICS] = JSON.stringify(status.currentMetrics!.map(metricStatusToV1));
  if (spec.behavior !== undefined) annotations[BEHAVIOR] = JSON.stringify({ ScaleUp: rulesToGo(spec.behavior.scaleUp), ScaleDown: rulesToGo(spec.behavior.scaleDown) });
  if ((status.conditions ?? []).length > 0) annotations[CONDITIONS] = JSON.stringify(status.conditions);
  const { annotations: _dropped, ...metadata } = hpa.metadata;
  const ref = spec.scaleTargetRef;
  return {
    apiVersion: 'autoscaling/v1',
    kind: hpa.kind,
    metadata: Object.keys(annotations).length === 0 ? metadata : { ...metadata, annotations },
    spec: {
      scaleTargetRef: reference(ref),
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      ...opt('targetCPUUtilizationPercentage', cpu?.resource?.target.averageUtilization),
    },
    status: {
      ...opt('observedGeneration', status.observedGeneration),
      ...opt('lastScaleTime', status.lastScaleTime),
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas,
      ...opt('currentCPUUtilizationPercentage', currentCpu?.resource?.current.averageUtilization),
    },
  };
}

/**
 * Converts an autoscaling/v1 HorizontalPodAutoscaler (a manifest, or a body sent to the v1 API)
 * to autoscaling/v2: `targetCPUUtilizationPercentage: 50` becomes the metric
 * `{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}`,
 * placed after the metrics of the `autoscaling.alpha.kubernetes.io/metrics` annotation;
 * `status.currentCPUUtilizationPercentage` becomes the matching `currentMetrics` entry unless the
 * current-metrics annotation carries them all; the behavior and conditions annotations fill
 * `spec.behavior` and `status.conditions`; the annotations are dropped. Other fields
 * (`scaleTargetRef`, `minReplicas`, `maxReplicas`, status counts) carry over.
 *
 * @throws {@link ApiError} `BadRequest` naming the annotation when the metrics, current-metrics
 * or conditions annotation is not a JSON list (a behavior that does not decode is ignored, as
 * upstream ignores it).
 */
export function convertHorizontalPodAutoscalerV1(raw: Record<string, unknown>): Record<string, unknown> {
  const meta = record(raw.metadata);
  const annotations = record(meta.annotations);
  const { targetCPUUtilizationPercentage, ...restSpec } = record(raw.spec);
  const spec: Json = { ...restSpec };
  const metrics: unknown[] = (listAnnotation(annotations, METRICS, 'MetricSpec') ?? []).map(metricSpecFromV1);
  if (typeof targetCPUUtilizationPercentage === 'number') {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCPUUtilizationPercentage } } });
  }
  if (metrics.length > 0) spec.metrics = metrics;
  const behavior = typeof annotations[BEHAVIOR] === 'string' ? behaviorFromGo(annotations[BEHAVIOR]) : undefined;
  if (behavior !== undefined) spec.behavior = behavior as HorizontalPodAutoscalerBehavior;
  const out: Json = { ...raw, apiVersion: 'autoscaling/v2', spec };
  const current = listAnnotation(annotations, CURRENT_METRICS, 'MetricStatus');
  const conditions = listAnnotation(annotations, CONDITIONS, 'HorizontalPodAutoscalerCondition');
  if (raw.status !== undefined || current !== undefined || conditions !== undefined) {
    const { currentCPUUtilizationPercentage, currentReplicas, ...restStatus } = record(raw.status);
    // v1 always carries the count; v2 leaves a zero one out (Go's `omitempty`).
    const status: Json = { ...restStatus, ...(currentReplicas === 0 ? {} : opt('currentReplicas', currentReplicas)) };
    if (current !== undefined) status.currentMetrics = current.map(metricStatusFromV1);
    else if (typeof currentCPUUtilizationPercentage === 'number') {
      status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: currentCPUUtilizationPercentage } } }];
    }
    if (conditions !== undefined) status.conditions = conditions;
    out.status = status;
  }
  if (ROUND_TRIP.some((k) => k in annotations)) {
    const kept = withoutRoundTrip(annotations as Record<string, string>);
    const { annotations: _dropped, ...restMeta } = meta;
    out.metadata = kept === undefined ? restMeta : { ...restMeta, annotations: kept };
  }
  return out;
}

/**
 * The autoscaling/v1 form of a HorizontalPodAutoscaler: what a v1 client reads (upstream's
 * field names and round-trip annotations) and that writing it back changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { runs } from '../../testing/index.js';
import { isApiError } from '../errors.js';
import { HorizontalPodAutoscalers } from './autoscaling.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from './autoscaling.js';
import { convertHorizontalPodAutoscalerToV1, convertHorizontalPodAutoscalerV1 } from './autoscaling-v1.js';

/** Decodes and defaults a body as the API server does (schema, then the kind's defaults). */
function admit(raw: unknown): HorizontalPodAutoscaler {
  const body = raw as Record<string, unknown>;
  const converted = body.apiVersion === 'autoscaling/v1' ? convertHorizontalPodAutoscalerV1(body) : body;
  return HorizontalPodAutoscalers.defaults!(HorizontalPodAutoscalers.schema.parse(converted));
}

const ref = { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' };
const hpa = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, annotations?: Record<string, string>): HorizontalPodAutoscaler =>
  admit({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) }, spec: { scaleTargetRef: ref, maxReplicas: 5, ...spec }, status });
const cpu = (averageUtilization: number): MetricSpec => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } } });

describe('an autoscaling/v2 HorizontalPodAutoscaler read as autoscaling/v1', () => {
  it('puts a CPU utilization target in targetCPUUtilizationPercentage, with no annotation', () => {
    const v1 = convertHorizontalPodAutoscalerToV1(hpa({ minReplicas: 2, metrics: [cpu(50)] }, { currentReplicas: 2, desiredReplicas: 3 }));
    expect(v1).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 2, desiredReplicas: 3 },
    });
  });

  it('keeps the other metrics, every current metric and the conditions in upstream annotations, in v1 field names', () => {
    const memory: MetricSpec = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
    const rps: MetricSpec = { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } };
    const current: MetricStatus[] = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 120, averageValue: '240m' } } }];
    const conditions = [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    const v1 = convertHorizontalPodAutoscalerToV1(hpa({ metrics: [memory, cpu(60), rps] }, { desiredReplicas: 2, currentMetrics: current, conditions }, { team: 'a' }));
    const spec = v1.spec as Record<string, unknown>;
    expect(spec.targetCPUUtilizationPercentage).toBe(60);
    expect((v1.status as Record<string, unknown>).currentCPUUtilizationPercentage).toBe(120);
    const annotations = (v1.metadata as { annotations: Record<string, string> }).annotations;
    expect(annotations.team).toBe('a');
    expect(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/metrics']!)).toEqual([
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } },
      { type: 'Pods', pods: { metricName: 'rps', targetAverageValue: '10' } },
    ]);
    expect(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/current-metrics']!)).toEqual([
      { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 120, currentAverageValue: '240m' } },
    ]);
    expect(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/conditions']!)).toEqual(conditions);
  });

  it('writes the behavior with Go field names, as upstream marshals its internal type', () => {
    const v1 = convertHorizontalPodAutoscalerToV1(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }));
    const text = (v1.metadata as { annotations: Record<string, string> }).annotations['autoscaling.alpha.kubernetes.io/behavior']!;
    expect(JSON.parse(text)).toEqual({
      ScaleUp: { StabilizationWindowSeconds: 0, SelectPolicy: 'Max', Policies: [{ Type: 'Pods', Value: 4, PeriodSeconds: 15 }, { Type: 'Percent', Value: 100, PeriodSeconds: 15 }], Tolerance: null },
      ScaleDown: { StabilizationWindowSeconds: 60, SelectPolicy: 'Max', Policies: [{ Type: 'Percent', Value: 100, PeriodSeconds: 15 }], Tolerance: null },
    });
  });

  it('replaces round-trip annotations the stored object carried instead of keeping stale ones', () => {
    const v1 = convertHorizontalPodAutoscalerToV1(hpa({ metrics: [cpu(50)] }, {}, { 'autoscaling.alpha.kubernetes.io/metrics': '[{"type":"Pods"}]' }));
    expect((v1.metadata as { annotations?: unknown }).annotations).toBeUndefined();
  });
});

describe('an autoscaling/v1 HorizontalPodAutoscaler written back', () => {
  it('reads the annotations back into v2 fields and drops them; the CPU target comes after the annotated metrics', () => {
    const v1 = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', annotations: { 'autoscaling.alpha.kubernetes.io/metrics': '[{"type":"External","external":{"metricName":"queue","targetAverageValue":"30"}}]', keep: 'me' } },
      spec: { scaleTargetRef: ref, maxReplicas: 4, targetCPUUtilizationPercentage: 70 },
    };
    const v2 = admit(v1);
    expect(v2.metadata.annotations).toEqual({ keep: 'me' });
    expect(v2.spec.metrics).toEqual([{ type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } }, cpu(70)]);
  });

  it('gives a v1 HPA without a target the 80% CPU default', () => {
    expect(admit({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: ref, maxReplicas: 4 } }).spec.metrics).toEqual([cpu(80)]);
  });

  it('refuses a metrics annotation that is not a JSON list, naming it, and ignores a behavior that does not decode', () => {
    const body = (annotations: Record<string, string>) => ({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', annotations }, spec: { scaleTargetRef: ref, maxReplicas: 4 } });
    let caught: unknown;
    try {
      convertHorizontalPodAutoscalerV1(body({ 'autoscaling.alpha.kubernetes.io/metrics': 'abc' }));
    } catch (e) {
      caught = e;
    }
    expect(isApiError(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toBe('metadata.annotations[autoscaling.alpha.kubernetes.io/metrics]: Invalid value: "abc": must be a JSON list of autoscaling/v1 MetricSpec');
    const v2 = admit(body({ 'autoscaling.alpha.kubernetes.io/behavior': 'abc' }));
    expect(v2.spec.behavior).toBeUndefined();
    expect(v2.metadata.annotations).toBeUndefined();
  });
});

// Arbitrary v2 HPAs: every metric source and target type, current metrics, behavior, conditions.
const quantity = fc.constantFrom('1', '250m', '100Mi', '3');
const selector = fc.option(fc.record({ matchLabels: fc.constant({ app: 'web' }) }), { nil: undefined });
const identifier = fc.record({ name: fc.constantFrom('rps', 'queue'), selector }, { requiredKeys: ['name'] });
const target = fc.oneof(
  fc.record({ type: fc.constant('Utilization' as const), averageUtilization: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ type: fc.constant('AverageValue' as const), averageValue: quantity }),
);
const valueTarget = fc.oneof(fc.record({ type: fc.constant('Value' as const), value: quantity }), fc.record({ type: fc.constant('AverageValue' as const), value: quantity, averageValue: quantity }));
const metric: fc.Arbitrary<MetricSpec> = fc.oneof(
  fc.record({ type: fc.constant('Resource' as const), resource: fc.record({ name: fc.constantFrom('cpu', 'memory'), target }) }),
  fc.record({ type: fc.constant('ContainerResource' as const), containerResource: fc.record({ name: fc.constantFrom('cpu', 'memory'), container: fc.constant('app'), target }) }),
  fc.record({ type: fc.constant('Pods' as const), pods: fc.record({ metric: identifier, target: fc.record({ type: fc.constant('AverageValue' as const), averageValue: quantity }) }) }),
  fc.record({ type: fc.constant('Object' as const), object: fc.record({ describedObject: fc.constant({ kind: 'Ingress', name: 'main', apiVersion: 'networking.k8s.io/v1' }), metric: identifier, target: valueTarget }) }),
  fc.record({ type: fc.constant('External' as const), external: fc.record({ metric: identifier, target: fc.oneof(fc.record({ type: fc.constant('Value' as const), value: quantity }), fc.record({ type: fc.constant('AverageValue' as const), averageValue: quantity })) }) }),
);
const current: fc.Arbitrary<MetricStatus> = fc.oneof(
  fc.record({ type: fc.constant('Resource' as const), resource: fc.record({ name: fc.constantFrom('cpu', 'memory'), current: fc.record({ averageValue: quantity, averageUtilization: fc.integer({ min: 0, max: 300 }) }, { requiredKeys: ['averageValue'] }) }) }),
  fc.record({ type: fc.constant('Pods' as const), pods: fc.record({ metric: identifier, current: fc.record({ averageValue: quantity }) }) }),
  fc.record({ type: fc.constant('External' as const), external: fc.record({ metric: identifier, current: fc.record({ value: quantity, averageValue: quantity }, { requiredKeys: ['value'] }) }) }),
);
const rules = fc.option(
  fc.record({ stabilizationWindowSeconds: fc.integer({ min: 0, max: 3600 }), selectPolicy: fc.constantFrom('Max' as const, 'Min' as const), policies: fc.array(fc.record({ type: fc.constantFrom('Pods' as const, 'Percent' as const), value: fc.integer({ min: 1, max: 10 }), periodSeconds: fc.integer({ min: 1, max: 60 }) }), { minLength: 1, maxLength: 2 }), tolerance: quantity }, { requiredKeys: [] }),
  { nil: undefined },
);
const stored = fc
  .record({
    metrics: fc.array(metric, { maxLength: 4 }),
    behavior: fc.option(fc.record({ scaleUp: rules, scaleDown: rules }), { nil: undefined }),
    currentMetrics: fc.array(current, { maxLength: 3 }),
    conditions: fc.array(fc.record({ type: fc.constantFrom('AbleToScale', 'ScalingActive', 'ScalingLimited'), status: fc.constantFrom('True', 'False'), reason: fc.constant('Reason') }), { maxLength: 3 }),
    minReplicas: fc.integer({ min: 1, max: 3 }),
  })
  // At most one CPU Resource metric: v1 has one field for it, and upstream drops a second one.
  .map(({ metrics, behavior, currentMetrics, conditions, minReplicas }) => {
    const isCpu = (m: MetricSpec): boolean => m.type === 'Resource' && m.resource?.name === 'cpu';
    const kept = metrics.filter((m, i) => !isCpu(m) || metrics.findIndex(isCpu) === i);
    return hpa({ minReplicas, ...(kept.length > 0 ? { metrics: kept } : {}), ...(behavior ? { behavior } : {}) }, { desiredReplicas: 1, ...(currentMetrics.length > 0 ? { currentMetrics } : {}), ...(conditions.length > 0 ? { conditions } : {}) });
  });

describe('autoscaling/v1 round trips', () => {
  test.prop([stored], { numRuns: runs(300, 10_000) })(
    'a v1 client that reads an HPA and writes it back unchanged leaves the stored v2 object as it was (metrics, their order aside from the CPU target, behavior, current metrics, conditions)',
    (h) => {
      const back = admit(JSON.parse(JSON.stringify(convertHorizontalPodAutoscalerToV1(h))));
      // v1 moves the CPU utilization target (the one in targetCPUUtilizationPercentage) last.
      const cpuTarget = (h.spec.metrics ?? []).filter((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.averageUtilization !== undefined);
      const reordered = [...(h.spec.metrics ?? []).filter((m) => !cpuTarget.includes(m)), ...cpuTarget.slice(0, 1)];
      expect(back.spec).toEqual({ ...h.spec, metrics: reordered });
      expect(back.status).toEqual(h.status);
      expect(back.metadata).toEqual(h.metadata);
    },
  );
});

/**
 * The node lifecycle decisions as tables: node health, Unknown conditions, lifecycle taints,
 * zone states and rates, the token bucket, and taint-based eviction times.
 */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, formatMicroTime, formatTime } from '@kubeloop/core';
import type { Lease, Node, NodeCondition, Pod, Taint, Toleration } from '@kubeloop/core';
import {
  desiredTaints,
  evictionDecision,
  needsNoExecuteToken,
  noExecuteTaintsChanged,
  nodeHealth,
  notReadyPodStatus,
  podEvictionInputsChanged,
  takeToken,
  taintingRate,
  unknownConditions,
  zoneKey,
  zoneState,
} from './decide.js';
import type { NoExecutePermission, ReadyStatus, ZoneState } from './decide.js';

const T0 = VIRTUAL_EPOCH_MS;
const at = (s: number) => T0 + s * 1000;
const GRACE = { monitorGracePeriodMs: 50_000, startupGracePeriodMs: 60_000 };

function node(opts: { ready?: ReadyStatus; heartbeat?: number; taints?: Taint[]; labels?: Record<string, string> } = {}): Node {
  const conditions: NodeCondition[] =
    opts.ready === undefined ? [] : [{ type: 'Ready', status: opts.ready, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: formatTime(opts.heartbeat ?? T0), lastTransitionTime: formatTime(T0) }];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n', creationTimestamp: formatTime(T0), ...(opts.labels === undefined ? {} : { labels: opts.labels }) },
    spec: opts.taints === undefined ? {} : { taints: opts.taints },
    status: { conditions },
  } as Node;
}

function lease(renewedAt: number): Lease {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n', namespace: 'kube-node-lease' }, spec: { renewTime: formatMicroTime(renewedAt) } } as Lease;
}

describe('nodeHealth', () => {
  it.each([
    ['a lease renewed 50 s ago is still within the grace period', at(0), at(10), at(60), false],
    ['a lease renewed 50.001 s ago is past the grace period', at(0), at(10), at(60) + 1, true],
    ['a fresh Ready heartbeat counts even when the lease is old', at(55), at(0), at(60), false],
    ['a node with neither is stale once heartbeat and lease are both old', at(0), at(0), at(51), true],
  ])('%s', (_name, heartbeat, renewed, now, stale) => {
    expect(nodeHealth(node({ ready: 'True', heartbeat }), lease(renewed), now, GRACE).stale).toBe(stale);
  });

  it('gives a node that never posted a Ready condition the startup grace period from its creation', () => {
    expect(nodeHealth(node(), undefined, at(60), GRACE)).toEqual({ probeAt: T0, gracePeriodMs: 60_000, stale: false });
    expect(nodeHealth(node(), undefined, at(61), GRACE).stale).toBe(true);
  });
});

describe('unknownConditions', () => {
  it('sets Ready to Unknown with NodeStatusUnknown, keeps its heartbeat and adds the conditions never posted', () => {
    const conditions = unknownConditions(node({ ready: 'True', heartbeat: at(5) }), formatTime(at(60)))!;
    expect(conditions.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: formatTime(at(5)), lastTransitionTime: formatTime(at(60)),
    });
    expect(conditions.find((c) => c.type === 'MemoryPressure')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    expect(conditions.map((c) => c.type)).toEqual(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']);
  });

  it('changes nothing when every condition is Unknown already', () => {
    const once = node({ ready: 'True' });
    once.status.conditions = unknownConditions(once, formatTime(at(60)));
    expect(unknownConditions(once, formatTime(at(65)))).toBeUndefined();
  });
});

describe('desiredTaints', () => {
  const now = formatTime(at(60));
  const t = (key: string, effect: Taint['effect'], added = now): Taint => ({ key, effect, timeAdded: added });
  const UR = 'node.kubernetes.io/unreachable';
  const NR = 'node.kubernetes.io/not-ready';
  it.each<[string, ReadyStatus, Taint[], NoExecutePermission, Taint[]]>([
    ['an Unknown node with a token gets both unreachable taints', 'Unknown', [], 'allowed', [t(UR, 'NoSchedule'), t(UR, 'NoExecute')]],
    ['an Unknown node without a token gets only NoSchedule', 'Unknown', [], 'if-present', [t(UR, 'NoSchedule')]],
    ['a False node gets not-ready taints', 'False', [], 'allowed', [t(NR, 'NoSchedule'), t(NR, 'NoExecute')]],
    ['a not-ready NoExecute taint is swapped for unreachable without a token', 'Unknown', [t(NR, 'NoSchedule', 'x'), t(NR, 'NoExecute', 'x')], 'if-present', [t(UR, 'NoSchedule'), t(UR, 'NoExecute')]],
    ['existing taints keep their timeAdded', 'Unknown', [t(UR, 'NoSchedule', 'old'), t(UR, 'NoExecute', 'old')], 'if-present', [t(UR, 'NoSchedule', 'old'), t(UR, 'NoExecute', 'old')]],
    ['a Ready node loses lifecycle taints and keeps the others', 'True', [t('dedicated', 'NoSchedule', 'x'), t(UR, 'NoExecute')], 'if-present', [t('dedicated', 'NoSchedule', 'x')]],
    ['every zone fully disrupted removes the NoExecute taint', 'Unknown', [t(UR, 'NoSchedule'), t(UR, 'NoExecute')], 'never', [t(UR, 'NoSchedule')]],
  ])('%s', (_name, ready, taints, noExecute, expected) => {
    expect(desiredTaints(node({ ready, taints }), ready, noExecute, now)).toEqual(expected);
  });

  it('asks for a token only for a first lifecycle NoExecute taint', () => {
    expect(needsNoExecuteToken(node({ ready: 'Unknown' }), 'Unknown')).toBe(true);
    expect(needsNoExecuteToken(node({ ready: 'Unknown', taints: [t(NR, 'NoExecute')] }), 'Unknown')).toBe(false);
    expect(needsNoExecuteToken(node({ ready: 'True' }), 'True')).toBe(false);
  });
});

describe('zones and the tainting rate', () => {
  it.each<[number, number, ZoneState]>([
    [5, 0, 'Normal'],
    [1, 2, 'Normal'],
    [2, 3, 'PartialDisruption'],
    [3, 3, 'Normal'],
    [0, 2, 'FullDisruption'],
    [0, 0, 'Normal'],
  ])('a zone with %i Ready and %i not-Ready nodes is %s', (readyNodes, notReady, state) => {
    expect(zoneState(readyNodes, notReady)).toBe(state);
  });

  const rates = { nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01, largeClusterSizeThreshold: 50 };
  it.each<[ZoneState, number, boolean, number]>([
    ['Normal', 10, false, 0.1],
    ['FullDisruption', 10, false, 0.1],
    ['PartialDisruption', 10, false, 0],
    ['PartialDisruption', 51, false, 0.01],
    ['FullDisruption', 10, true, 0],
  ])('a %s zone of %i nodes (all zones full: %s) taints %d nodes per second', (state, size, allFull, rate) => {
    expect(taintingRate(state, size, allFull, rates)).toBe(rate);
  });

  it('grants one token per 10 s at 0.1 qps and none at 0 qps', () => {
    expect(takeToken(undefined, at(0), 0.1)).toEqual({ granted: true, lastTakenAt: at(0) });
    expect(takeToken(at(0), at(10) - 1, 0.1)).toEqual({ granted: false, lastTakenAt: at(0) });
    expect(takeToken(at(0), at(10), 0.1)).toEqual({ granted: true, lastTakenAt: at(10) });
    expect(takeToken(undefined, at(0), 0).granted).toBe(false);
  });

  it('keys zones by region and zone labels', () => {
    expect(zoneKey(node({ labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'a' } }))).toBe('r:a');
    expect(zoneKey(node())).toBe('');
  });
});

describe('evictionDecision', () => {
  const taint: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: formatTime(at(100)) };
  const tol = (tolerationSeconds?: number, key = 'node.kubernetes.io/unreachable'): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds === undefined ? {} : { tolerationSeconds }) });
  it.each<[string, Toleration[], Taint[], ReturnType<typeof evictionDecision>]>([
    ['no NoExecute taints: keep', [], [{ key: 'x', effect: 'NoSchedule' }], { kind: 'keep' }],
    ['an untolerated NoExecute taint: evict now', [], [taint], { kind: 'evict', taint }],
    ['a toleration of another key does not help', [tol(300, 'other')], [taint], { kind: 'evict', taint }],
    ['tolerated for 300 s from timeAdded 100 s: evict at 400 s', [tol(300)], [taint], { kind: 'evict-at', at: at(400), taint }],
    ['tolerated forever: keep', [tol()], [taint], { kind: 'keep' }],
    ['negative seconds count as zero', [tol(-5)], [taint], { kind: 'evict-at', at: at(100), taint }],
    ['a wildcard toleration (operator Exists, no key) tolerates every taint', [{ operator: 'Exists' }], [taint], { kind: 'keep' }],
  ])('%s', (_name, tolerations, taints, expected) => {
    expect(evictionDecision(tolerations, taints, at(999))).toEqual(expected);
  });

  it('takes the least tolerationSeconds over several NoExecute taints, and counts from observation when timeAdded is missing', () => {
    const other: Taint = { key: 'example.com/drain', effect: 'NoExecute' };
    expect(evictionDecision([tol(300), tol(30, 'example.com/drain')], [taint, other], at(200))).toEqual({ kind: 'evict-at', at: at(230), taint: other });
  });
});

describe('what concerns the taint eviction controller', () => {
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: formatTime(at(100)) };
  it('is a node whose NoExecute taints changed, not a heartbeat or a NoSchedule taint', () => {
    const before = node({ ready: 'True', heartbeat: at(0), taints: [{ key: 'x', effect: 'NoSchedule' }] });
    expect(noExecuteTaintsChanged(before, node({ ready: 'True', heartbeat: at(40), taints: [{ key: 'x', effect: 'NoSchedule' }] }))).toBe(false);
    expect(noExecuteTaintsChanged(before, node({ ready: 'True', taints: [] }))).toBe(false);
    expect(noExecuteTaintsChanged(before, node({ ready: 'Unknown', taints: [{ key: 'x', effect: 'NoSchedule' }, unreachable] }))).toBe(true);
    expect(noExecuteTaintsChanged(node({ taints: [unreachable] }), node({ taints: [{ ...unreachable, timeAdded: formatTime(at(200)) }] }))).toBe(true);
    expect(noExecuteTaintsChanged(node({ taints: [unreachable] }), node({}))).toBe(true);
  });

  it('is a pod whose node or tolerations changed, not a status write or a label', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] }, status: {} } as unknown as Pod;
    const bound = { ...pod, spec: { ...pod.spec, nodeName: 'n1' } };
    expect(podEvictionInputsChanged(pod, bound)).toBe(true);
    expect(podEvictionInputsChanged(bound, { ...bound, status: { phase: 'Running' } })).toBe(false);
    expect(podEvictionInputsChanged(bound, { ...bound, metadata: { ...bound.metadata, labels: { a: 'b' } } })).toBe(false);
    expect(podEvictionInputsChanged(bound, { ...bound, spec: { ...bound.spec, tolerations: [] } })).toBe(false);
    expect(podEvictionInputsChanged(bound, { ...bound, spec: { ...bound.spec, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] } })).toBe(true);
  });
});

describe('notReadyPodStatus', () => {
  it('sets a Ready pod to Ready=False and leaves a not-Ready pod alone', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(T0) }] } } as unknown as Pod;
    const status = notReadyPodStatus(pod, formatTime(at(60)))!;
    expect(status.conditions).toEqual([{ type: 'Ready', status: 'False', lastTransitionTime: formatTime(at(60)) }]);
    expect(notReadyPodStatus({ ...pod, status }, formatTime(at(65)))).toBeUndefined();
  });
});

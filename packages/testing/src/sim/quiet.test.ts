/**
 * What counts as a heartbeat, and how a busy cluster is described (pure).
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject, Lease, Node, Pod } from '@kubeloop/core';
import { describeBusy, isHeartbeat, podSettled, podState } from './quiet.js';

const lease: Lease = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'node-1', namespace: 'kube-node-lease', resourceVersion: '7' },
  spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
};

const node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', resourceVersion: '6' },
  spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
} as unknown as Node;

function pod(status: Pod['status'], name = 'web'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, status } as Pod;
}

describe('isHeartbeat', () => {
  it('counts a metrics-server rescrape of unchanged usage as a heartbeat, and changed usage as a change', () => {
    const pm: KubeObject & Record<string, unknown> = { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name: 'web', namespace: 'default', resourceVersion: '9' }, timestamp: '2026-01-01T00:00:00Z', window: '15s', containers: [{ name: 'c', usage: { cpu: '1000000n', memory: '2048Ki' } }] };
    const rescraped = { ...pm, metadata: { ...pm.metadata, resourceVersion: '10' }, timestamp: '2026-01-01T00:00:15Z' };
    expect(isHeartbeat(pm, rescraped)).toBe(true);
    expect(isHeartbeat(pm, { ...rescraped, containers: [{ name: 'c', usage: { cpu: '300000000n', memory: '2048Ki' } }] } as KubeObject)).toBe(false);
  });

  it('counts a metrics adapter’s republication of an unchanged MetricValue as a heartbeat, and a changed value as a change', () => {
    const mv: KubeObject & Record<string, unknown> = { apiVersion: 'custom.metrics.k8s.io/v1beta2', kind: 'MetricValue', metadata: { name: 'pod.web.requests-per-second.x', namespace: 'default', resourceVersion: '9' }, describedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default' }, metric: { name: 'requests-per-second' }, timestamp: '2026-01-01T00:00:00Z', windowSeconds: 15, value: '20' };
    const republished = { ...mv, metadata: { ...mv.metadata, resourceVersion: '10' }, timestamp: '2026-01-01T00:00:15Z' };
    expect(isHeartbeat(mv, republished)).toBe(true);
    expect(isHeartbeat(mv, { ...republished, value: '25' } as KubeObject)).toBe(false);
  });

  it('counts a VPA recommender’s periodic checkpoint save as a heartbeat, though it moves generation (no /status), and a change of its spec as a change', () => {
    const cp: KubeObject & Record<string, unknown> = { apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscalerCheckpoint', metadata: { name: 'v-app', namespace: 'default', resourceVersion: '9', generation: 1 }, spec: { vpaObjectName: 'v', containerName: 'app' }, status: { version: 'v3', totalSamplesCount: 3 } };
    const saved = { ...cp, metadata: { ...cp.metadata, resourceVersion: '10', generation: 2 }, status: { version: 'v3', totalSamplesCount: 4 } };
    expect(isHeartbeat(cp, saved)).toBe(true);
    expect(isHeartbeat(cp, { ...saved, spec: { vpaObjectName: 'v', containerName: 'other' } } as KubeObject)).toBe(false);
  });

  describe('a VerticalPodAutoscaler whose recommender narrows its bounds as its history grows', () => {
    // Upstream's recommender scales the upper bound by 1 + 1/confidence and the lower bound by
    // (1 + 0.001/confidence)^-2, confidence the history in days (logic/recommender.go), and
    // writes the status whenever it differs (UpdateVpaStatusIfNeeded): with steady usage the
    // bounds close in on the target at every sync for days.
    type Resources = Readonly<Record<string, string>>;
    const rec = (lowerCpu: string, upperMemory: string, target: Resources = { cpu: '250m', memory: '300Mi' }): { containerName: string; target: Resources; lowerBound: Resources; upperBound: Resources; uncappedTarget: Resources } => ({
      containerName: 'app',
      target,
      lowerBound: { cpu: lowerCpu, memory: '300Mi' },
      upperBound: { cpu: '250m', memory: upperMemory },
      uncappedTarget: { cpu: '271m', memory: '262144k' },
    });
    const conditions = [{ type: 'RecommendationProvided', status: 'True', lastTransitionTime: '2026-01-01T00:01:00Z' }];
    const vpa = (recommendation: ReturnType<typeof rec>, rv: string, more: Record<string, unknown> = {}): KubeObject =>
      ({
        apiVersion: 'autoscaling.k8s.io/v1',
        kind: 'VerticalPodAutoscaler',
        metadata: { name: 'app', namespace: 'default', resourceVersion: rv, generation: 1 },
        spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' } },
        status: { recommendation: { containerRecommendations: [recommendation] }, conditions, ...more },
      }) as unknown as KubeObject;
    const before = vpa(rec('225m', '1046500k'), '661');

    it('counts a lower bound that rises and an upper bound that falls toward the same target as a heartbeat', () => {
      expect(isHeartbeat(before, vpa(rec('228m', '985617647'), '691'))).toBe(true);
      expect(isHeartbeat(before, vpa(rec('250m', '300Mi'), '691'))).toBe(true);
    });

    it('counts bounds that widen again as a change', () => {
      expect(isHeartbeat(before, vpa(rec('220m', '985617647'), '691'))).toBe(false);
      expect(isHeartbeat(before, vpa(rec('228m', '1Gi'), '691'))).toBe(false);
    });

    it('counts a bound that crosses the target as a change', () => {
      expect(isHeartbeat(before, vpa(rec('251m', '985617647'), '691'))).toBe(false);
      expect(isHeartbeat(before, vpa(rec('228m', '200Mi'), '691'))).toBe(false);
    });

    it('counts a new target, uncapped target, condition or spec as a change, even with narrowing bounds', () => {
      expect(isHeartbeat(before, vpa(rec('228m', '985617647', { cpu: '240m', memory: '300Mi' }), '691'))).toBe(false);
      expect(isHeartbeat(before, vpa({ ...rec('228m', '985617647'), uncappedTarget: { cpu: '300m', memory: '262144k' } }, '691'))).toBe(false);
      expect(isHeartbeat(before, vpa(rec('228m', '985617647'), '691', { conditions: [{ ...conditions[0]!, status: 'False' }] }))).toBe(false);
      const respecified = vpa(rec('228m', '985617647'), '691') as KubeObject & { spec: Record<string, unknown> };
      expect(isHeartbeat(before, { ...respecified, spec: { ...respecified.spec, updatePolicy: { updateMode: 'Off' } } } as KubeObject)).toBe(false);
    });

    it('counts a first recommendation, a rewrite of the same bounds and a bound for another resource as a change', () => {
      const bare = { ...before, status: { conditions } } as KubeObject;
      expect(isHeartbeat(bare, before)).toBe(false);
      expect(isHeartbeat(before, vpa(rec('225m', '1046500k'), '691'))).toBe(false);
      const extra = rec('228m', '985617647');
      expect(isHeartbeat(before, vpa({ ...extra, lowerBound: { ...extra.lowerBound, 'ephemeral-storage': '1Gi' } }, '691'))).toBe(false);
    });
  });

  it('counts a Lease renewal as a heartbeat', () => {
    const renewed: Lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: '8' }, spec: { ...lease.spec, renewTime: '2026-01-01T00:00:10.000000Z' } };
    expect(isHeartbeat(lease, renewed)).toBe(true);
  });

  it('does not count a change of holder as a heartbeat', () => {
    const taken: Lease = { ...lease, spec: { ...lease.spec, holderIdentity: 'other' } };
    expect(isHeartbeat(lease, taken)).toBe(false);
  });

  it('counts a Node status post that only moves lastHeartbeatTime as a heartbeat, but not a condition change', () => {
    const cond = node.status!.conditions![0]!;
    const beat = { ...node, status: { conditions: [{ ...cond, lastHeartbeatTime: '2026-01-01T00:05:00Z' }] } } as Node;
    const notReady = { ...node, status: { conditions: [{ ...cond, status: 'False' }] } } as Node;
    expect(isHeartbeat(node, beat)).toBe(true);
    expect(isHeartbeat(node, notReady)).toBe(false);
  });

  it('never counts other kinds, or a change without a known previous state, as a heartbeat', () => {
    expect(isHeartbeat(undefined, lease)).toBe(false);
    const p = pod({ phase: 'Running' });
    expect(isHeartbeat(p, p)).toBe(false);
  });
});

describe('describing a busy cluster', () => {
  it('tells settled pods from the others, with their phase and reason', () => {
    const ready = pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
    const waiting = pod({ phase: 'Pending', containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] } as Pod['status'], 'slow');
    const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }, 'huge');
    expect([ready, waiting, unschedulable].map(podSettled)).toEqual([true, false, false]);
    expect(podSettled(pod({ phase: 'Succeeded' }))).toBe(true);
    expect(podState(waiting)).toBe('Pending (ContainerCreating)');
    expect(podState(unschedulable)).toBe('Pending (Unschedulable)');
    expect(describeBusy({ ranMs: 600_000, quietMs: 20_000, changesByKind: new Map([['Pod', 8], ['Event', 4]]), pods: [waiting] })).toBe(
      'cluster not quiet after 600000 ms: 12 changes in the last 20000 ms (Event: 4, Pod: 8); pods not Running/Ready: default/slow (Pending (ContainerCreating))',
    );
  });

  it('names the informers that have no watch open when the store was quiet but a controller could not see it', () => {
    expect(describeBusy({ ranMs: 120_000, quietMs: 20_000, changesByKind: new Map(), pods: [], informersNotWatching: ['deployments', 'replicasets'] })).toBe(
      'cluster not quiet after 120000 ms: 0 changes in the last 20000 ms; pods not Running/Ready: none; informers not watching: deployments, replicasets',
    );
  });
});

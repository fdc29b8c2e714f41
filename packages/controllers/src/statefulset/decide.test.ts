/**
 * Table tests of the StatefulSet decisions, each row a worked example of upstream's
 * `updateStatefulSet` (`stateful_set_control.go`) and the identity helpers of
 * `stateful_set_utils.go`.
 */
import { describe, expect, it } from 'vitest';
import { PodSchema, StatefulSetSchema, formatTime } from '@kubeloop/core';
import type { ControllerRevision, Pod, StatefulSet } from '@kubeloop/core';
import { POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL, STATEFULSET_REVISION_LABEL, claimName, podOrdinal, revisionForNewPod, selectRevisions, statefulPodTemplate, statefulSetMaxUnavailable, statefulSetStep } from './decide.js';
import { computeStatefulSetStatus } from './status.js';

const T0 = Date.UTC(2026, 0, 1);

function set(spec: Record<string, unknown> = {}): StatefulSet {
  return StatefulSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 2 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      ...spec,
    },
  });
}

type State = 'ready' | 'running' | 'pending' | 'failed' | 'deleting';

function pod(ordinal: number, state: State = 'ready', hash = 'new', readySince = T0 - 60_000): Pod {
  const ready = state === 'ready' || state === 'deleting';
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${ordinal}`, namespace: 'default', labels: { app: 'web', [STATEFULSET_REVISION_LABEL]: hash }, ...(state === 'deleting' ? { deletionTimestamp: formatTime(T0) } : {}) },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
    status: {
      phase: state === 'pending' ? 'Pending' : state === 'failed' ? 'Failed' : 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: formatTime(readySince) }],
    },
  });
}

const step = (s: StatefulSet, pods: Pod[]) => {
  const r = statefulSetStep({ set: s, pods, updateRevision: 'new', nowMs: T0 });
  return { create: r.create, delete: r.delete.map((d) => `${d.pod.metadata.name ?? ''}:${d.reason}`) };
};

describe('StatefulSet identity', () => {
  it('names pods <set>-<ordinal> and claims <template>-<set>-<ordinal>, and reads the ordinal back', () => {
    const s = set({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] });
    expect(claimName(s, s.spec.volumeClaimTemplates![0]!, 2)).toBe('data-web-2');
    expect(podOrdinal(s, pod(12))).toBe(12);
    for (const name of ['web-', 'web-01', 'web-x', 'webb-1', 'other-1']) expect(podOrdinal(s, PodSchema.parse({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [] } }))).toBe(-1);
  });

  it('gives a pod its identity labels, hostname, subdomain and its own claim as the template volume of the same name', () => {
    const s = set({
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', emptyDir: {} }] } },
    });
    const t = statefulPodTemplate(s, s.spec.template, 1, 'abc');
    expect(t.metadata?.labels).toEqual({ app: 'web', [STATEFULSET_POD_NAME_LABEL]: 'web-1', [POD_INDEX_LABEL]: '1', [STATEFULSET_REVISION_LABEL]: 'abc' });
    expect(t.spec.hostname).toBe('web-1');
    expect(t.spec.subdomain).toBe('nginx');
    expect(t.spec.volumes).toEqual([{ name: 'cfg', emptyDir: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
  });
});

describe('statefulSetStep (upstream updateStatefulSet)', () => {
  const cases: { name: string; spec?: Record<string, unknown>; pods: Pod[]; create: number[]; delete: string[] }[] = [
    { name: 'OrderedReady, nothing yet: only ordinal 0', pods: [], create: [0], delete: [] },
    { name: 'OrderedReady, 0 Ready: ordinal 1', pods: [pod(0)], create: [1], delete: [] },
    { name: 'OrderedReady, 0 Running but not Ready: wait', pods: [pod(0, 'running')], create: [], delete: [] },
    { name: 'OrderedReady, 0 Pending: wait', pods: [pod(0, 'pending')], create: [], delete: [] },
    { name: 'OrderedReady, 0 Ready but not yet for minReadySeconds: wait', spec: { minReadySeconds: 120 }, pods: [pod(0)], create: [], delete: [] },
    { name: 'OrderedReady, 0 Ready for minReadySeconds: ordinal 1', spec: { minReadySeconds: 30 }, pods: [pod(0)], create: [1], delete: [] },
    { name: 'OrderedReady, a hole at 1: fill it first', pods: [pod(0), pod(2)], create: [1], delete: [] },
    { name: 'Parallel, nothing yet: all at once', spec: { podManagementPolicy: 'Parallel' }, pods: [], create: [0, 1, 2], delete: [] },
    { name: 'Parallel, 0 Pending: the others anyway', spec: { podManagementPolicy: 'Parallel' }, pods: [pod(0, 'pending')], create: [1, 2], delete: [] },
    { name: 'ordinals.start 5: ordinals 5..7', spec: { ordinals: { start: 5 } }, pods: [], create: [5], delete: [] },
    { name: 'a failed pod is deleted, to come back', pods: [pod(0), pod(1, 'failed')], create: [], delete: ['web-1:failed'] },
    { name: 'scale down: highest first, one at a time', spec: { replicas: 1 }, pods: [pod(0), pod(1), pod(2)], create: [], delete: ['web-2:condemned'] },
    { name: 'scale down waits for the terminating pod', spec: { replicas: 1 }, pods: [pod(0), pod(1), pod(2, 'deleting')], create: [], delete: [] },
    { name: 'scale down: nothing while a pod of the range is unhealthy', spec: { replicas: 1 }, pods: [pod(0, 'running'), pod(1), pod(2)], create: [], delete: [] },
    { name: 'scale down: an unhealthy condemned pod may go first', spec: { replicas: 1 }, pods: [pod(0), pod(1), pod(2, 'pending')], create: [], delete: ['web-2:condemned'] },
    { name: 'Parallel scale down: all at once', spec: { replicas: 1, podManagementPolicy: 'Parallel' }, pods: [pod(0), pod(1), pod(2)], create: [], delete: ['web-2:condemned', 'web-1:condemned'] },
    { name: 'RollingUpdate: the highest old pod first', pods: [pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'ready', 'old')], create: [], delete: ['web-2:update'] },
    { name: 'RollingUpdate: then the next once the new one is healthy', pods: [pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2)], create: [], delete: ['web-1:update'] },
    { name: 'RollingUpdate: waits for the new pod to be Ready', pods: [pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'running')], create: [], delete: [] },
    { name: 'RollingUpdate partition 2: ordinals below 2 stay', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, pods: [pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2)], create: [], delete: [] },
    { name: 'OnDelete: old pods stay', spec: { updateStrategy: { type: 'OnDelete' } }, pods: [pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'ready', 'old')], create: [], delete: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(step(set(c.spec), c.pods)).toEqual({ create: c.create, delete: c.delete });
    });
  }

  it('a new pod below the partition is made from the current revision, others from the update revision', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect([0, 1, 2].map((o) => revisionForNewPod(s, o))).toEqual(['current', 'current', 'update']);
    expect(revisionForNewPod(set({ updateStrategy: { type: 'OnDelete' } }), 0)).toBe('update');
  });
});

describe('maxUnavailable (upstream getStatefulSetMaxUnavailable, MaxUnavailableStatefulSet beta since 1.35)', () => {
  const rows: [number | string | undefined, number, number][] = [
    [undefined, 10, 1],
    [3, 10, 3],
    ['25%', 10, 2],
    ['5%', 10, 1],
    ['50%', 3, 1],
    ['100%', 4, 4],
    ['30%', 7, 2],
    [5, 2, 5],
    ['50%', 0, 1],
  ];
  it.each(rows)('maxUnavailable %s of %i replicas is %i (a percentage rounds down, never below 1)', (value, replicas, expected) => {
    const s = set({ replicas, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, ...(value === undefined ? {} : { maxUnavailable: value }) } } });
    expect(statefulSetMaxUnavailable(s)).toBe(expected);
  });

  const old = (n: number, state: State = 'ready') => pod(n, state, 'old');
  const rolling = (maxUnavailable: number | string, extra: Record<string, unknown> = {}, partition = 0) => ({ replicas: 5, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition, maxUnavailable } }, ...extra });
  const cases: { name: string; spec: Record<string, unknown>; pods: Pod[]; create: number[]; delete: string[] }[] = [
    { name: 'maxUnavailable 2, all old and healthy: the two highest at once', spec: rolling(2), pods: [0, 1, 2, 3, 4].map((n) => old(n)), create: [], delete: ['web-4:update', 'web-3:update'] },
    { name: 'maxUnavailable "40%" of 5 is 2: the same', spec: rolling('40%'), pods: [0, 1, 2, 3, 4].map((n) => old(n)), create: [], delete: ['web-4:update', 'web-3:update'] },
    { name: 'Parallel, maxUnavailable 2, web-4 updated but not Ready: one more, web-3', spec: rolling(2, { podManagementPolicy: 'Parallel' }), pods: [old(0), old(1), old(2), old(3), pod(4, 'running')], create: [], delete: ['web-3:update'] },
    { name: 'Parallel, maxUnavailable 2, two pods unavailable: nothing more', spec: rolling(2, { podManagementPolicy: 'Parallel' }), pods: [old(0), old(1), old(2), pod(3, 'running'), pod(4, 'pending')], create: [], delete: [] },
    { name: 'Parallel, maxUnavailable 1: an unavailable pod below the partition blocks the update too (the whole range counts)', spec: rolling(1, { podManagementPolicy: 'Parallel' }, 3), pods: [old(0, 'running'), old(1), old(2), old(3), old(4)], create: [], delete: [] },
    { name: 'maxUnavailable 3 with partition 3: only ordinals 3 and 4 update', spec: rolling(3, {}, 3), pods: [0, 1, 2, 3, 4].map((n) => old(n)), create: [], delete: ['web-4:update', 'web-3:update'] },
    { name: 'updated pods are skipped: the next old ones from the top', spec: rolling(2), pods: [old(0), old(1), old(2), pod(3), pod(4)], create: [], delete: ['web-2:update', 'web-1:update'] },
    { name: 'Parallel, maxUnavailable 3, web-2 missing: it is created and counts, so two old pods go', spec: rolling(3, { podManagementPolicy: 'Parallel' }), pods: [old(0), old(1), old(3), old(4)], create: [2], delete: ['web-4:update', 'web-3:update'] },
    { name: 'OrderedReady waits for a terminating pod before anything else (no update while one is going)', spec: rolling(2), pods: [old(0), old(1), old(2), old(3), pod(4, 'deleting')], create: [], delete: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(step(set(c.spec), c.pods)).toEqual({ create: c.create, delete: c.delete });
    });
  }
});

describe('selectRevisions (upstream getStatefulSetRevisions)', () => {
  const rev = (hash: string, revision: number, template: string): ControllerRevision =>
    ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: `web-${hash}`, labels: { [STATEFULSET_REVISION_LABEL]: hash } }, data: { template }, revision }) as ControllerRevision;
  const history = [rev('a', 1, 'A'), rev('b', 2, 'B')];
  const pick = (template: string, current: string | undefined, revisions = history) => {
    const s = selectRevisions(revisions, (r) => (r.data as { template: string }).template === template, (r) => r.metadata.labels?.[STATEFULSET_REVISION_LABEL] ?? '', current);
    return { update: s.update?.metadata.name, updateNumber: s.updateNumber, current: s.current?.metadata.name };
  };

  it('a new set: no revision yet, the update revision is created as revision 1 and is current', () => {
    expect(pick('A', undefined, [])).toEqual({ update: undefined, updateNumber: 1, current: undefined });
  });
  it('the template of the newest revision: it is the update revision, number unchanged', () => {
    expect(pick('B', 'b')).toEqual({ update: 'web-b', updateNumber: 2, current: 'web-b' });
  });
  it('a new template: a new revision numbered after the newest; the current one stays', () => {
    expect(pick('C', 'b')).toEqual({ update: undefined, updateNumber: 3, current: 'web-b' });
  });
  it('a rollback to an older template: that revision is reused and renumbered as the newest', () => {
    expect(pick('A', 'b')).toEqual({ update: 'web-a', updateNumber: 3, current: 'web-b' });
  });
  it('two revisions with the template: the newest of them', () => {
    expect(pick('A', 'a', [rev('a', 1, 'A'), rev('b', 2, 'B'), rev('a2', 3, 'A')])).toEqual({ update: 'web-a2', updateNumber: 3, current: 'web-a' });
  });
  it('a currentRevision no revision has (history truncated): no current, the update revision serves', () => {
    expect(pick('B', 'gone')).toEqual({ update: 'web-b', updateNumber: 2, current: undefined });
  });
});

describe('computeStatefulSetStatus (upstream computeReplicaStatus, completeRollingUpdate)', () => {
  it('counts ready, available, current and updated pods, and keeps the current revision mid-rollout', () => {
    const s = set({ minReadySeconds: 120 });
    const status = computeStatefulSetStatus(s, [pod(0, 'ready', 'old', T0 - 200_000), pod(1, 'ready', 'new'), pod(2, 'running', 'new')], 'old', 'new', T0);
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 2, availableReplicas: 1, currentReplicas: 1, updatedReplicas: 2, currentRevision: 'old', updateRevision: 'new', observedGeneration: 2 });
  });

  it('a completed rolling update makes the update revision current', () => {
    const status = computeStatefulSetStatus(set(), [pod(0), pod(1), pod(2)], 'old', 'new', T0);
    expect(status).toMatchObject({ currentReplicas: 3, updatedReplicas: 3, currentRevision: 'new' });
  });
});

import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { ContainerStatus, Pod, PodPhase } from '@kubeloop/core';
import { ALLOWED_PHASE_TRANSITIONS, computePodStatus, podPhase, statusChanged } from './status.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 2000 : 200;

function pod(restartPolicy: Pod['spec']['restartPolicy'], names: string[], init: string[] = [], phase: PodPhase = 'Pending'): Pod {
  const c = (name: string): Pod['spec']['containers'][number] => ({ name, image: 'busybox', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: {
      containers: names.map(c),
      ...(init.length > 0 ? { initContainers: init.map(c) } : {}),
      restartPolicy,
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      nodeName: 'n',
    },
    status: { phase },
  };
}

type Kind = 'creating' | 'running' | 'exit0' | 'exit1' | 'backoff';
function cs(name: string, kind: Kind): ContainerStatus {
  const base = { name, image: 'busybox', imageID: '', restartCount: 0, ready: kind === 'running' };
  switch (kind) {
    case 'creating':
      return { ...base, state: { waiting: { reason: 'ContainerCreating' } } };
    case 'running':
      return { ...base, state: { running: {} } };
    case 'exit0':
      return { ...base, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    case 'exit1':
      return { ...base, state: { terminated: { exitCode: 1, reason: 'Error' } } };
    case 'backoff':
      return { ...base, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } };
  }
}

describe('the pod phase (upstream getPhase)', () => {
  it.each<[Pod['spec']['restartPolicy'], Kind[], PodPhase]>([
    ['Always', ['creating'], 'Pending'],
    ['Always', ['running', 'creating'], 'Pending'],
    ['Always', ['running', 'exit0'], 'Running'],
    ['Always', ['exit0'], 'Running'],
    ['Always', ['backoff'], 'Running'],
    ['OnFailure', ['exit0', 'exit0'], 'Succeeded'],
    ['OnFailure', ['exit0', 'backoff'], 'Running'],
    ['Never', ['exit0', 'exit1'], 'Failed'],
    ['Never', ['exit0'], 'Succeeded'],
    ['Never', ['running', 'exit1'], 'Running'],
  ])('restartPolicy %s with containers %j is %s', (policy, kinds, phase) => {
    const names = kinds.map((_, i) => `c${i}`);
    expect(podPhase(pod(policy, names), [], kinds.map((k, i) => cs(`c${i}`, k)), false)).toBe(phase);
  });

  it('is Pending while init containers run, and Failed when one fails under Never', () => {
    expect(podPhase(pod('Always', ['a'], ['i']), [cs('i', 'running')], [cs('a', 'creating')], false)).toBe('Pending');
    expect(podPhase(pod('Never', ['a'], ['i']), [cs('i', 'exit1')], [cs('a', 'creating')], false)).toBe('Failed');
    expect(podPhase(pod('OnFailure', ['a'], ['i']), [cs('i', 'backoff')], [cs('a', 'creating')], false)).toBe('Pending');
    expect(podPhase(pod('Always', ['a'], ['i']), [cs('i', 'exit0')], [cs('a', 'running')], false)).toBe('Running');
  });

  it('decides from exit codes once the pod is terminal', () => {
    expect(podPhase(pod('Always', ['a']), [], [cs('a', 'exit0')], true)).toBe('Succeeded');
    expect(podPhase(pod('Always', ['a', 'b']), [], [cs('a', 'exit0'), cs('b', 'exit1')], true)).toBe('Failed');
  });
});

describe('computePodStatus', () => {
  const view = (statuses: ContainerStatus[], terminal = false) => ({ hostIP: '172.18.0.2', podIP: '10.1.0.2', startTime: 0, sandboxReady: true, initContainerStatuses: [], containerStatuses: statuses, terminal });

  it('reports Ready with upstream reasons and keeps transition times of unchanged conditions', () => {
    const p = pod('Always', ['a', 'b']);
    const s1 = computePodStatus(p, view([cs('a', 'running'), cs('b', 'creating')]), 1_000_000);
    expect(s1.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
    const s2 = computePodStatus({ ...p, status: s1 }, view([cs('a', 'running'), cs('b', 'running')]), 2_000_000);
    const ready = s2.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    expect(ready?.lastTransitionTime).not.toBe(s1.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
    expect(s2.conditions?.find((c) => c.type === 'Initialized')?.lastTransitionTime).toBe(s1.conditions?.find((c) => c.type === 'Initialized')?.lastTransitionTime);
    expect(statusChanged({ ...p, status: s2 }, computePodStatus({ ...p, status: s2 }, view([cs('a', 'running'), cs('b', 'running')]), 3_000_000))).toBe(false);
  });

  it('holds Ready back until every readiness gate is True', () => {
    const p = { ...pod('Always', ['a']), spec: { ...pod('Always', ['a']).spec, readinessGates: [{ conditionType: 'example.com/lb' }] } };
    expect(computePodStatus(p, view([cs('a', 'running')]), 0).conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
  });

  const kinds = fc.constantFrom<Kind>('creating', 'running', 'exit0', 'exit1', 'backoff');
  test.prop([fc.constantFrom<Pod['spec']['restartPolicy']>('Always', 'OnFailure', 'Never'), fc.array(fc.tuple(fc.array(kinds, { minLength: 2, maxLength: 2 }), fc.boolean()), { minLength: 1, maxLength: 12 })], { numRuns: runs })(
    'successive statuses only move the phase along upstream allowed paths',
    (policy, steps) => {
      let p = pod(policy, ['a', 'b']);
      for (const [k, terminal] of steps) {
        const status = computePodStatus(p, view([cs('a', k[0]!), cs('b', k[1]!)], terminal), 0);
        expect(ALLOWED_PHASE_TRANSITIONS[p.status.phase]).toContain(status.phase);
        p = { ...p, status };
      }
    },
  );
});

/**
 * The DaemonSet controller's pod event handler (upstream `addPod`/`updatePod`/`deletePod` of
 * `daemon_controller.go`): the deletions it records for the DaemonSet's expectations.
 */
import { describe, expect, it } from 'vitest';
import { DaemonSetSchema, PodSchema, VirtualClock, formatTime } from '@kubeloop/core';
import type { DaemonSet, Manager, Pod } from '@kubeloop/core';
import { UidTrackingExpectations } from '../shared/index.js';
import { daemonSetEventHandlers } from './controller.js';

const agent: DaemonSet = DaemonSetSchema.parse({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default', uid: 'uid-agent' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox:1.37' }] } } },
});

function pod(name: string, rv: string, o: { deleting?: boolean; phase?: 'Running' | 'Failed' } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'agent' },
      resourceVersion: rv,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true }],
      ...(o.deleting === true ? { deletionTimestamp: formatTime(0) } : {}),
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'a', image: 'busybox:1.37' }] },
    status: { phase: o.phase ?? 'Running' },
  });
}

function setup() {
  const manager = { cache: () => ({ get: () => agent, list: () => [agent] }) } as unknown as Manager;
  const expectations = new UidTrackingExpectations(new VirtualClock());
  return { pods: daemonSetEventHandlers(manager, expectations).pods, expectations };
}

describe('DaemonSet pod events and deletion expectations (upstream updatePod/deletePod)', () => {
  it('a pod marked for deletion before the sync expected its deletion counts at its next event: the taint manager marked it while the sync that deletes it ran (found by a deep run)', () => {
    const { pods, expectations } = setup();
    const running = pod('p', '1');
    const marked = pod('p', '2', { deleting: true });
    // The taint manager marks p; the DaemonSet expects nothing yet.
    pods.map({ type: 'update', old: running, object: marked });
    // The sync, which read p before the mark, deletes it.
    expectations.setExpectationsOf('default/agent', 0, ['default/p']);
    expect(expectations.satisfied('default/agent')).toBe(false);
    // The kubelet ends p: upstream counts every update of a terminating pod, so this is observed.
    const failed = pod('p', '3', { deleting: true, phase: 'Failed' });
    pods.map({ type: 'update', old: marked, object: failed });
    expect(expectations.satisfied('default/agent')).toBe(true);
  });

  it('counts each expected pod once: its delete event after its deletionTimestamp does not satisfy another pending deletion', () => {
    const { pods, expectations } = setup();
    expectations.setExpectationsOf('default/agent', 0, ['default/p', 'default/q']);
    const marked = pod('p', '2', { deleting: true });
    pods.map({ type: 'update', old: pod('p', '1'), object: marked });
    pods.map({ type: 'delete', object: marked });
    expect(expectations.pending('default/agent')).toEqual({ add: 0, del: 1 });
    pods.map({ type: 'delete', object: pod('q', '4') });
    expect(expectations.satisfied('default/agent')).toBe(true);
  });

  it('a pod the sync did not delete (marked by someone else) does not count toward its pending deletions', () => {
    const { pods, expectations } = setup();
    expectations.setExpectationsOf('default/agent', 1, ['default/q']);
    pods.map({ type: 'update', old: pod('p', '1'), object: pod('p', '2', { deleting: true }) });
    pods.map({ type: 'delete', object: pod('p', '3', { deleting: true }) });
    expect(expectations.pending('default/agent')).toEqual({ add: 1, del: 1 });
    pods.map({ type: 'add', object: pod('r', '5') });
    pods.map({ type: 'delete', object: pod('q', '6') });
    expect(expectations.satisfied('default/agent')).toBe(true);
  });
});

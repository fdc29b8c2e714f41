import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '@kubeloop/core';
import { buildTables, formatTables, podStatus } from './table.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(name: string, status: Pod['status'] | undefined, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', ...extra },
    spec: { containers: [{ name: 'c', image: 'nginx' }], nodeName: 'node-1' },
    status,
  } as Pod;
}

describe('podStatus', () => {
  it('shows the phase of a pod whose containers run', () => {
    expect(podStatus(pod('a', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] } as Pod['status']))).toBe('Running');
  });

  it('shows a waiting container reason such as CrashLoopBackOff instead of the phase', () => {
    expect(podStatus(pod('a', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } as Pod['status']))).toBe('CrashLoopBackOff');
  });

  it('shows Terminating once deletion started', () => {
    expect(podStatus(pod('a', { phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:01:00Z' }))).toBe('Terminating');
  });

  it('shows Pending for a pod with no status yet', () => {
    expect(podStatus(pod('a', undefined))).toBe('Pending');
  });
});

describe('buildTables and formatTables', () => {
  it('prints a pods table with kubectl columns and ages in virtual time', () => {
    const running = pod('web', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: true, restartCount: 2, state: { running: {} } }] } as Pod['status']);
    const text = formatTables(buildTables([running], T0 + 90_000, () => true));
    expect(text).toBe(['NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   NODE', 'default     web    1/1     Running   2          90s   node-1', ''].join('\n'));
  });

  it('prefixes names with the kind when several kinds are printed, and leaves out Leases', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: '2026-01-01T00:00:00Z' } };
    const lease: KubeObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'kube-node-lease' } };
    const tables = buildTables([ns, lease, pod('b', { phase: 'Pending' }), pod('a', { phase: 'Pending' })], T0 + 120_000, (kind) => kind === 'Pod');
    expect(tables.map((t) => t.kind)).toEqual(['Namespace', 'Pod']);
    expect(tables[1]!.rows.map((r) => r[1])).toEqual(['a', 'b']);
    expect(formatTables(tables)).toContain('namespace/default   2m');
    expect(formatTables(tables)).toContain('default     pod/a   0/1     Pending');
  });
});

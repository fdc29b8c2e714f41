import { describe, expect, it } from 'vitest';
import type { DaemonSet, Deployment, Job, KubeObject, Pod, ReplicaSet, Service } from '@kubeloop/core';
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

  it('shows Completed for a finished pod whose sidecar was killed at the end (Initialized is True), not Init:Error', () => {
    const done = pod('job', {
      phase: 'Succeeded',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'logshipper', image: 'alpine', imageID: '', ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error' } } }],
      containerStatuses: [{ name: 'main', image: 'alpine', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    } as Pod['status']);
    const spec = { ...done.spec, initContainers: [{ name: 'logshipper', image: 'alpine', restartPolicy: 'Always' }] } as Pod['spec'];
    expect(podStatus({ ...done, spec })).toBe('Completed');
  });

  it('shows Init:CrashLoopBackOff and the init container\'s restarts while it holds the pod up', () => {
    const stuck = pod('init', {
      phase: 'Pending',
      conditions: [{ type: 'Initialized', status: 'False' }],
      initContainerStatuses: [{ name: 'setup', image: 'busybox', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    } as Pod['status']);
    const spec = { ...stuck.spec, initContainers: [{ name: 'setup', image: 'busybox' }] } as Pod['spec'];
    const stuckPod: Pod = { ...stuck, spec };
    expect(formatTables(buildTables([stuckPod], T0 + 90_000, () => true)).split('\n')[1]).toMatch(/^default +init +0\/1 +Init:CrashLoopBackOff +3 +90s /);
  });

  it('shows SchedulingGated for a pod held by scheduling gates', () => {
    expect(podStatus(pod('gated', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } as Pod['status']))).toBe('SchedulingGated');
  });

  it('shows Pending for a pod with no status yet', () => {
    expect(podStatus(pod('a', undefined))).toBe('Pending');
  });
});

describe('buildTables and formatTables', () => {
  it('prints a pods table with kubectl columns and ages in virtual time', () => {
    const running = pod('web', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: true, restartCount: 2, state: { running: {} } }] } as Pod['status']);
    const text = formatTables(buildTables([running], T0 + 90_000, () => true));
    expect(text).toBe(['NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   NODE     OWNER', 'default     web    1/1     Running   2          90s   node-1   <none>', ''].join('\n'));
  });

  it('counts a sidecar (an init container with restartPolicy Always) in READY and its restarts in RESTARTS, as kubectl 1.29+ does', () => {
    const withSidecar: Pod = {
      ...pod('web', {
        phase: 'Running',
        initContainerStatuses: [{ name: 'proxy', image: 'envoy', imageID: '', ready: true, started: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: false, restartCount: 2, state: { running: {} } }],
      } as Pod['status']),
    };
    const spec = { ...withSidecar.spec, initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] } as Pod['spec'];
    const sidecarPod: Pod = { ...withSidecar, spec };
    const text = formatTables(buildTables([sidecarPod], T0 + 90_000, () => true));
    expect(text.split('\n')[1]).toMatch(/^default +web +1\/2 +Running +3 +90s /);
  });

  it('prints Jobs with kubectl 1.30 columns: STATUS, COMPLETIONS, DURATION, AGE', () => {
    const job = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>) =>
      ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' }, spec, status }) as unknown as Job;
    const cond = (type: string) => ({ conditions: [{ type, status: 'True' }] });
    const jobs = [
      job('pi', { completions: 1, parallelism: 1 }, { ...cond('Complete'), succeeded: 1, startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:00:38Z' }),
      job('queue', { parallelism: 3 }, { succeeded: 0, startTime: '2026-01-01T00:00:10Z' }),
      job('fail', { completions: 12, parallelism: 3 }, { ...cond('FailureTarget'), failed: 1, startTime: '2026-01-01T00:00:00Z' }),
      job('later', { completions: 2, parallelism: 1, suspend: true }, cond('Suspended')),
    ];
    const [table] = buildTables(jobs, T0 + 120_000, () => true);
    expect(table!.columns).toEqual(['NAMESPACE', 'NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(table!.rows).toEqual([
      ['default', 'fail', 'FailureTarget', '0/12', '2m', '2m'],
      ['default', 'later', 'Suspended', '0/2', '', '2m'],
      ['default', 'pi', 'Complete', '1/1', '38s', '2m'],
      ['default', 'queue', 'Running', '0/1 of 3', '110s', '2m'],
    ]);
  });

  it('prefixes names with the kind when several kinds are printed, and leaves out Leases', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: '2026-01-01T00:00:00Z' } };
    const lease: KubeObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'kube-node-lease' } };
    const tables = buildTables([ns, lease, pod('b', { phase: 'Pending' }), pod('a', { phase: 'Pending' })], T0 + 120_000, (kind) => kind === 'Pod');
    expect(tables.map((t) => t.kind)).toEqual(['Namespace', 'Pod']);
    expect(tables[1]!.rows.map((r) => r[1])).toEqual(['a', 'b']);
    expect(formatTables(tables)).toContain('namespace/default   Active   2m'); // kubectl's Namespace STATUS column
    expect(formatTables(tables)).toContain('default     pod/a   0/1     Pending');
  });

  const meta = (name: string, extra: Partial<KubeObject['metadata']> = {}) => ({ name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', ...extra });
  const ns = () => true;
  const apps = (kind: string) => (['ReplicaSet', 'Deployment', 'DaemonSet'].includes(kind) ? 'apps' : '');

  it('shows who owns a pod and a ReplicaSet in an OWNER column, the controller reference first', () => {
    const owned = pod('pi-web-5d8f4-abcde', { phase: 'Running' }, {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: 'u0' },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'pi-web-5d8f4', uid: 'u1', controller: true },
      ],
    });
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('pi-web-5d8f4', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'pi-web', uid: 'u2', controller: true }] }), spec: { replicas: 2, selector: {} }, status: { replicas: 2, readyReplicas: 1 } } as unknown as ReplicaSet;
    const text = formatTables(buildTables([owned, rs], T0 + 60_000, ns, { groupOf: apps }));
    expect(text).toContain('default     pod/pi-web-5d8f4-abcde   0/1     Running   0          60s   node-1   ReplicaSet/pi-web-5d8f4');
    expect(text).toContain(['NAMESPACE   NAME                           DESIRED   CURRENT   READY   AGE   OWNER', 'default     replicaset.apps/pi-web-5d8f4   2         2         1       60s   Deployment/pi-web'].join('\n'));
  });

  it('prints Deployments, DaemonSets and Services with kubectl columns', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('pi-web'), spec: { replicas: 4 }, status: { readyReplicas: 3, updatedReplicas: 4, availableReplicas: 3 } } as unknown as Deployment;
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('pi-proxy'), spec: { template: { spec: { nodeSelector: { kiamol: 'ch06' } } } }, status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 } } as unknown as DaemonSet;
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: meta('whoami-web'), spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: [{ port: 8088, nodePort: 31234, protocol: 'TCP' }] } } as unknown as Service;
    const [dt, dst, st] = buildTables([d, ds, svc], T0 + 60_000, ns, { groupOf: apps }).map((t) => formatTables([t]));
    expect(dt).toBe(['NAMESPACE   NAME     READY   UP-TO-DATE   AVAILABLE   AGE', 'default     pi-web   3/4     4            3           60s', ''].join('\n'));
    expect(dst).toBe(['NAMESPACE   NAME       DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE', 'default     pi-proxy   1         1         1       1            1           kiamol=ch06     60s', ''].join('\n'));
    expect(st).toBe(['NAMESPACE   NAME         TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)          AGE', 'default     whoami-web   LoadBalancer   10.96.0.10   <pending>     8088:31234/TCP   60s', ''].join('\n'));
  });

  it('prints StatefulSets, PersistentVolumeClaims and PersistentVolumes with kubectl columns', () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('web'), spec: { replicas: 3 }, status: { readyReplicas: 2 } } as unknown as KubeObject;
    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data-web-0'), spec: { volumeName: 'pvc-1', storageClassName: 'standard' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadOnlyMany', 'ReadWriteOnce'] } } as unknown as KubeObject;
    const pending = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data-web-1'), spec: { storageClassName: 'fast' }, status: { phase: 'Pending' } } as unknown as KubeObject;
    const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'standard', claimRef: { namespace: 'default', name: 'data-web-0' } }, status: { phase: 'Bound' } } as unknown as KubeObject;
    const cluster = (kind: string) => kind !== 'PersistentVolume';
    const [st, ct, vt] = buildTables([sts, pvc, pending, pv], T0 + 60_000, cluster, { groupOf: apps }).map((t) => formatTables([t]));
    expect(st).toBe(['NAMESPACE   NAME   READY   AGE', 'default     web    2/3     60s', ''].join('\n'));
    expect(ct).toBe(
      [
        'NAMESPACE   NAME         STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE',
        'default     data-web-0   Bound     pvc-1    1Gi        RWO,ROX        standard       <unset>                 60s',
        'default     data-web-1   Pending                                      fast           <unset>                 60s',
        '',
      ].join('\n'),
    );
    expect(vt).toBe(
      [
        'NAME    CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM                STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE',
        'pvc-1   1Gi        RWO            Delete           Bound    default/data-web-0   standard       <unset>                          60s',
        '',
      ].join('\n'),
    );
  });

  it('prints Events only when asked for, as kubectl get events does, oldest first', () => {
    const event = (name: string, at: string, reason: string, message: string): KubeObject =>
      ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Normal', reason, message, lastTimestamp: at }) as KubeObject;
    const events = [event('web.2', '2026-01-01T00:00:04Z', 'Pulled', 'Successfully pulled image "nginx"'), event('web.1', '2026-01-01T00:00:01Z', 'Scheduled', 'Successfully assigned default/web to node-1')];
    expect(buildTables(events, T0 + 10_000, ns)).toEqual([]);
    expect(formatTables(buildTables(events, T0 + 10_000, ns, { include: ['Event'] }))).toBe(
      [
        'NAMESPACE   LAST SEEN   TYPE     REASON      OBJECT    MESSAGE',
        'default     9s          Normal   Scheduled   pod/web   Successfully assigned default/web to node-1',
        'default     6s          Normal   Pulled      pod/web   Successfully pulled image "nginx"',
        '',
      ].join('\n'),
    );
  });
});

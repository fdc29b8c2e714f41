/**
 * The table definitions: kubectl's columns and cells per kind (kubernetes
 * pkg/printers/internalversion/printers.go), `-o wide`, `-o name`, and events in the order
 * they happened.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinResources } from '@kubeloop/core';
import type { Event, KubeObject, Node } from '@kubeloop/core';
import { main } from './command.js';
import { PRINTERS, hpaTargets, nodeStatus } from './printers.js';
import { formatState } from './run.js';
import { buildTables, formatNames, formatTables, sortEvents } from './table.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const created = '2026-01-01T00:00:00Z';
const meta = (name: string, extra: Partial<KubeObject['metadata']> = {}) => ({ name, namespace: 'default', creationTimestamp: created, ...extra });
const obj = (o: Record<string, unknown>) => o as unknown as KubeObject;
/** One kind's table as kubectl prints it (`kubectl get <kind> -A [-o wide]`), through the command's formatter. */
const print = (objects: readonly KubeObject[], output: 'table' | 'wide' = 'table') => formatState(objects, T0 + 60_000, output);

function node(conditions: Node['status']['conditions'], unschedulable?: boolean): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: unschedulable === undefined ? {} : { unschedulable }, status: { conditions } } as unknown as Node;
}

describe('Node STATUS, as kubectl printNode', () => {
  const ready = (status: 'True' | 'False' | 'Unknown') => [{ type: 'Ready', status }] as Node['status']['conditions'];

  it('prints NotReady whenever the Ready condition is not True, Unknown included (a node that stopped heartbeating)', () => {
    expect(nodeStatus(node(ready('True')))).toBe('Ready');
    expect(nodeStatus(node(ready('False')))).toBe('NotReady');
    expect(nodeStatus(node(ready('Unknown')))).toBe('NotReady');
  });

  it('prints Unknown only for a node without a Ready condition', () => {
    expect(nodeStatus(node([]))).toBe('Unknown');
    expect(nodeStatus(node(undefined))).toBe('Unknown');
  });

  it('appends SchedulingDisabled to a cordoned node', () => {
    expect(nodeStatus(node(ready('True'), true))).toBe('Ready,SchedulingDisabled');
    expect(nodeStatus(node(ready('Unknown'), true))).toBe('NotReady,SchedulingDisabled');
  });
});

describe('the table definitions', () => {
  it('defines a table for every kind kubeloop serves, each column with a description and priority 0 or 1', () => {
    for (const r of builtinResources) {
      const printer = PRINTERS[r.kind];
      expect(printer, r.kind).toBeDefined();
      for (const c of printer!.columns) {
        expect(c.description.length, `${r.kind} ${c.name}`).toBeGreaterThan(0);
        expect([0, 1]).toContain(c.priority);
      }
      // the Name column is there, marked as kubectl marks it
      expect(printer!.columns.filter((c) => c.format === 'name').map((c) => c.name)).toEqual(['Name']);
    }
  });

  it('gives one cell per column for a bare object of every kind (nothing but apiVersion, kind and metadata)', () => {
    for (const r of builtinResources) {
      const bare = obj({ apiVersion: r.apiVersion, kind: r.kind, metadata: meta('x'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, template: {}, jobTemplate: {} }, status: {}, involvedObject: {} });
      expect(PRINTERS[r.kind]!.cells(bare, { nowMs: T0 }).length, r.kind).toBe(PRINTERS[r.kind]!.columns.length);
    }
  });
});

describe('kubectl columns of each kind', () => {
  it('prints a Service with TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, node ports as 80:30080/TCP, and SELECTOR with -o wide', () => {
    const svc = obj({ apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { type: 'NodePort', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }] } });
    expect(print([svc])).toBe(['NAMESPACE   NAME   TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)                      AGE', 'default     web    NodePort   10.96.0.20   <none>        80:30080/TCP,443:30443/TCP   60s', ''].join('\n'));
    expect(print([svc], 'wide').split('\n')[0]).toMatch(/ AGE +SELECTOR$/);
    expect(print([svc], 'wide').split('\n')[1]).toMatch(/ 60s +app=web$/);
    const external = obj({ apiVersion: 'v1', kind: 'Service', metadata: meta('db'), spec: { type: 'ExternalName', externalName: 'db.example.com' } });
    expect(print([external])).toContain('ExternalName   <none>       db.example.com');
  });

  it('prints a Node with STATUS ROLES AGE VERSION, and the addresses, OS image, kernel and runtime with -o wide', () => {
    const n = obj({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', creationTimestamp: created, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'Unknown' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
        nodeInfo: { kubeletVersion: 'v1.31.0', osImage: 'kubeloop', kernelVersion: '6.1.0', containerRuntimeVersion: 'fake://1.0' },
      },
    });
    expect(print([n])).toBe(['NAME     STATUS                        ROLES           AGE   VERSION', 'node-1   NotReady,SchedulingDisabled   control-plane   60s   v1.31.0', ''].join('\n'));
    expect(print([n], 'wide')).toContain('VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE   KERNEL-VERSION   CONTAINER-RUNTIME');
    expect(print([n], 'wide')).toContain('v1.31.0   10.0.0.1      <none>        kubeloop   6.1.0            fake://1.0');
  });

  it('prints a pod with -o wide as kubectl does: IP, NODE, NOMINATED NODE, READINESS GATES after AGE (and OWNER, kubeloop\'s)', () => {
    const pod = obj({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web-0'),
      spec: { nodeName: 'node-2', containers: [{ name: 'app', image: 'nginx' }], readinessGates: [{ conditionType: 'example.com/lb' }] },
      status: { phase: 'Running', podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }], conditions: [{ type: 'example.com/lb', status: 'True' }], containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] },
    });
    expect(print([pod], 'wide')).toBe(
      [
        'NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   IP         NODE     NOMINATED NODE   READINESS GATES   OWNER',
        'default     web-0   1/1     Running   0          60s   10.1.2.3   node-2   <none>           1/1               <none>',
        '',
      ].join('\n'),
    );
    // the default view keeps its columns
    expect(print([pod]).split('\n')[0]).toBe('NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   NODE     OWNER');
  });

  it('prints CONTAINERS IMAGES SELECTOR of Deployments, ReplicaSets, DaemonSets, Jobs and CronJobs with -o wide, and CONTAINERS IMAGES of StatefulSets', () => {
    const template = { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };
    const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] };
    const d = obj({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec: { replicas: 2, selector, template }, status: { readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 } });
    expect(print([d], 'wide')).toBe(
      ['NAMESPACE   NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES               SELECTOR', 'default     web    2/2     2            2           60s   app,log      nginx:1.27,busybox   app=web,tier in (a,b)', ''].join('\n'),
    );
    const sts = obj({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db'), spec: { replicas: 3, selector, template }, status: { readyReplicas: 1 } });
    expect(print([sts], 'wide')).toBe(['NAMESPACE   NAME   READY   AGE   CONTAINERS   IMAGES', 'default     db     1/3     60s   app,log      nginx:1.27,busybox', ''].join('\n'));
    const cj = obj({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('hello'), spec: { schedule: '*/5 * * * *', timeZone: 'Etc/UTC', suspend: true, jobTemplate: { spec: { template } } }, status: { active: [{ name: 'hello-1' }] } });
    expect(print([cj], 'wide')).toBe(
      ['NAMESPACE   NAME    SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE   CONTAINERS   IMAGES               SELECTOR', 'default     hello   */5 * * * *   Etc/UTC    True      1        <none>          60s   app,log      nginx:1.27,busybox   <none>', ''].join('\n'),
    );
  });

  it('prints a HorizontalPodAutoscaler with REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE, targets as current/target', () => {
    const hpa = obj({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('php-apache'),
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'php-apache' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
      status: { currentReplicas: 4, desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 62, averageValue: '124m' } } }] },
    });
    expect(print([hpa])).toBe(['NAMESPACE   NAME         REFERENCE               TARGETS        MINPODS   MAXPODS   REPLICAS   AGE', 'default     php-apache   Deployment/php-apache   cpu: 62%/50%   1         10        4          60s', ''].join('\n'));
  });

  it('formats HPA targets as kubectl formatHPAMetrics: <unknown> before a measurement, (avg) for average values of Object and External metrics, two at most', () => {
    const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } } as const;
    const mem = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } } as const;
    const qps = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } } as const;
    const queue = { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } } as const;
    expect(hpaTargets(undefined, undefined)).toBe('<none>');
    expect(hpaTargets([cpu], undefined)).toBe('cpu: <unknown>/80%');
    expect(hpaTargets([mem], [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '50Mi' } } }])).toBe('memory: 50Mi/100Mi');
    expect(hpaTargets([queue], undefined)).toBe('<unknown>/30 (avg)');
    expect(hpaTargets([cpu, mem, qps], undefined)).toBe('cpu: <unknown>/80%, memory: <unknown>/100Mi + 1 more...');
  });

  it('prints a PodDisruptionBudget with MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE, N/A for the bound not set', () => {
    const pdb = obj({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('web'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } });
    expect(print([pdb])).toBe(['NAMESPACE   NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE', 'default     web    50%             N/A               1                     60s', ''].join('\n'));
  });

  it('prints a VerticalPodAutoscaler with the CRD columns MODE CPU MEM PROVIDED AGE: the first container’s target', () => {
    const vpa = obj({
      apiVersion: 'autoscaling.k8s.io/v1',
      kind: 'VerticalPodAutoscaler',
      metadata: meta('hamster-vpa'),
      spec: { targetRef: { kind: 'Deployment', name: 'hamster' }, updatePolicy: { updateMode: 'Auto' } },
      status: { recommendation: { containerRecommendations: [{ containerName: 'hamster', target: { cpu: '350m', memory: '262144k' } }] }, conditions: [{ type: 'RecommendationProvided', status: 'True' }] },
    });
    // a custom kind: without the cluster's kinds formatState cannot tell it is namespaced (a
    // scenario's get passes them, and NAMESPACE comes first as for the built-in kinds)
    expect(print([vpa])).toBe(['NAME          MODE   CPU    MEM       PROVIDED   AGE', 'hamster-vpa   Auto   350m   262144k   True       60s', ''].join('\n'));
  });

  it('prints StorageClasses with PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE, the default one marked (default)', () => {
    const standard = obj({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard', creationTimestamp: created, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'kubeloop.dev/hostpath', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' });
    const fast = obj({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast', creationTimestamp: created }, provisioner: 'example.com/ssd', reclaimPolicy: 'Retain', volumeBindingMode: 'Immediate', allowVolumeExpansion: true });
    expect(print([standard, fast])).toBe(
      [
        'NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE',
        'fast                 example.com/ssd         Retain          Immediate              true                   60s',
        'standard (default)   kubeloop.dev/hostpath   Delete          WaitForFirstConsumer   false                  60s',
        '',
      ].join('\n'),
    );
  });

  it('prints Ingresses with CLASS HOSTS ADDRESS PORTS AGE (80, 443 with TLS; * without hosts) and IngressClasses with CONTROLLER PARAMETERS AGE', () => {
    const ing = obj({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('web'), spec: { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'] }], rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }] }, status: { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } } });
    const catchAll = obj({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('all'), spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } }, status: {} });
    expect(print([ing, catchAll])).toBe(
      [
        'NAMESPACE   NAME   CLASS    HOSTS                         ADDRESS         PORTS     AGE',
        'default     all    <none>   *                                             80        60s',
        'default     web    nginx    a.example.com,b.example.com   192.168.1.240   80, 443   60s',
        '',
      ].join('\n'),
    );
    const cls = obj({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', creationTimestamp: created }, spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } } });
    expect(print([cls])).toBe(['NAME    CONTROLLER             PARAMETERS                                      AGE', 'nginx   k8s.io/ingress-nginx   IngressParameters.k8s.example.com/external-lb   60s', ''].join('\n'));
  });

  it('prints Namespaces with STATUS and Secrets with TYPE DATA', () => {
    const secret = obj({ apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), type: 'Opaque', data: { user: 'YQ==', password: 'Yg==' } });
    expect(print([secret])).toBe(['NAMESPACE   NAME    TYPE     DATA   AGE', 'default     creds   Opaque   2      60s', ''].join('\n'));
  });
});

describe('-o name', () => {
  it('prints one kind.group/name per object, as kubectl get -o name', () => {
    const pod = obj({ apiVersion: 'v1', kind: 'Pod', metadata: meta('web-0'), spec: {}, status: {} });
    const d = obj({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec: {}, status: {} });
    const lease = obj({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('node-1') });
    expect(formatNames([pod, d, lease], { groupOf: (k) => (k === 'Deployment' ? 'apps' : '') })).toBe('pod/web-0\ndeployment.apps/web\n');
    expect(formatState([pod, d, lease], T0, 'name')).toBe('pod/web-0\ndeployment.apps/web\n');
  });
});

describe('events in the order they happened', () => {
  const event = (name: string, rv: number, at: string, reason: string): Event =>
    ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default', resourceVersion: String(rv) }, involvedObject: { kind: 'Pod', name: 'web' }, type: 'Normal', reason, message: reason, lastTimestamp: at }) as Event;

  it('keeps events recorded in the same second in the order the API server wrote them (resourceVersion), whatever their names', () => {
    // names end in a random hex suffix: sorted by name these would be Started, Created, Pulled, Pulling, Scheduled
    const events = [event('web.1', 14, '2026-01-01T00:00:01Z', 'Started'), event('web.5', 10, '2026-01-01T00:00:01Z', 'Scheduled'), event('web.2', 13, '2026-01-01T00:00:01Z', 'Created'), event('web.4', 11, '2026-01-01T00:00:01Z', 'Pulling'), event('web.3', 12, '2026-01-01T00:00:01Z', 'Pulled')];
    expect(sortEvents(events).map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    const table = buildTables(events, T0 + 5_000, () => true, { include: ['Event'] })[0]!;
    expect(table.rows.map((r) => r[3])).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('lists a pod\'s events as they happened in a running cluster: Scheduled, Pulling, Pulled, Created, Started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-events-'));
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
    writeFileSync(join(dir, 'events.scenario.yaml'), JSON.stringify({ kind: 'Scenario', cluster: { nodes: 1 }, steps: [{ apply: pod }, 'settle', { get: 'events' }] }));
    const stdout = { text: '', write: (t: string) => void (stdout.text += t) };
    const stderr = { text: '', write: (t: string) => void (stderr.text += t) };
    expect(await main(['run', join(dir, 'events.scenario.yaml')], { stdout, stderr })).toBe(0);
    const reasons = stdout.text
      .split('\n')
      .filter((l) => l.includes('pod/web'))
      .map((l) => l.split(/ {3,}/)[3]);
    expect(reasons).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('orders by the time last seen first: an event repeated later moves after the others', () => {
    const events = [event('web.a', 30, '2026-01-01T00:00:09Z', 'BackOff'), event('web.b', 12, '2026-01-01T00:00:02Z', 'Pulled')];
    expect(sortEvents(events).map((e) => e.reason)).toEqual(['Pulled', 'BackOff']);
  });

  it('prints the wide event columns (SUBOBJECT SOURCE FIRST SEEN COUNT NAME) with -o wide', () => {
    const e = { ...event('web.a', 1, '2026-01-01T00:00:30Z', 'Pulled'), firstTimestamp: '2026-01-01T00:00:10Z', count: 3, source: { component: 'kubelet', host: 'node-1' }, involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' } } as Event;
    const text = formatTables(buildTables([e], T0 + 60_000, () => true, { include: ['Event'], wide: true }));
    expect(text).toBe(
      ['NAMESPACE   LAST SEEN   TYPE     REASON   OBJECT    SUBOBJECT              SOURCE            MESSAGE   FIRST SEEN   COUNT   NAME', 'default     30s         Normal   Pulled   pod/web   spec.containers{app}   kubelet, node-1   Pulled    50s          3       web.a', ''].join('\n'),
    );
  });
});

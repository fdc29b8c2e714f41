/**
 * Field-wise decoding of updates: an update whose top-level fields are the stored object's own
 * (frozen) values reuses them instead of parsing them. It must store exactly what a full
 * decode would. A server with a no-op mutating hook always decodes in full (a mutating hook
 * may edit the request's object in place, so it gets fresh objects), which gives the reference.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { z } from 'zod';
import {
  ConfigMaps,
  CronJobs,
  DaemonSets,
  Deployments,
  HorizontalPodAutoscalers,
  Jobs,
  LimitRanges,
  Pods,
  ReplicationControllers,
  Secrets,
  Services,
  StatefulSets,
  createBuiltinRegistry,
} from '../api/kinds/index.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import { VirtualClock } from '../clock/virtual.js';
import { runs } from '../testing/index.js';
import { seededRng } from '../rng/seeded.js';
import { ApiServer } from './server.js';

function servers(): { fast: ApiServer; full: ApiServer } {
  const make = (admission: ConstructorParameters<typeof ApiServer>[0]['admission']): ApiServer =>
    new ApiServer({ clock: new VirtualClock(), rng: seededRng(7), registry: createBuiltinRegistry(), admission });
  return { fast: make([]), full: make([{ name: 'no-op', mutate: () => undefined }]) };
}

const container = {
  name: 'web',
  image: 'nginx:1.27',
  ports: [{ containerPort: 80 }],
  env: [{ name: 'MODE', value: 'production' }],
  resources: { requests: { cpu: '100m' }, limits: { cpu: '500m', memory: '256Mi' } },
  readinessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 5 },
};
const labels = { app: 'web' };
const template = { metadata: { labels }, spec: { containers: [container] } };

/** One manifest per kind whose `defaults` hook does something. */
const manifests: readonly [ResourceDefinition, Record<string, unknown>][] = [
  [Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', labels }, spec: { containers: [container], serviceAccount: 'sa' } }],
  [ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }],
  [Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } }],
  [
    Services,
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: labels, ports: [{ port: 80 }], sessionAffinity: 'ClientIP' } },
  ],
  [Deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: labels }, template } }],
  [StatefulSets, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { selector: { matchLabels: labels }, serviceName: 'db', template } }],
  [DaemonSets, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: labels }, template } }],
  [ReplicationControllers, { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { template } }],
  [
    Jobs,
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi' },
      spec: { template: { metadata: { labels }, spec: { containers: [container], restartPolicy: 'Never' } } },
    },
  ],
  [
    CronJobs,
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [container], restartPolicy: 'OnFailure' } } } } },
    },
  ],
  [
    HorizontalPodAutoscalers,
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
    },
  ],
  [
    LimitRanges,
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'l' },
      spec: { limits: [{ type: 'Container', max: { cpu: '2' }, default: { memory: '256Mi' }, min: { cpu: '100m' } }] },
    },
  ],
];

/** Top-level fields other than the ones always parsed. */
function fields(obj: KubeObject): string[] {
  return Object.keys(obj).filter((k) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata');
}

function withLabel(obj: KubeObject, value: string): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, rev: value } } };
}

describe('field-wise decoding of updates', () => {
  it('stores exactly what a full decode stores after a label-only update of a Pod, sharing the stored spec', async () => {
    const { fast, full } = servers();
    const body = manifests[0]![1];
    const a = await fast.create(Pods, body);
    const b = await full.create(Pods, body);
    expect(a).toStrictEqual(b);
    const a2 = await fast.update(Pods, withLabel(a, '2'));
    const b2 = await full.update(Pods, withLabel(b, '2'));
    expect(a2).toStrictEqual(b2);
    expect(a2.metadata.labels).toEqual({ app: 'web', rev: '2' });
    expect(a2.spec).toBe(a.spec); // reused, not parsed again
    expect(a2.status).toBe(a.status);
    expect(b2.spec).not.toBe(b.spec);
  });

  it.each(manifests.map(([def, body]) => [def.kind, def, body] as const))(
    'stores the same %s as a full decode through label, status, as-is and spec writes',
    async (_kind, def, body) => {
      const { fast, full } = servers();
      const steps: ((obj: KubeObject, server: ApiServer) => Promise<KubeObject>)[] = [
        (obj, server) => server.update(def, withLabel(obj, '2')),
        (obj, server) => (def.subresources.status ? server.updateStatus(def, obj) : server.update(def, obj)),
        (obj, server) => server.update(def, withLabel(obj, '3')),
        (obj, server) => server.update(def, { ...obj }),
        // A field replaced by an equal fresh copy is parsed again.
        (obj, server) => server.update(def, withLabel(structuredClone(obj), '4')),
        (obj, server) => server.update(def, withLabel(obj, '5')),
      ];
      let a = await fast.create(def, body);
      let b = await full.create(def, body);
      expect(a).toStrictEqual(b);
      for (const step of steps) {
        a = await step(a, fast);
        b = await step(b, full);
        expect(a).toStrictEqual(b);
      }
      // What was reused decodes to itself.
      const shape = (def.schema as unknown as { shape: Record<string, z.ZodType> }).shape;
      for (const key of fields(a)) {
        expect(shape[key]!.parse((a as unknown as Record<string, unknown>)[key]), key).toStrictEqual((a as unknown as Record<string, unknown>)[key]);
      }
    },
  );

  it('parses again what the server stored without decoding (binding) and what a mutating hook wrote', async () => {
    const { fast, full } = servers();
    for (const server of [fast, full]) {
      await server.create(Pods, manifests[0]![1]);
      await server.bind({ namespace: 'default', name: 'web-1' }, { kind: 'Node', name: 'node-1' });
    }
    const a = await fast.get(Pods, { namespace: 'default', name: 'web-1' });
    const b = await full.get(Pods, { namespace: 'default', name: 'web-1' });
    expect(await fast.update(Pods, withLabel(a, '2'))).toStrictEqual(await full.update(Pods, withLabel(b, '2')));

    // A hook on CREATE only adds a field the schema does not know; the next (hook-free)
    // update must prune it as a full decode does, though it carries the stored spec as is.
    const hooked = new ApiServer({
      clock: new VirtualClock(),
      rng: seededRng(7),
      registry: createBuiltinRegistry(),
      admission: [{ name: 'adds-bogus', operations: ['CREATE'], mutate: (req) => ({ ...req.object, spec: { ...(req.object as unknown as { spec: object }).spec, bogus: 1 } }) }],
    });
    const created = await hooked.create(Deployments, manifests.find(([def]) => def === Deployments)![1]);
    expect('bogus' in created.spec).toBe(true);
    const updated = await hooked.update(Deployments, withLabel(created, '2'));
    expect('bogus' in updated.spec).toBe(false);
  });

  it('still rejects an invalid reused-looking body and reports unknown top-level fields', async () => {
    const { fast } = servers();
    const pod = await fast.create(Pods, manifests[0]![1]);
    const warnings: string[] = [];
    await fast.update(Pods, { ...withLabel(pod, '2'), bogus: 1 } as KubeObject, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual(['unknown field "bogus"']);
    const stored = await fast.get(Pods, { namespace: 'default', name: 'web-1' });
    expect('bogus' in stored).toBe(false);
    await expect(fast.update(Pods, { ...stored, metadata: { ...stored.metadata, labels: { 'bad key!': 'x' } } })).rejects.toMatchObject({
      reason: 'Invalid',
    });
  });

  test.prop([fc.array(fc.tuple(fc.constantFrom('label', 'replicas', 'status', 'as-is'), fc.integer({ min: 0, max: 5 })), { maxLength: 8 })], {
    numRuns: runs(50, 500),
  })('gives the same Deployment as a full decode under any sequence of writes', async (writes) => {
    const { fast, full } = servers();
    const body = manifests.find(([def]) => def === Deployments)![1];
    let a = await fast.create(Deployments, body);
    let b = await full.create(Deployments, body);
    for (const [what, n] of writes) {
      const step = async (obj: typeof a, server: ApiServer): Promise<typeof a> => {
        switch (what) {
          case 'label':
            return (await server.update(Deployments, withLabel(obj, String(n)))) as typeof a;
          case 'replicas':
            return server.update(Deployments, { ...obj, spec: { ...obj.spec, replicas: n } });
          case 'status':
            return server.updateStatus(Deployments, { ...obj, status: { ...obj.status, replicas: n } });
          case 'as-is':
            return server.update(Deployments, obj);
        }
      };
      a = await step(a, fast);
      b = await step(b, full);
      expect(a).toStrictEqual(b);
    }
  });
});

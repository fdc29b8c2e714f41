/**
 * Each StatefulSet invariant the plugin registers, shown failing on a StatefulSet controller
 * broken on purpose (the reference controller seeing a distorted manager, see `../sabotage.ts`),
 * and holding on the real one under the same actions: an invariant that no broken controller
 * can trip checks nothing.
 */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, Pods, StatefulSets } from '@kubeloop/core';
import type { KubeObject, Plugin, Pod, StatefulSet } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, runCase } from '@kubeloop/testing';
import type { RunOptions } from '@kubeloop/testing';
import { STATEFULSET_PLUGIN_NAME, statefulSetPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

type Step = 'apply' | 'scaleTo1' | 'wait';
const ns = 'default';

const set = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: ns },
  spec: {
    replicas: 3,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
};

function scenario(statefulset: Plugin): RunOptions<Step> {
  return {
    name: 'statefulset: broken on purpose',
    cluster: { nodes: 2, controllerManager: { plugins: DEFAULT_CONTROLLER_PLUGINS.map((p) => (p.name === STATEFULSET_PLUGIN_NAME ? statefulset : p)) } },
    perform: async (cluster, step, context) => {
      if (step === 'apply') await cluster.apply(set);
      if (step === 'scaleTo1') await cluster.server.patch(StatefulSets, { namespace: ns, name: 'web' }, { type: 'merge', body: { spec: { replicas: 1 } } });
      await context.advance(step === 'wait' ? 60_000 : 1_000);
    },
    stableMs: 10_000,
  };
}

const STEPS: Step[] = ['apply', 'wait', 'scaleTo1', 'wait'];

/** What each broken controller gets wrong, and the invariant that must see it. */
const cases: { name: string; invariant: string; plugin: Plugin }[] = [
  {
    name: 'a controller whose pod deletions never reach the API server (scale-down does nothing)',
    invariant: 'statefulPodsInRange',
    plugin: sabotaged(statefulSetPlugin(), { dropDelete: (r) => r.resource === Pods.resource }),
  },
  {
    name: 'a controller that labels every pod apps.kubernetes.io/pod-index 0',
    invariant: 'onePodPerOrdinal',
    plugin: sabotaged(statefulSetPlugin(), {
      create: (r, o) => (r.resource === Pods.resource ? ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'apps.kubernetes.io/pod-index': '0' } } } as KubeObject) : o),
    }),
  },
  {
    name: 'a controller that sees every pod Running and Ready (it does not wait for the lower ordinals)',
    invariant: 'orderedReadyCreation',
    plugin: sabotaged(statefulSetPlugin(), {
      read: (r, o) => (r.resource === Pods.resource ? ({ ...o, status: { ...(o as Pod).status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } as KubeObject) : o),
    }),
  },
  {
    name: 'a controller that mounts ordinal 0’s claim in every pod',
    invariant: 'podMountsOwnClaim',
    plugin: sabotaged(statefulSetPlugin(), {
      create: (r, o) => {
        if (r.resource !== Pods.resource) return o;
        const pod = o as Pod;
        return { ...pod, spec: { ...pod.spec, volumes: (pod.spec.volumes ?? []).map((v) => (v.persistentVolumeClaim ? { ...v, persistentVolumeClaim: { ...v.persistentVolumeClaim, claimName: 'data-web-0' } } : v)) } } as KubeObject;
      },
    }),
  },
  {
    name: 'a controller that reads whenScaled: Delete where the set says Retain (scale-down hands the claims to their pods)',
    invariant: 'retainClaimNeverDeleted',
    plugin: sabotaged(statefulSetPlugin(), {
      read: (r, o) => (r.resource === StatefulSets.resource ? ({ ...o, spec: { ...(o as StatefulSet).spec, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' } } } as KubeObject) : o),
    }),
  },
];

describe('the StatefulSet invariants against controllers broken on purpose', () => {
  it('the real controller passes: three pods in order with their claims, scale-down to one keeps the Retain claims', async () => {
    const outcome = await runCase(scenario(statefulSetPlugin()), 1, STEPS, []);
    expect(outcome.failure).toBeUndefined();
  });

  for (const c of cases) {
    it(`${c.invariant} catches ${c.name}`, async () => {
      const outcome = await runCase(scenario(c.plugin), 1, STEPS, []);
      expect(outcome.failure?.invariant).toBe(c.invariant);
    });
  }

  it('retainClaimNeverDeleted holds under whenScaled: Delete on the real controller, which does delete the scaled-down claims', async () => {
    const options = scenario(statefulSetPlugin());
    const perform = options.perform!;
    const outcome = await runCase(
      {
        ...options,
        perform: async (cluster, step, context) => {
          if (step === 'apply') {
            await cluster.apply({ ...set, spec: { ...set.spec, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } } });
            return context.advance(1_000);
          }
          await perform(cluster, step, context);
          if (step === 'wait' && context.step === 3) expect((await cluster.list(PersistentVolumeClaims, { namespace: ns })).items.map((c) => c.metadata.name)).toEqual(['data-web-0']);
        },
      },
      1,
      STEPS,
      [],
    );
    expect(outcome.failure).toBeUndefined();
  });
});

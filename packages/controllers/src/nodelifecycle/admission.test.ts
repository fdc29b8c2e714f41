/**
 * DefaultTolerationSeconds (upstream `plugin/pkg/admission/defaulttolerationseconds`): pods
 * created get 300 s tolerations of the not-ready and unreachable NoExecute taints.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, PluginHost, Pods, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { Pod, Toleration } from '@kubeloop/core';
import { withDefaultTolerations } from './admission.js';
import { nodeLifecyclePlugin } from './plugin.js';

const NR = 'node.kubernetes.io/not-ready';
const UR = 'node.kubernetes.io/unreachable';
const def = (key: string): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });

describe('DefaultTolerationSeconds', () => {
  it.each<[string, Toleration[] | undefined, Toleration[]]>([
    ['adds both tolerations to a pod with none', undefined, [def(NR), def(UR)]],
    ['keeps an unreachable toleration the pod has and adds only not-ready', [{ key: UR, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], [{ key: UR, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }, def(NR)]],
    ['counts a toleration with an empty effect as having it', [{ key: NR, operator: 'Exists' }], [{ key: NR, operator: 'Exists' }, def(UR)]],
    ['does not count a NoSchedule toleration', [{ key: UR, operator: 'Exists', effect: 'NoSchedule' }], [{ key: UR, operator: 'Exists', effect: 'NoSchedule' }, def(NR), def(UR)]],
  ])('%s', (_name, tolerations, expected) => {
    expect(withDefaultTolerations(tolerations)).toEqual(expected);
  });

  it('adds the tolerations on pod CREATE through the plugin, and not on UPDATE', async () => {
    const clock = new VirtualClock();
    const registry = createBuiltinRegistry();
    const server = new ApiServer({ clock, rng: seededRng(1), registry });
    new PluginHost({ registry, admission: server }).use(nodeLifecyclePlugin({ defaultTolerationSeconds: 120 }));
    const created = await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } as Pod);
    expect(created.spec.tolerations).toEqual([
      { key: NR, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 },
      { key: UR, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 },
    ]);
    const updated = await server.update(Pods, { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } });
    expect(updated.spec.tolerations).toHaveLength(2);
  });
});

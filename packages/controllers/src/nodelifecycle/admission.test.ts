/**
 * DefaultTolerationSeconds (upstream `plugin/pkg/admission/defaulttolerationseconds`): pods
 * created get 300 s tolerations of the not-ready and unreachable NoExecute taints.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ApiServer, PluginHost, Pods, VirtualClock, createBuiltinRegistry, deepEqual, seededRng, validateForCreate } from '@kubeloop/core';
import type { AdmissionRequest, Pod, Toleration } from '@kubeloop/core';
import { defaultTolerationSeconds, withDefaultTolerations } from './admission.js';
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

  // The hook declares `producesDecoded`: the server then reuses the tolerations it adds on later
  // updates without parsing them. That holds only if decoding its output changes nothing.
  const toleration = fc.record(
    {
      key: fc.constantFrom(NR, UR, 'dedicated', ''),
      operator: fc.constantFrom('Exists', 'Equal'),
      value: fc.constantFrom('', 'gpu'),
      effect: fc.constantFrom('', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'),
      tolerationSeconds: fc.integer({ min: 0, max: 3600 }),
    },
    { requiredKeys: [] },
  );
  test.prop([fc.option(fc.array(toleration, { maxLength: 4 }), { nil: undefined })], { numRuns: 200 })(
    'adds only what decoding a pod leaves as it is: decoding its output again gives the same pod',
    (tolerations) => {
      const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...(tolerations === undefined ? {} : { tolerations }) } };
      let pod: Pod;
      try {
        pod = validateForCreate(Pods, body);
      } catch {
        return; // a toleration the API rejects never reaches the hook
      }
      const hook = defaultTolerationSeconds();
      expect(hook.producesDecoded).toBe(true);
      const out = hook.mutate!({ operation: 'CREATE', resource: Pods, subresource: undefined, object: pod, oldObject: undefined } as unknown as AdmissionRequest) as Pod;
      expect(out).not.toBe(pod);
      expect(deepEqual(validateForCreate(Pods, out), out)).toBe(true);
    },
  );
});

import { describe, expect, it } from 'vitest';
import { StrategicMergePatchError, strategicMerge } from './strategic.js';

const pod = {
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
      { name: 'sidecar', image: 'side:1' },
    ],
    tolerations: [{ key: 'x', operator: 'Exists' }],
  },
};

// Upstream's strategic merge patch semantics (apimachinery strategicpatch), on the lists the
// built-in kinds declare `patchStrategy: merge`.
describe('strategicMerge', () => {
  it('merges containers by name and env by name, leaving the other items alone (kubectl set image, set env)', () => {
    const out = strategicMerge(pod, { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'C', value: '3' }] }] } }) as typeof pod;
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([['app', 'app:2'], ['sidecar', 'side:1']]);
    expect(out.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }]);
    expect(out.spec.containers[0]!.ports).toEqual([{ containerPort: 80 }]);
    expect(pod.spec.containers[0]!.image).toBe('app:1'); // the original is not changed
  });

  it('replaces lists without a merge strategy, deletes items with $patch: delete and fields set to null', () => {
    const out = strategicMerge(pod, { metadata: { labels: { app: null } }, spec: { tolerations: [], containers: [{ name: 'sidecar', $patch: 'delete' }] } }) as typeof pod;
    expect(out.spec.tolerations).toEqual([]);
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(out.metadata.labels).toEqual({});
  });

  it('honours $setElementOrder, $deleteFromPrimitiveList, merged finalizers, $patch: replace and $retainKeys', () => {
    const reordered = strategicMerge(pod, { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } }) as typeof pod;
    expect(reordered.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'app']);
    expect((strategicMerge(pod, { metadata: { finalizers: ['b'] } }) as typeof pod).metadata.finalizers).toEqual(['a', 'b']);
    expect((strategicMerge(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as typeof pod).metadata.finalizers).toEqual([]);
    expect(strategicMerge(pod, { metadata: { $patch: 'replace', name: 'other' } })).toMatchObject({ metadata: { name: 'other' } });
    expect((strategicMerge(pod, { metadata: { $patch: 'replace', name: 'other' } }) as typeof pod).metadata.labels).toBeUndefined();
    expect(strategicMerge({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }, { strategy: { $retainKeys: ['type'], type: 'Recreate' } })).toEqual({ strategy: { type: 'Recreate' } });
  });

  it('rejects an unknown $patch directive', () => {
    expect(() => strategicMerge(pod, { spec: { containers: [{ name: 'app', $patch: 'bogus' }] } })).toThrow(StrategicMergePatchError);
  });
});

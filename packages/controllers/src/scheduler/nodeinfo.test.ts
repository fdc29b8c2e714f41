/**
 * NodeInfo: its totals stay the sums over its pods through any sequence of adds, replacements
 * and removals, and the shared ClusterIndex follows (upstream `NodeInfo.AddPod` / `RemovePod`).
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { makeNode, makePod } from '../testing/index.js';
import { ClusterIndex, NodeInfo, podInfo } from './nodeinfo.js';

const RUNS = process.env.KUBELOOP_DEEP === '1' ? 1000 : 100;

const podArb = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd'),
  cpu: fc.integer({ min: 0, max: 2000 }),
  port: fc.constantFrom(undefined, 80, 443),
  anti: fc.boolean(),
});

const op = fc.oneof(
  podArb.map((p) => ({ kind: 'add' as const, ...p })),
  fc.constantFrom('a', 'b', 'c', 'd').map((name) => ({ kind: 'remove' as const, name })),
);

describe('NodeInfo', () => {
  test.prop([fc.array(op, { maxLength: 30 })], { numRuns: RUNS })('keeps its totals and the cluster index equal to the sums over its pods', (ops) => {
    const index = new ClusterIndex();
    const info = new NodeInfo(makeNode('n', { images: [{ names: ['app:1'], sizeBytes: 10 }] }), index);
    for (const o of ops) {
      if (o.kind === 'remove') info.removePod(`default/${o.name}`);
      else {
        const affinity = o.anti
          ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' }] } }
          : undefined;
        info.addPod(podInfo(makePod(o.name, { nodeName: 'n', cpu: `${o.cpu}m`, ...(o.port ? { ports: [{ hostPort: o.port }] } : {}), ...(affinity ? { affinity } : {}) })));
      }
      info.assertInvariants();
    }
    expect(index.imageNodes.get('app:1')).toBe(1);
  });

  it('forgets its images and index entries when detached', () => {
    const index = new ClusterIndex();
    const info = new NodeInfo(makeNode('n', { images: [{ names: ['app'], sizeBytes: 10 }] }), index);
    expect(index.imageNodes.get('app:latest')).toBe(1);
    info.detach();
    expect(index.imageNodes.size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Node, Pod } from '@kubeloop/core';
import { admitPod, allocatableResources, nodeAffinityRejection, podRequests } from './admission.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 2000 : 100;

describe('kubelet admission', () => {
  it('counts the larger of the containers sum and the largest init container, plus overhead', () => {
    const pod = {
      spec: {
        containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }],
        initContainers: [{ name: 'i', resources: { requests: { cpu: '500m', memory: '32Mi' } } }],
        overhead: { cpu: '10m' },
      },
    } as unknown as Pod;
    expect(podRequests(pod)).toEqual({ cpu: 510, memory: 64 * 2 ** 20, pods: 1 });
  });

  it('rejects a pod whose node selector or required node affinity the node does not match (NodeAffinity)', () => {
    const node = { metadata: { name: 'node-1', labels: { pool: 'a', size: '8' } } } as unknown as Node;
    const pod = (spec: Record<string, unknown>) => ({ spec: { containers: [], ...spec } }) as unknown as Pod;
    const term = (key: string, operator: string, values?: string[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] } } } });
    expect(nodeAffinityRejection(pod({}), node)).toBeUndefined();
    expect(nodeAffinityRejection(pod({ nodeSelector: { pool: 'a' } }), node)).toBeUndefined();
    expect(nodeAffinityRejection(pod(term('size', 'Gt', ['4'])), node)).toBeUndefined();
    expect(nodeAffinityRejection(pod({ nodeSelector: { pool: 'b' } }), node)).toEqual({
      reason: 'NodeAffinity',
      message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
    });
    expect(nodeAffinityRejection(pod(term('pool', 'NotIn', ['a'])), node)?.reason).toBe('NodeAffinity');
    // Both must hold: a matching selector does not excuse a failing affinity.
    expect(nodeAffinityRejection(pod({ nodeSelector: { pool: 'a' }, ...term('gpu', 'Exists') }), node)?.reason).toBe('NodeAffinity');
  });

  it('rejects with upstream reasons and messages', () => {
    const alloc = allocatableResources({ cpu: '4', memory: '8Gi', pods: '3' });
    expect(admitPod({ cpu: 500, memory: 0, pods: 1 }, { cpu: 3800, memory: 0, pods: 1 }, alloc)).toEqual({
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000",
    });
    expect(admitPod({ cpu: 0, memory: 0, pods: 1 }, { cpu: 0, memory: 0, pods: 3 }, alloc)?.reason).toBe('OutOfpods');
    expect(admitPod({ cpu: 0, memory: 9 * 2 ** 30, pods: 1 }, { cpu: 0, memory: 0, pods: 0 }, alloc)?.reason).toBe('OutOfmemory');
    expect(admitPod({ cpu: 200, memory: 0, pods: 1 }, { cpu: 3800, memory: 0, pods: 2 }, alloc)).toBeUndefined();
  });

  test.prop([fc.array(fc.record({ cpu: fc.integer({ min: 0, max: 3000 }), memory: fc.integer({ min: 0, max: 4e9 }), pods: fc.constant(1) }), { maxLength: 30 })], { numRuns: runs })(
    'admitting pods one by one never exceeds allocatable',
    (pods) => {
      const alloc = { cpu: 8000, memory: 16e9, pods: 10 };
      const used = { cpu: 0, memory: 0, pods: 0 };
      for (const p of pods) {
        if (admitPod(p, used, alloc) !== undefined) continue;
        used.cpu += p.cpu;
        used.memory += p.memory;
        used.pods += 1;
        expect(used.cpu).toBeLessThanOrEqual(alloc.cpu);
        expect(used.memory).toBeLessThanOrEqual(alloc.memory);
        expect(used.pods).toBeLessThanOrEqual(alloc.pods);
      }
    },
  );
});

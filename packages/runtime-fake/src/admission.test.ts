import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Node, Pod } from '@kubeloop/core';
import { admissionRejection, admitPod, allocatableResources, hostPortsRejection, noExecuteTaintRejection, nodeAffinityRejection, podRequests } from './admission.js';

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

  it('counts a sidecar (restartPolicy Always) with the app containers: 600m + 500m is 1100m, more than a 1-CPU node has (OutOfcpu)', () => {
    const meshed = {
      metadata: { name: 'meshed' },
      spec: {
        initContainers: [{ name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }],
        containers: [{ name: 'app', resources: { requests: { cpu: '600m' } } }],
      },
    } as unknown as Pod;
    expect(podRequests(meshed)).toEqual({ cpu: 1100, memory: 0, pods: 1 });
    const node = { metadata: { name: 'small' }, spec: {} } as unknown as Node;
    const context = { node, allocatable: allocatableResources({ cpu: '1', memory: '4Gi', pods: '110' }), used: { cpu: 0, memory: 0, pods: 0 }, usedPorts: [] };
    expect(admissionRejection(meshed, context)).toEqual({
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1100, used: 0, capacity: 1000",
    });
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

  it('rejects a pod whose host port is taken on the node (NodePorts), by port, protocol and address', () => {
    const pod = (ports: Record<string, unknown>[]) => ({ spec: { containers: [{ name: 'a', ports }] } }) as unknown as Pod;
    const used = [{ hostIP: '10.0.0.5', protocol: 'TCP', port: 8080 }];
    expect(hostPortsRejection(pod([{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }]), used)).toEqual({
      reason: 'NodePorts',
      message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports",
    });
    // Another protocol, another address, another port, or no host port at all: no conflict.
    expect(hostPortsRejection(pod([{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }]), used)).toBeUndefined();
    expect(hostPortsRejection(pod([{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.6', protocol: 'TCP' }]), used)).toBeUndefined();
    expect(hostPortsRejection(pod([{ containerPort: 80, hostPort: 8081, protocol: 'TCP' }]), used)).toBeUndefined();
    expect(hostPortsRejection(pod([{ containerPort: 8080, protocol: 'TCP' }]), used)).toBeUndefined();
    // An explicit address collides with a port held on every address.
    expect(hostPortsRejection(pod([{ containerPort: 80, hostPort: 9090, hostIP: '10.0.0.6', protocol: 'TCP' }]), [{ hostIP: '0.0.0.0', protocol: 'TCP', port: 9090 }])?.reason).toBe('NodePorts');
  });

  it('rejects a pod that does not tolerate a NoExecute taint of the node (TaintToleration), and ignores the other effects', () => {
    const node = (effect: string) => ({ metadata: { name: 'node-1' }, spec: { taints: [{ key: 'maintenance', value: 'true', effect }] } }) as unknown as Node;
    const pod = (tolerations?: Record<string, unknown>[]) => ({ spec: { containers: [], ...(tolerations ? { tolerations } : {}) } }) as unknown as Pod;
    expect(noExecuteTaintRejection(pod(), node('NoExecute'))).toEqual({
      reason: 'TaintToleration',
      message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate",
    });
    expect(noExecuteTaintRejection(pod([{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }]), node('NoExecute'))).toBeUndefined();
    expect(noExecuteTaintRejection(pod([{ key: 'maintenance', value: 'false' }]), node('NoExecute'))?.reason).toBe('TaintToleration');
    // NoSchedule and PreferNoSchedule steer the scheduler only.
    expect(noExecuteTaintRejection(pod(), node('NoSchedule'))).toBeUndefined();
    expect(noExecuteTaintRejection(pod(), node('PreferNoSchedule'))).toBeUndefined();
  });

  it('reports the first failed predicate in upstream order: resources, node affinity, host ports, taints', () => {
    const node = { metadata: { name: 'node-1', labels: { pool: 'a' } }, spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } } as unknown as Node;
    const everything = {
      spec: { nodeSelector: { pool: 'b' }, containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '2' } } }] },
    } as unknown as Pod;
    const context = { node, allocatable: { cpu: 1000, memory: 1e9, pods: 10 }, used: { cpu: 0, memory: 0, pods: 0 }, usedPorts: [{ hostIP: '0.0.0.0', protocol: 'TCP', port: 80 }] };
    expect(admissionRejection(everything, context)?.reason).toBe('OutOfcpu');
    expect(admissionRejection(everything, { ...context, allocatable: { ...context.allocatable, cpu: 4000 } })?.reason).toBe('NodeAffinity');
    const matching = { ...everything, spec: { ...everything.spec, nodeSelector: { pool: 'a' } } } as Pod;
    expect(admissionRejection(matching, { ...context, allocatable: { ...context.allocatable, cpu: 4000 } })?.reason).toBe('NodePorts');
    expect(admissionRejection(matching, { ...context, allocatable: { ...context.allocatable, cpu: 4000 }, usedPorts: [] })?.reason).toBe('TaintToleration');
    expect(admissionRejection(matching, { ...context, node: { ...node, spec: {} }, allocatable: { ...context.allocatable, cpu: 4000 }, usedPorts: [] })).toBeUndefined();
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

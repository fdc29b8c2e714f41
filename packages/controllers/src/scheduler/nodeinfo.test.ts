/**
 * NodeInfo: its totals stay the sums over its pods through any sequence of adds, replacements
 * and removals, and the shared ClusterIndex follows (upstream `NodeInfo.AddPod` / `RemovePod`).
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { makeNode, makePod } from '../testing/index.js';
import { ClusterIndex, NodeInfo, nonZeroRequests, podInfo, podRequests } from './nodeinfo.js';

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
  fc.constantFrom('a', 'b', 'c', 'd').map((name) => ({ kind: 'status' as const, name })),
);

describe('NodeInfo', () => {
  test.prop([fc.array(op, { maxLength: 30 })], { numRuns: RUNS })('keeps its totals and the cluster index equal to the sums over its pods', (ops) => {
    const index = new ClusterIndex();
    const info = new NodeInfo(makeNode('n', { images: [{ names: ['app:1'], sizeBytes: 10 }] }), index);
    for (const o of ops) {
      if (o.kind === 'remove') info.removePod(`default/${o.name}`);
      else if (o.kind === 'status') {
        // A newer version with the same spec (a status write) takes the old one's place everywhere.
        const key = `default/${o.name}`;
        const held = info.pods.get(key);
        if (held !== undefined) {
          const written = { ...held, pod: { ...held.pod, status: { ...held.pod.status, phase: 'Running' as const } } };
          info.replacePod(written);
          expect(info.pods.get(key)).toBe(written);
          if (held.hasAffinity) expect(info.podsWithAffinity.get(key)).toBe(written);
          if (held.hasRequiredAntiAffinity) expect(info.podsWithRequiredAntiAffinity.get(key)).toBe(written);
        }
      } else {
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

describe('podRequests and nonZeroRequests of frozen pods', () => {
  const freeze = <T>(o: T): T => {
    if (o !== null && typeof o === 'object') {
      for (const v of Object.values(o)) freeze(v);
      Object.freeze(o);
    }
    return o;
  };

  it('computes once for a frozen pod and the copies that share its containers (the assumed pod), recomputes when they differ', () => {
    const pod = freeze(makePod('p', { cpu: '600m' }));
    const first = podRequests(pod);
    expect(first.get('cpu')).toBe(600);
    const assumed = { ...pod, spec: { ...pod.spec, nodeName: 'n' } };
    expect(podRequests(assumed)).toBe(first);
    expect(nonZeroRequests(assumed)).toBe(nonZeroRequests(pod));
    // Same containers, a sidecar added: not the same pod shape, recomputed.
    const sidecar = freeze([{ ...pod.spec.containers[0]!, name: 'proxy', restartPolicy: 'Always' as const }]);
    const meshed = { ...pod, spec: { ...pod.spec, initContainers: sidecar } };
    expect(podRequests(meshed).get('cpu')).toBe(1200);
    expect(nonZeroRequests(meshed).milliCPU).toBe(1200);
  });

  it('recomputes every time for a pod that is not frozen, which may have changed', () => {
    const pod = makePod('p', { cpu: '600m' });
    expect(podRequests(pod).get('cpu')).toBe(600);
    pod.spec.containers[0]!.resources!.requests!['cpu'] = '700m';
    expect(podRequests(pod).get('cpu')).toBe(700);
    expect(nonZeroRequests(pod).milliCPU).toBe(700);
  });
});

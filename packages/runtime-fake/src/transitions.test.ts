/**
 * Randomized invariants of the fake kubelet: whatever the pods do (crash, complete, leak, fail
 * probes, get deleted), what is observed on the API only moves along upstream's allowed paths,
 * and no pod ever runs on a node it is not bound to.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ApiServer, Pods, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { startFakeNode } from './plugin.js';
import { ALLOWED_PHASE_TRANSITIONS } from './status.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 100 : 12;

const behavior = fc.constantFrom('', 'crash-after=3s', 'complete-after=5s', 'complete-after=2s,exit-code=4', 'not-ready-for=15s', 'liveness-fail-after=20s', 'memory=10Mi,memory-growth=1Mi', 'stop-after=never', 'stop-after=3s');
const podArb = fc.record({
  behavior,
  initBehavior: fc.option(fc.constantFrom('complete-after=2s', 'crash-after=1s'), { nil: undefined }),
  sidecar: fc.option(fc.constantFrom('', 'crash-after=4s', 'stop-after=never', 'not-ready-for=10s'), { nil: undefined }),
  restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never'),
  node: fc.constantFrom('node-a', 'node-b', undefined),
  image: fc.constantFrom('busybox:1.36', 'nginx:1.25', 'example.com/app:1'),
  probes: fc.boolean(),
  deleteAfterMs: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
  grace: fc.constantFrom(0, 5, 30),
});

describe('the fake kubelet under random workloads', () => {
  test.prop([fc.array(podArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 1000 })], { numRuns: runs })(
    'phases and conditions only move along upstream paths (with init containers and sidecars), and pods only run on the node they are bound to',
    async (pods, seed) => {
      const clock = new VirtualClock();
      const server = new ApiServer({ clock, rng: seededRng(seed), registry: createBuiltinRegistry() });
      const kubelets = [await startFakeNode({ client: server, clock, rng: seededRng(seed + 1), node: { name: 'node-a', index: 0 } }), await startFakeNode({ client: server, clock, rng: seededRng(seed + 2), node: { name: 'node-b', index: 1 } })];
      const ipOf = new Map(kubelets.map((k) => [k.nodeName, k.nodeIP]));
      const seen = new Map<string, Pod[]>();
      const sub = server.watch(Pods, {}).subscribe((e) => {
        if (e.type === 'BOOKMARK') return;
        const list = seen.get(e.object.metadata.uid ?? '') ?? [];
        list.push(e.object);
        seen.set(e.object.metadata.uid ?? '', list);
      });
      const deletions: [number, string][] = [];
      for (const [i, p] of pods.entries()) {
        const name = `p${i}`;
        const c = (n: string): Record<string, unknown> => ({
          name: n,
          image: p.image,
          ...(p.probes && n === 'main' ? { readinessProbe: { httpGet: { port: 80 }, periodSeconds: 5 }, livenessProbe: { httpGet: { port: 80 }, periodSeconds: 5, failureThreshold: 2 } } : {}),
          ...(n === 'main' ? { resources: { limits: { memory: '32Mi' } } } : {}),
        });
        const annotations: Record<string, string> = { 'kubeloop.dev/behavior.main': p.behavior };
        if (p.initBehavior !== undefined) annotations['kubeloop.dev/behavior.setup'] = p.initBehavior;
        if (p.sidecar !== undefined) annotations['kubeloop.dev/behavior.side'] = p.sidecar;
        const inits = [...(p.sidecar === undefined ? [] : [{ ...c('side'), restartPolicy: 'Always', readinessProbe: { httpGet: { port: 80 }, periodSeconds: 5 } }]), ...(p.initBehavior === undefined ? [] : [c('setup')])];
        const spec = { restartPolicy: p.restartPolicy, terminationGracePeriodSeconds: p.grace, containers: [c('main')], ...(inits.length === 0 ? {} : { initContainers: inits }) };
        await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations }, spec: spec as unknown as Pod['spec'] });
        if (p.node !== undefined) await server.bind({ namespace: 'default', name }, { name: p.node });
        if (p.deleteAfterMs !== undefined) deletions.push([p.deleteAfterMs, name]);
      }
      deletions.sort((a, b) => a[0] - b[0]);
      let elapsed = 0;
      for (const [at, name] of deletions) {
        await clock.advance(at - elapsed);
        elapsed = at;
        await server.delete(Pods, { namespace: 'default', name }).catch(() => undefined);
      }
      await clock.advance(200_000 - elapsed);
      sub.unsubscribe();

      for (const history of seen.values()) {
        let previous: Pod | undefined;
        for (const pod of history) {
          const bound = pod.spec.nodeName;
          if (bound === undefined) {
            expect(pod.status.hostIP).toBeUndefined();
            expect(pod.status.containerStatuses).toBeUndefined();
          } else if (pod.status.hostIP !== undefined) {
            expect(pod.status.hostIP).toBe(ipOf.get(bound));
          }
          if (previous !== undefined) {
            expect(ALLOWED_PHASE_TRANSITIONS[previous.status.phase]).toContain(pod.status.phase);
            const cond = (p: Pod, t: string): string | undefined => p.status.conditions?.find((c) => c.type === t)?.status;
            if (cond(previous, 'Initialized') === 'True') expect(cond(pod, 'Initialized')).not.toBe('False');
            if (cond(previous, 'PodScheduled') === 'True') expect(cond(pod, 'PodScheduled')).toBe('True');
            for (const s of pod.status.containerStatuses ?? []) {
              const before = previous.status.containerStatuses?.find((x) => x.name === s.name);
              if (before !== undefined) expect(s.restartCount).toBeGreaterThanOrEqual(before.restartCount);
            }
          }
          previous = pod;
        }
      }
      // every container a runtime ran belongs to a pod bound to that node
      const boundTo = new Map<string, string | undefined>();
      for (const history of seen.values()) for (const p of history) boundTo.set(p.metadata.uid ?? '', p.spec.nodeName ?? boundTo.get(p.metadata.uid ?? ''));
      for (const k of kubelets) for (const c of k.runtime.containers()) expect(boundTo.get(c.podUid)).toBe(k.nodeName);
      // deleted pods are gone once their grace period is over
      const left = (await server.list(Pods, { namespace: 'default' })).items.map((p) => p.metadata.name);
      for (const [, name] of deletions) expect(left).not.toContain(name);
    },
  );
});

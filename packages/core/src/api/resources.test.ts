import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Pod } from './kinds/pod.js';
import { parseQuantity } from './quantity.js';
import { podLimits, podRequests, type ResourceQuantities } from './resources.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 2000 : 200;

type List = Record<string, string>;
interface C {
  name?: string;
  requests?: List;
  limits?: List;
  sidecar?: boolean;
}

function container(c: C, i: number): Record<string, unknown> {
  return {
    name: c.name ?? `c${i}`,
    image: 'busybox',
    ...(c.requests || c.limits ? { resources: { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) } } : {}),
    ...(c.sidecar ? { restartPolicy: 'Always' } : {}),
  };
}

function pod(containers: C[], initContainers: C[] = [], overhead?: List): Pod {
  return { spec: { containers: containers.map(container), initContainers: initContainers.map(container), ...(overhead ? { overhead } : {}) } } as unknown as Pod;
}

const text = (m: ResourceQuantities): Record<string, string> => Object.fromEntries([...m].map(([k, q]) => [k, q.toString()]));

describe('podRequests (upstream PodRequests)', () => {
  it('counts a 600m app container and a 500m sidecar as 1100m: they run together', () => {
    expect(text(podRequests(pod([{ requests: { cpu: '600m' } }], [{ sidecar: true, requests: { cpu: '500m' } }])))).toEqual({ cpu: '1100m' });
  });

  it('takes the larger of the running sum and an init container running next to the sidecars started before it, then adds overhead', () => {
    // sidecar 100m, then an init container of 2 CPUs (2100m with the sidecar); apps 300m + 200m (600m with the sidecar)
    const p = pod([{ requests: { cpu: '300m' } }, { requests: { cpu: '200m' } }], [{ sidecar: true, requests: { cpu: '100m' } }, { requests: { cpu: '2' } }], { cpu: '10m' });
    expect(podRequests(p).get('cpu')?.toString()).toBe('2110m');
  });

  it('does not charge an init container for the sidecars started after it', () => {
    // init 250m runs alone; the sidecar 200m starts after it: max(100m + 200m, 250m) = 300m
    const p = pod([{ requests: { cpu: '100m' } }], [{ requests: { cpu: '250m' } }, { sidecar: true, requests: { cpu: '200m' } }]);
    expect(podRequests(p).get('cpu')?.toString()).toBe('300m');
  });

  it('compares per resource: cpu may come from the containers and memory from an init container', () => {
    const p = pod([{ requests: { cpu: '300m', memory: '1Gi' } }], [{ requests: { cpu: '200m', memory: '2Gi' } }]);
    expect(text(podRequests(p))).toEqual({ cpu: '300m', memory: '2Gi' });
  });

  it('adds the whole overhead to requests, even for a resource no container requests', () => {
    const p = pod([{ requests: { cpu: '100m' } }], [], { cpu: '10m', memory: '16Mi' });
    expect(text(podRequests(p))).toEqual({ cpu: '110m', memory: '16Mi' });
  });

  it('is exact and keeps resources nobody requests absent', () => {
    const p = pod([{ requests: { cpu: '0.1' } }, { requests: { cpu: '200m', 'example.com/gpu': '1' } }, {}]);
    expect(text(podRequests(p))).toEqual({ cpu: '300m', 'example.com/gpu': '1' });
    expect(podRequests(pod([{}])).size).toBe(0);
  });

  it('counts non-missing defaults for containers without a request, but keeps an explicit zero (upstream NonMissingContainerRequests)', () => {
    const defaults = { cpu: '100m', memory: '200Mi' };
    const p = pod([{}, { requests: { cpu: '0' } }], [{ sidecar: true }]);
    // app 1: 100m + 200Mi; app 2: cpu 0 + 200Mi; sidecar: 100m + 200Mi
    expect(text(podRequests(p, { nonMissingContainerRequests: defaults }))).toEqual({ cpu: '200m', memory: '600Mi' });
    expect(text(podRequests(p))).toEqual({ cpu: '0' });
  });
});

describe('podLimits (upstream PodLimits)', () => {
  it('aggregates limits as requests are aggregated', () => {
    const p = pod([{ limits: { cpu: '1', memory: '256Mi' } }], [{ sidecar: true, limits: { cpu: '500m' } }, { limits: { memory: '1Gi' } }]);
    expect(text(podLimits(p))).toEqual({ cpu: '1500m', memory: '1Gi' });
  });

  it('adds overhead only where the containers set a non-zero limit: an unset limit stays unlimited', () => {
    const p = pod([{ requests: { cpu: '100m' }, limits: { cpu: '200m', 'ephemeral-storage': '0' } }], [], { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '1Gi' });
    expect(text(podLimits(p))).toEqual({ cpu: '210m', 'ephemeral-storage': '0' });
  });
});

/**
 * An independent oracle: the peak of what runs at once over the pod's start-up timeline, as the
 * sidecar KEP describes it. Init containers run in order, each next to the sidecars started
 * before it (a sidecar keeps running once started); then the app containers run with every
 * sidecar. Amounts in millicores.
 */
function peak(apps: number[], inits: { milli: number; sidecar: boolean }[]): number {
  let sidecarsRunning = 0;
  let best = 0;
  for (const i of inits) {
    best = Math.max(best, sidecarsRunning + i.milli);
    if (i.sidecar) sidecarsRunning += i.milli;
  }
  return Math.max(best, sidecarsRunning + apps.reduce((a, b) => a + b, 0));
}

describe('podRequests against the sidecar KEP timeline', () => {
  const milli = fc.integer({ min: 0, max: 4000 });
  test.prop([fc.array(milli, { minLength: 1, maxLength: 4 }), fc.array(fc.record({ milli, sidecar: fc.boolean() }), { maxLength: 5 }), fc.option(milli, { nil: undefined })], { numRuns: runs })(
    'requests the peak of what runs at once, plus the overhead',
    (apps, inits, overhead) => {
      const p = pod(
        apps.map((m) => ({ requests: { cpu: `${m}m` } })),
        inits.map((i) => ({ sidecar: i.sidecar, requests: { cpu: `${i.milli}m` } })),
        overhead === undefined ? undefined : { cpu: `${overhead}m` },
      );
      const want = peak(apps, inits) + (overhead ?? 0);
      expect(podRequests(p).get('cpu')?.equals(parseQuantity(`${want}m`))).toBe(true);
    },
  );
});

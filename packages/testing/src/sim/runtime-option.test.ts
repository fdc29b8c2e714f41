/** SimCluster's `runtime` option reaches the fake nodes' container runtime (image pull times). */
import { describe, expect, it } from 'vitest';
import type { Pod } from '@kubeloop/core';
import { SimCluster } from '../index.js';
import type { SimClusterOptions } from '../index.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx:1.25' }] } };

/** How long after its creation the pod's container was seen running (ms, from the trace). */
async function startDelay(runtime: SimClusterOptions['runtime']): Promise<number> {
  const cluster = await SimCluster.create({ seed: 3, nodes: 1, runtime });
  await cluster.apply(pod);
  await cluster.advance(30_000);
  const changes = cluster.trace().filter((e) => e.object.kind === 'Pod');
  const running = changes.find((e) => (e.object as Pod).status?.containerStatuses?.[0]?.state?.running !== undefined);
  await cluster.stop();
  if (running === undefined) throw new Error('the pod never ran');
  return running.t - changes[0]!.t;
}

describe('SimCluster runtime option', () => {
  it('passes image pull times to every fake node: a fixed pullMs, a bandwidth, or a preloaded image that needs no pull', async () => {
    const normal = await startDelay(undefined); // nginx: 500 ms + 70 MB at 20 MB/s = 4 s
    expect(await startDelay({ images: { 'nginx:1.25': { pullMs: 14_000 } } })).toBe(normal + 10_000);
    expect(await startDelay({ pullTiming: { bytesPerSecond: 10_000_000 } })).toBe(normal + 3_500); // 7.5 s instead of 4 s
    expect(await startDelay({ preloaded: ['nginx:1.25'] })).toBe(normal - 4_000);
  });
});

/**
 * The fake kubelet's pod queue: core's rate-limited workqueue. A failed sync is retried with
 * per-pod exponential backoff capped at upstream's pod worker `backOffPeriod` (10 s), not in a
 * fixed-interval loop, and the backoff is forgotten once a sync succeeds.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, ApiServer, Pods, VirtualClock, createBuiltinRegistry, faults, seededRng, withInterceptors } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { startFakeNode } from './plugin.js';

describe('the kubelet pod queue', () => {
  it('retries a pod whose status cannot be written after 1, 2, 4, 8 s and then every 10 s, and runs it once the API server recovers', async () => {
    const clock = new VirtualClock();
    const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
    let failing = true;
    const attempts: number[] = [];
    const client = withInterceptors(
      server,
      faults((request) => {
        if (!failing || request.verb !== 'updateStatus' || request.resource !== Pods) return undefined;
        attempts.push(clock.now());
        return new ApiError('ServiceUnavailable', 'injected: the API server is overloaded');
      }),
    );
    const errors: unknown[] = [];
    await startFakeNode({ client, clock, rng: seededRng(2), node: { name: 'node-1' }, onError: (e) => errors.push(e) });
    await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } } as unknown as Pod);
    await server.bind({ namespace: 'default', name: 'web' }, { name: 'node-1' });
    await clock.advance(60_000);

    const t0 = attempts[0]!;
    expect(attempts.map((t) => t - t0)).toEqual([0, 1000, 3000, 7000, 15_000, 25_000, 35_000, 45_000, 55_000]);
    expect(errors).toHaveLength(attempts.length);
    expect((await server.get(Pods, { namespace: 'default', name: 'web' })).status.containerStatuses).toBeUndefined(); // nothing written yet

    failing = false;
    await clock.advance(10_000);
    const pod = await server.get(Pods, { namespace: 'default', name: 'web' });
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

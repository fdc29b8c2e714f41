/**
 * The fake kubelet under watch faults: it watches its pods through core's informer, so a watch
 * cut with 410 Gone (`Expired`) is followed by a relist at once, as for every informer
 * (client-go's reflector: `ListAndWatch` relists on `IsExpired`), and pods bound afterwards run.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, Pods, VirtualClock, createBuiltinRegistry, isApiError, seededRng, withInterceptors } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { startFakeNode } from '@kubeloop/runtime-fake';
import { expireWatches } from './watch.js';

function pod(name: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } } as unknown as Pod;
}

describe('the fake kubelet when its pod watch expires', () => {
  it('relists at once after a 410 and runs a pod bound after it, without waiting for a retry', async () => {
    const clock = new VirtualClock();
    const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
    let podWatches = 0;
    // The kubelet's first pod watch is cut with 410 Expired 5 s after it opens; later ones are left alone.
    const client = withInterceptors(server, expireWatches(clock, (request) => (request.resource === Pods && ++podWatches === 1 ? 5000 : undefined)));
    const errors: unknown[] = [];
    await startFakeNode({ client, clock, rng: seededRng(2), node: { name: 'node-1' }, onError: (e) => errors.push(e) });
    await clock.flush();

    await server.create(Pods, pod('before'));
    await server.bind({ namespace: 'default', name: 'before' }, { name: 'node-1' });
    await clock.advance(1000);
    expect((await server.get(Pods, { namespace: 'default', name: 'before' })).status.phase).toBe('Running');

    await clock.advance(4000); // the watch expires now
    expect(errors.some((e) => isApiError(e, 'Expired'))).toBe(true);
    expect(podWatches).toBe(2); // relisted and watching again, at once

    await server.create(Pods, pod('after'));
    await server.bind({ namespace: 'default', name: 'after' }, { name: 'node-1' });
    // busybox is present on the node: the pod starts at once (a 1 s retry would still be waiting).
    await clock.advance(100);
    const after = await server.get(Pods, { namespace: 'default', name: 'after' });
    expect(after.status.phase).toBe('Running');
    expect(after.status.containerStatuses?.[0]?.restartCount).toBe(0);
    expect((await server.get(Pods, { namespace: 'default', name: 'before' })).status.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

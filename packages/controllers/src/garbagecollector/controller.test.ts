/** Which kinds the garbage collector watches (upstream `GetDeletableResources` minus `ignoredResources`). */
import { describe, expect, it } from 'vitest';
import { ApiServer, PodMetricses, VirtualClock, createBuiltinRegistry, createManager, seededRng } from '@kubeloop/core';
import { GarbageCollector } from './controller.js';

describe('GarbageCollector', () => {
  it('watches every kind that can be deleted, listed and watched, but Events and the read-only metrics API', () => {
    const clock = new VirtualClock();
    const registry = createBuiltinRegistry();
    registry.register(PodMetricses);
    const server = new ApiServer({ clock, rng: seededRng(1), registry });
    const manager = createManager({ client: server, clock, rng: seededRng(2), registry });
    new GarbageCollector(manager);
    const watched = new Set(manager.informers.informers().map((i) => i.resource.resource));
    expect(watched.has('pods')).toBe(true);
    expect(watched.has('deployments.apps')).toBe(true);
    // metrics-server serves only get and list: a watch of it would never open, and a cluster
    // whose metrics API is down would look unsettled for as long as it stays down.
    expect(watched.has('pods.metrics.k8s.io')).toBe(false);
    expect(watched.has('events')).toBe(false);
  });
});

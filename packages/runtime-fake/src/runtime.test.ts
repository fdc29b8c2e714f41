/** The fake container runtime's run-time pull delay (`extraPullMs`), by worked examples. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@kubeloop/core';
import { FakeContainerRuntime } from './index.js';
import type { RuntimeFakeError } from './index.js';

describe('FakeContainerRuntime extraPullMs', () => {
  it('adds the extra time to pulls that begin while it is set, and to none after it is cleared', () => {
    const runtime = new FakeContainerRuntime({ rng: seededRng(1) });
    expect(runtime.extraPullMs).toBe(0);
    // nginx: 500 ms + 70 MB / 20 MB/s = 4 000 ms.
    expect(runtime.ensureImage('nginx:1.25', 'IfNotPresent', 0)).toEqual({ kind: 'pulling', readyAt: 4_000, startedAt: 0, newPull: true });
    runtime.extraPullMs = 30_000;
    // A request joining the pull under way waits for its original end.
    expect(runtime.ensureImage('nginx:1.25', 'IfNotPresent', 1_000)).toEqual({ kind: 'pulling', readyAt: 4_000, startedAt: 0, newPull: false });
    // busybox: 500 ms + 2 MB / 20 MB/s = 600 ms, plus 30 s.
    expect(runtime.ensureImage('busybox', 'IfNotPresent', 1_000)).toEqual({ kind: 'pulling', readyAt: 31_600, startedAt: 1_000, newPull: true });
    // Always on a present image: the 500 ms overhead, plus 30 s.
    expect(runtime.ensureImage('nginx:1.25', 'Always', 5_000)).toEqual({ kind: 'pulling', readyAt: 35_500, startedAt: 5_000, newPull: true });
    runtime.extraPullMs = 0;
    expect(runtime.ensureImage('alpine', 'IfNotPresent', 40_000)).toEqual({ kind: 'pulling', readyAt: 40_700, startedAt: 40_000, newPull: true });
  });

  it("adds an image's own extra time to its pulls only, on top of the node-wide one", () => {
    const runtime = new FakeContainerRuntime({ rng: seededRng(1) });
    runtime.setImageExtraPullMs('nginx', 10_000);
    // `nginx` and `docker.io/library/nginx:latest` are one image; nginx:1.25 is another.
    expect(runtime.imageExtraPullMs('docker.io/library/nginx:latest')).toBe(10_000);
    expect(runtime.imageExtraPullMs('nginx:1.25')).toBe(0);
    // nginx:latest: 4 000 ms as nginx:1.25, plus 10 s; busybox unaffected: 600 ms.
    expect(runtime.ensureImage('nginx', 'IfNotPresent', 0)).toEqual({ kind: 'pulling', readyAt: 14_000, startedAt: 0, newPull: true });
    expect(runtime.ensureImage('busybox', 'IfNotPresent', 0)).toEqual({ kind: 'pulling', readyAt: 600, startedAt: 0, newPull: true });
    runtime.extraPullMs = 1_000;
    expect(runtime.ensureImage('nginx', 'Always', 20_000)).toEqual({ kind: 'pulling', readyAt: 31_500, startedAt: 20_000, newPull: true });
    runtime.setImageExtraPullMs('nginx', 0);
    expect(runtime.imageExtraPullMs('nginx')).toBe(0);
    expect(runtime.ensureImage('nginx', 'Always', 40_000)).toEqual({ kind: 'pulling', readyAt: 41_500, startedAt: 40_000, newPull: true });
  });

  it('refuses a negative or non-finite extra time with invalid-node', () => {
    const runtime = new FakeContainerRuntime({ rng: seededRng(1) });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => (runtime.extraPullMs = bad)).toThrow(expect.objectContaining({ code: 'invalid-node' }) as RuntimeFakeError);
    }
    expect(runtime.extraPullMs).toBe(0);
    expect(() => runtime.setImageExtraPullMs('nginx', -5)).toThrow(/extra pull time of nginx must be a finite number of ms >= 0, got -5/);
    expect(runtime.imageExtraPullMs('nginx')).toBe(0);
  });
});

describe('FakeContainerRuntime ids', () => {
  it('gives each container a containerd id of 64 hex digits, and each image one sha256 digest all its containers report', () => {
    const runtime = new FakeContainerRuntime({ rng: seededRng(7) });
    runtime.ensureImage('nginx:1.25', 'IfNotPresent', 0);
    const a = runtime.run('pod-a', 'app', 'nginx:1.25', {}, undefined, 5_000);
    const b = runtime.run('pod-b', 'app', 'docker.io/library/nginx:1.25', {}, undefined, 5_000);
    for (const c of [a, b]) {
      expect(c.id).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      expect(c.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    }
    expect(a.id).not.toBe(b.id);
    expect(b.imageID).toBe(a.imageID);
    // The digits are spread: no 8-digit word repeats across two ids and a digest.
    const words = [a.id, b.id, a.imageID].flatMap((s) => s.slice(-64).match(/.{8}/g)!);
    expect(new Set(words).size).toBe(words.length);
  });
});

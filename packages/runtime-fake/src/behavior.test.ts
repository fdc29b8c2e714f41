import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Pod } from '@kubeloop/core';
import { BehaviorRegistry, memoryUsage, parseBehavior, plannedExit } from './behavior.js';
import { formatDuration } from './duration.js';
import { RuntimeFakeError } from './errors.js';
import { imageRepository, isImageReference, normalizeImage, pullDurationMs } from './images.js';

const runs = process.env.KUBELOOP_DEEP === '1' ? 2000 : 100;
const none = (): undefined => undefined;

describe('behavior annotations', () => {
  it.each([
    ['crash-after=10s', { exitAfterMs: 10_000, exitCode: 1 }],
    ['crash-after=10s,exit-code=2', { exitAfterMs: 10_000, exitCode: 2 }],
    ['complete-after=1m30s', { exitAfterMs: 90_000, exitCode: 0 }],
    ['not-ready-for=30s, liveness-fail-after=2m', { notReadyForMs: 30_000, livenessFailAfterMs: 120_000 }],
    ['cpu=250m,memory=64Mi,memory-growth=1Mi', { cpuMillicores: 250, memoryBytes: 64 * 2 ** 20, memoryGrowthBytesPerSecond: 2 ** 20 }],
    ['stop-after=never,stop-exit-code=143', { stopAfterMs: Number.POSITIVE_INFINITY, stopExitCode: 143 }],
    ['startup-time=500ms', { startupMs: 500 }],
  ])('parses %s', (text, expected) => {
    expect(parseBehavior(text, none)).toEqual(expected);
  });

  it.each([
    ['crash-after=soon', 'invalid behavior item "crash-after=soon": "soon" is not a duration'],
    ['exit-code=256', 'invalid behavior item "exit-code=256": an exit code is an integer in 0..255'],
    ['memory=lots', 'invalid behavior item "memory=lots": "lots" is not a non-negative quantity'],
    ['fly=1', 'invalid behavior item "fly=1": unknown key "fly"'],
    ['nope', 'invalid behavior item "nope": no behavior of that name is registered'],
  ])('rejects %s naming the item', (text, message) => {
    expect(() => parseBehavior(text, none)).toThrow(new RuntimeFakeError('invalid-behavior', message));
  });

  it('layers image, pod and container behaviors, and resolves named presets', () => {
    const registry = new BehaviorRegistry().image('example.com/app', { cpuMillicores: 100, exitAfterMs: 1000 }).define('leaky', { memoryGrowthBytesPerSecond: 10 });
    const pod = {
      metadata: { name: 'p', annotations: { 'kubeloop.dev/behavior': 'leaky,cpu=200m', 'kubeloop.dev/behavior.b': 'complete-after=5s' } },
    } as unknown as Pod;
    expect(registry.resolve(pod, { name: 'a', image: 'example.com/app:2' } as never)).toEqual({ cpuMillicores: 200, exitAfterMs: 1000, memoryGrowthBytesPerSecond: 10 });
    expect(registry.resolve(pod, { name: 'b', image: 'example.com/app:2' } as never)).toMatchObject({ exitAfterMs: 5000, exitCode: 0 });
    expect(registry.resolve({ metadata: {} } as unknown as Pod, { name: 'c', image: 'nginx' } as never)).toEqual({});
    expect(registry.named('crashloop')).toEqual({ exitAfterMs: 5000, exitCode: 1 });
  });
});

describe('planned exits and OOM kills', () => {
  it('OOM-kills 100 MiB + 10 MiB/s under a 128 MiB limit 1 ms after it reaches the limit at 2.8 s', () => {
    const Mi = 2 ** 20;
    expect(plannedExit({ memoryBytes: 100 * Mi, memoryGrowthBytesPerSecond: 10 * Mi }, 128 * Mi)).toEqual({ afterMs: 2801, exitCode: 137, reason: 'OOMKilled' });
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 24 }), fc.integer({ min: 1, max: 2 ** 30 })], { numRuns: runs })(
    'a leak is killed at the first millisecond its usage passes the limit',
    (memoryBytes, memoryGrowthBytesPerSecond, limit) => {
      const b = { memoryBytes, memoryGrowthBytesPerSecond };
      const exit = plannedExit(b, limit)!;
      expect(exit.reason).toBe('OOMKilled');
      expect(memoryUsage(b, exit.afterMs)).toBeGreaterThan(limit);
      if (exit.afterMs > 0) expect(memoryUsage(b, exit.afterMs - 1)).toBeLessThanOrEqual(limit);
    },
  );

  it('exits on its own with Completed or Error, and never without a planned exit', () => {
    expect(plannedExit({ exitAfterMs: 10 }, undefined)).toEqual({ afterMs: 10, exitCode: 0, reason: 'Completed' });
    expect(plannedExit({ exitAfterMs: 10, exitCode: 1 }, 100)).toEqual({ afterMs: 10, exitCode: 1, reason: 'Error' });
    expect(plannedExit({ memoryBytes: 10 }, 100)).toBeUndefined();
  });
});

describe('durations and images', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
  ])('reads the duration %s of a behavior item with core\'s Go-duration parser', (text, ms) => expect(parseBehavior(`complete-after=${text}`, none)).toMatchObject({ exitAfterMs: ms }));

  it.each(['', '10', '-1s', '1d', 's'])('rejects the duration %j of a behavior item', (text) =>
    expect(() => parseBehavior(`complete-after=${text}`, none)).toThrow(new RuntimeFakeError('invalid-behavior', `invalid behavior item "complete-after=${text}": "${text}" is not a duration`)),
  );

  it('formats durations as the kubelet prints them', () => {
    expect([250, 4000, 2750, 90_000, 300_000].map(formatDuration)).toEqual(['250ms', '4s', '2.75s', '1m30s', '5m0s']);
  });

  it('normalizes image references as a container runtime does', () => {
    expect(normalizeImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(normalizeImage('traefik/whoami:v1.10')).toBe('docker.io/traefik/whoami:v1.10');
    expect(normalizeImage('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(normalizeImage('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause:3.10');
    expect(imageRepository('nginx@sha256:abc')).toBe('docker.io/library/nginx');
  });

  it.each<[string, boolean]>([
    ['nginx', true],
    ['nginx:1.14.2', true],
    ['registry.k8s.io/e2e-test-images/agnhost:2.40', true],
    ['localhost:5000/team/app:v1', true],
    [`busybox@sha256:${'a'.repeat(64)}`, true],
    ['<your-private-image>', false],
    ['Nginx', false],
    ['nginx:', false],
    ['', false],
  ])('takes %j for an image reference: %s', (image, valid) => {
    expect(isImageReference(image)).toBe(valid);
  });

  it('normalizes the same way however many images it saw before (its answers are kept for the last few thousand)', () => {
    for (let i = 0; i < 10_000; i++) expect(normalizeImage(`team-${i}/app`)).toBe(`docker.io/team-${i}/app:latest`);
    expect(normalizeImage('nginx@sha256:abc')).toBe('docker.io/library/nginx@sha256:abc');
    expect(normalizeImage('team-1/app')).toBe('docker.io/team-1/app:latest');
  });

  it('times pulls from the nominal size, a configured size, or a fixed time', () => {
    expect(pullDurationMs('nginx:1.25', undefined, {})).toBe(4000);
    expect(pullDurationMs('example.com/x', undefined, {})).toBe(3000);
    expect(pullDurationMs('example.com/x', { sizeBytes: 100_000_000 }, { bytesPerSecond: 50_000_000, overheadMs: 0 })).toBe(2000);
    expect(pullDurationMs('busybox', { pullMs: 7 }, {})).toBe(7);
  });
});

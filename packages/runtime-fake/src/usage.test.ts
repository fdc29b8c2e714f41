/**
 * Usage shapes on a running container: the kubelet reports a `kubeloop.dev/cpu-usage` ramp
 * as it goes, a memory shape that passes the limit is an OOM kill at that moment, and the API
 * server refuses a malformed value with the annotation's field path.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, Pods, VirtualClock, createBuiltinRegistry, isApiError, parseTime, seededRng } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import { startFakeNode } from './plugin.js';
import { containerUsage, usageAnnotationsAdmission, validateUsageAnnotations } from './usage.js';

const Mi = 2 ** 20;

async function sim() {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
  server.addAdmissionHook(usageAnnotationsAdmission());
  const kubelet = await startFakeNode({ client: server, clock, rng: seededRng(2), node: { index: 0, name: 'node-1' }, behaviors: new BehaviorRegistry().image('busybox', {}), runtime: { preloaded: ['busybox:1.36'] } });
  const run = async (name: string, annotations: Record<string, string>, resources: Record<string, unknown> = {}): Promise<void> => {
    await server.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36', resources }] } } as unknown as Pod);
    await server.bind({ namespace: 'default', name }, { name: 'node-1' });
    await clock.flush();
  };
  return { clock, server, kubelet, run };
}

describe('usage shapes on a running container', () => {
  it('reports a CPU ramp as it rises, measured from the container start, throttled at the limit', async () => {
    const s = await sim();
    await s.run('ramp', { 'kubeloop.dev/cpu-usage': 'ramp(from=100m, to=900m, over=100s)' }, { limits: { cpu: '700m' } });
    const started = parseTime((await s.server.get(Pods, { namespace: 'default', name: 'ramp' })).status.containerStatuses![0]!.state!.running!.startedAt!);
    const cpu = (): number => s.kubelet.usage()[0]!.containers[0]!.cpuMillicores;
    await s.clock.advance(started + 25_000 - s.clock.now());
    expect(cpu()).toBeCloseTo(300, 6);
    await s.clock.advance(50_000);
    expect(cpu()).toBeCloseTo(700, 6); // 700m of the ramp at 75 s; the limit from there on
    await s.clock.advance(50_000);
    expect(cpu()).toBe(700);
    s.kubelet.stop();
  });

  it('OOM-kills a container when its memory shape passes the limit, at that moment', async () => {
    const s = await sim();
    // 100 Mi rising to 200 Mi over 100 s passes 150 Mi 50.001 s after the start
    await s.run('grow', { 'kubeloop.dev/memory-usage': 'ramp(from=100Mi, to=200Mi, over=100s)' }, { limits: { memory: '150Mi' } });
    const started = parseTime((await s.server.get(Pods, { namespace: 'default', name: 'grow' })).status.containerStatuses![0]!.state!.running!.startedAt!);
    await s.clock.advance(started + 50_000 - s.clock.now());
    expect((await s.server.get(Pods, { namespace: 'default', name: 'grow' })).status.phase).toBe('Running');
    expect(s.kubelet.usage()[0]!.containers[0]!.memoryBytes).toBe(150 * Mi);
    await s.clock.advance(10_000);
    const pod = await s.server.get(Pods, { namespace: 'default', name: 'grow' });
    expect(pod.status.phase).toBe('Failed');
    const terminated = pod.status.containerStatuses?.[0]?.state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(parseTime(terminated!.finishedAt!) - started).toBe(50_000); // RFC 3339 seconds: 50.001 s
    s.kubelet.stop();
  });

  it('OOM-kills a container whose constant memory annotation is above its limit at once', async () => {
    const s = await sim();
    await s.run('big', { 'kubeloop.dev/memory-usage': '200Mi' }, { limits: { memory: '128Mi' } });
    await s.clock.advance(1_000);
    expect((await s.server.get(Pods, { namespace: 'default', name: 'big' })).status.containerStatuses?.[0]?.state?.terminated?.reason).toBe('OOMKilled');
    s.kubelet.stop();
  });
});

describe('the usage annotations at admission', () => {
  it('refuses a malformed value with the annotation field path and the reason', async () => {
    const s = await sim();
    const error = await s.run('bad', { 'kubeloop.dev/cpu-usage.app': 'steps(1m=100m)' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isApiError(error, 'Invalid')).toBe(true);
    expect((error as Error).message).toBe('Pod "bad" is invalid: metadata.annotations[kubeloop.dev/cpu-usage.app]: Invalid value: "steps(1m=100m)": the first point of steps must be at 0s');
    s.kubelet.stop();
  });

  it('refuses an update that breaks a usage annotation and accepts the well-formed forms', async () => {
    const s = await sim();
    await s.run('ok', { 'kubeloop.dev/cpu-usage': '300m', 'kubeloop.dev/memory-usage': 'curve(0s=10Mi, 1m=20Mi)', 'kubeloop.dev/other': 'x' });
    const pod = await s.server.get(Pods, { namespace: 'default', name: 'ok' });
    await expect(s.server.update(Pods, { ...pod, metadata: { ...pod.metadata, annotations: { 'kubeloop.dev/memory-usage': 'ramp(from=1Mi)' } } })).rejects.toThrow(
      'metadata.annotations[kubeloop.dev/memory-usage]: Invalid value: "ramp(from=1Mi)": ramp needs to=',
    );
    s.kubelet.stop();
  });

  it('names every malformed key and leaves other annotations alone', () => {
    expect(validateUsageAnnotations({ 'kubeloop.dev/cpu-usage': 'x', 'kubeloop.dev/memory-usage.db': '-1', 'kubeloop.dev/cpu-usagex': 'nonsense', other: 'ramp(' })).toEqual([
      { type: 'FieldValueInvalid', field: 'metadata.annotations[kubeloop.dev/cpu-usage]', detail: '"x" is not a non-negative quantity', value: 'x' },
      { type: 'FieldValueInvalid', field: 'metadata.annotations[kubeloop.dev/memory-usage.db]', detail: '"-1" is not a non-negative quantity', value: '-1' },
    ]);
  });

  it('counts a malformed annotation as absent when measuring (admission refuses it before)', () => {
    const pod = { metadata: { annotations: { 'kubeloop.dev/cpu-usage': 'ramp(' } }, spec: { containers: [] } } as unknown as Pod;
    expect(containerUsage(pod, { name: 'app', image: 'busybox' }, { cpuMillicores: 40 }, 0, undefined).cpuMillicores).toBe(40);
  });
});

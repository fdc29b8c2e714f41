/**
 * Who decides what a container does: image entry, command line, annotations — resolved by the
 * BehaviorRegistry, run by the runtime (pure, no kubelet).
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@kubeloop/core';
import type { Container, Pod } from '@kubeloop/core';
import { BehaviorRegistry, FakeContainerRuntime } from '../index.js';

const pod = (annotations: Record<string, string> = {}): Pod => ({ metadata: { name: 'p', namespace: 'default', uid: 'u', annotations }, spec: { containers: [] }, status: {} }) as unknown as Pod;
const c = (x: Partial<Container>): Container => ({ name: 'c', image: 'busybox', ...x }) as Container;

/** Starts the container at 0 and reports its planned exit and its reaction to SIGTERM. */
function started(registry: BehaviorRegistry, p: Pod, container: Container): { exit: { at: number; exitCode: number } | undefined; stopAfterMs: number | undefined } {
  const runtime = new FakeContainerRuntime({ rng: seededRng(1) });
  const rc = runtime.run('u', container.name, container.image ?? '', registry.resolve(p, container), undefined, 0);
  return { exit: rc.exit === undefined ? undefined : { at: rc.exit.at, exitCode: rc.exit.exitCode }, stopAfterMs: rc.behavior.stopAfterMs };
}

describe('the precedence of image entries, command lines and annotations', () => {
  it('lets the command line replace the image entry’s exit and SIGTERM reaction, keeping its other fields', () => {
    const registry = new BehaviorRegistry().image('example.com/batch', { exitAfterMs: 30_000, exitCode: 0, cpuMillicores: 250, stopAfterMs: 1000 });
    const container = c({ image: 'example.com/batch:1', command: ['sh', '-c', 'sleep 5; exit 3'] });
    expect(started(registry, pod(), container)).toEqual({ exit: { at: 5000, exitCode: 3 }, stopAfterMs: Number.POSITIVE_INFINITY });
    expect(registry.resolve(pod(), container).cpuMillicores).toBe(250);
    // without a command, the image entry decides
    expect(started(registry, pod(), c({ image: 'example.com/batch:1' }))).toEqual({ exit: { at: 30_000, exitCode: 0 }, stopAfterMs: 1000 });
  });

  it('lets an annotation win over the command line, field by field', () => {
    const registry = new BehaviorRegistry();
    const container = c({ command: ['sh', '-c', 'sleep 5; exit 3'] });
    expect(started(registry, pod({ 'kubeloop.dev/behavior': 'crash-after=1s' }), container)).toEqual({ exit: { at: 1000, exitCode: 1 }, stopAfterMs: Number.POSITIVE_INFINITY });
    expect(started(registry, pod({ 'kubeloop.dev/behavior.c': 'stop-after=2s' }), container)).toEqual({ exit: { at: 5000, exitCode: 3 }, stopAfterMs: 2000 });
  });

  it('makes a bare shell image exit at once unless the image is registered', () => {
    expect(started(new BehaviorRegistry(), pod(), c({}))).toEqual({ exit: { at: 0, exitCode: 0 }, stopAfterMs: Number.POSITIVE_INFINITY });
    expect(started(new BehaviorRegistry().image('busybox', {}), pod(), c({}))).toEqual({ exit: undefined, stopAfterMs: undefined });
    // a registered image with a command of its own still runs the command
    expect(started(new BehaviorRegistry().image('busybox', {}), pod(), c({ command: ['false'] }))).toEqual({ exit: { at: 0, exitCode: 1 }, stopAfterMs: Number.POSITIVE_INFINITY });
  });

  it('leaves unknown commands and server images to the image behavior', () => {
    const registry = new BehaviorRegistry();
    expect(registry.resolve(pod(), c({ image: 'nginx:1.27' }))).toEqual({});
    expect(registry.resolve(pod(), c({ image: 'python:3', command: ['python', 'app.py'] }))).toEqual({});
  });

  it('can be switched off', () => {
    expect(new BehaviorRegistry().interpretCommands(false).resolve(pod(), c({ command: ['sh', '-c', 'exit 1'] }))).toEqual({});
  });

  it('hands the network to the scripts', () => {
    const registry = new BehaviorRegistry().setNetwork({ http: () => ({ kind: 'response', status: 200, body: 'ok' }), resolve: () => ['10.0.0.1'] });
    expect(started(registry, pod(), c({ command: ['sh', '-c', 'wget -q -O- http://svc/ && nslookup svc'] })).exit).toEqual({ at: 0, exitCode: 0 });
    expect(started(new BehaviorRegistry(), pod(), c({ command: ['sh', '-c', 'wget -q -O- http://svc/ && nslookup svc'] })).exit).toEqual({ at: 0, exitCode: 1 });
  });
});

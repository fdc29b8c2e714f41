/**
 * The Priority admission plugin through the API server, as kubernetes.io's "Pod Priority and
 * Preemption" page uses it: a PriorityClass, a pod naming it, the global default, and the
 * system classes. What a user checks: the pod's `spec.priority` and `spec.preemptionPolicy` as
 * stored, and the 403 or 422 text kubectl prints.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, PluginHost, Pods, PriorityClasses, SYSTEM_PRIORITY_CLASSES, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { Pod, PriorityClass } from '@kubeloop/core';
import { priorityPlugin } from './index.js';

async function newServer(): Promise<ApiServer> {
  const registry = createBuiltinRegistry();
  const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(7), registry });
  new PluginHost({ registry, admission: server }).use(priorityPlugin());
  for (const pc of SYSTEM_PRIORITY_CLASSES) await server.create(PriorityClasses, pc);
  return server;
}

const priorityClass = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra }) as PriorityClass;

const pod = (name: string, spec: Partial<Pod['spec']> = {}): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'nginx', image: 'nginx' }], ...spec } }) as Pod;

describe('Priority admission: pods', () => {
  it('gives a pod its class\'s value and preemption policy', async () => {
    const server = await newServer();
    await server.create(PriorityClasses, priorityClass('high-priority', 1_000_000, { description: 'This priority class should be used for XYZ service pods only.' }));
    await server.create(PriorityClasses, priorityClass('high-priority-nonpreempting', 1_000_000, { preemptionPolicy: 'Never' }));
    expect((await server.create(Pods, pod('nginx', { priorityClassName: 'high-priority' }))).spec).toMatchObject({ priority: 1_000_000, preemptionPolicy: 'PreemptLowerPriority' });
    expect((await server.create(Pods, pod('batch', { priorityClassName: 'high-priority-nonpreempting' }))).spec).toMatchObject({ priority: 1_000_000, preemptionPolicy: 'Never' });
    expect((await server.create(Pods, pod('dns', { priorityClassName: 'system-cluster-critical' }))).spec.priority).toBe(2_000_000_000);
  });

  it('gives a pod with no class priority 0 and PreemptLowerPriority, or the global default class and its name', async () => {
    const server = await newServer();
    const plain = await server.create(Pods, pod('plain'));
    expect(plain.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(plain.spec.priorityClassName).toBeUndefined();
    await server.create(PriorityClasses, priorityClass('default-priority', 1000, { globalDefault: true }));
    expect((await server.create(Pods, pod('defaulted'))).spec).toMatchObject({ priorityClassName: 'default-priority', priority: 1000 });
    // a pod that existed before the default keeps its priority
    expect((await server.get(Pods, { namespace: 'default', name: 'plain' })).spec.priority).toBe(0);
  });

  it.each<[string, Partial<Pod['spec']>, string]>([
    ['an unknown class', { priorityClassName: 'nope' }, 'pods "p" is forbidden: no PriorityClass with name nope was found'],
    ['a priority of its own', { priority: 5 }, 'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name'],
    [
      'a preemption policy other than the class\'s',
      { preemptionPolicy: 'Never' },
      'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
    ],
  ])('refuses a pod with %s, and stores nothing', async (_name, spec, message) => {
    const server = await newServer();
    await expect(server.create(Pods, pod('p', spec))).rejects.toMatchObject({ reason: 'Forbidden', message });
    await expect(server.get(Pods, { namespace: 'default', name: 'p' })).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('accepts a priority equal to the class\'s, and keeps the stored priority on an update that leaves it out', async () => {
    const server = await newServer();
    await server.create(PriorityClasses, priorityClass('high', 100));
    const created = await server.create(Pods, pod('p', { priorityClassName: 'high', priority: 100 }));
    const { priority: _p, preemptionPolicy: _pp, ...spec } = created.spec;
    const updated = await server.update(Pods, { ...created, metadata: { ...created.metadata, labels: { a: 'b' } }, spec: spec as Pod['spec'] });
    expect(updated.spec).toMatchObject({ priority: 100, preemptionPolicy: 'PreemptLowerPriority' });
  });
});

describe('PriorityClasses', () => {
  it('keeps one global default: a second one is refused, the first may be updated', async () => {
    const server = await newServer();
    const first = await server.create(PriorityClasses, priorityClass('low', 10, { globalDefault: true }));
    await expect(server.create(PriorityClasses, priorityClass('other', 20, { globalDefault: true }))).rejects.toMatchObject({
      reason: 'Forbidden',
      message: 'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass low is already marked as default. Only one default can exist',
    });
    await expect(server.update(PriorityClasses, { ...first, description: 'the default' })).resolves.toBeDefined();
  });

  it.each<[string, PriorityClass, string]>([
    ['a user class above 1000000000', priorityClass('huge', 1_000_000_001), 'value: Forbidden: maximum allowed value of a user defined priority is 1000000000'],
    [
      'a system- name that is not a system class',
      priorityClass('system-mine', 10),
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ],
  ])('rejects %s', async (_name, pc, detail) => {
    const server = await newServer();
    await expect(server.create(PriorityClasses, pc)).rejects.toMatchObject({ reason: 'Invalid' });
    await expect(server.create(PriorityClasses, pc)).rejects.toThrow(detail);
  });

  it('defaults preemptionPolicy, and keeps value and preemptionPolicy immutable', async () => {
    const server = await newServer();
    const created = await server.create(PriorityClasses, priorityClass('mid', 50));
    expect(created.preemptionPolicy).toBe('PreemptLowerPriority');
    await expect(server.update(PriorityClasses, { ...created, value: 60 })).rejects.toThrow('value: Forbidden: may not be changed in an update.');
    await expect(server.update(PriorityClasses, { ...created, preemptionPolicy: 'Never' })).rejects.toThrow('preemptionPolicy: Invalid value: "Never": field is immutable');
  });
});

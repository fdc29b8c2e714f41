/**
 * The greeting controller end to end: an API server, a manager and the plugin, on a virtual
 * clock. Everything goes through the public API of `@kubeloop/core`.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  ApiServer,
  ConfigMaps,
  Events,
  PluginHost,
  VirtualClock,
  createBuiltinRegistry,
  createManager,
  isApiError,
  seededRng,
  type ConfigMap,
  type Manager,
} from '@kubeloop/core';
import { greetingPlugin } from './controller.js';
import { GREETING_FINALIZER } from './decide.js';
import { Greetings, type Greeting } from './greeting.js';

interface Cluster {
  server: ApiServer;
  clock: VirtualClock;
  host: PluginHost;
  manager: Manager;
}

async function startCluster(seed = 1): Promise<Cluster> {
  const clock = new VirtualClock();
  const rng = seededRng(seed);
  const registry = createBuiltinRegistry();
  const server = new ApiServer({ clock, rng: rng.fork(), registry });
  const host = new PluginHost({ registry, admission: server }).use(greetingPlugin);
  const manager = await startManager(host, server, clock, seed);
  return { server, clock, host, manager };
}

async function startManager(host: PluginHost, server: ApiServer, clock: VirtualClock, seed: number): Promise<Manager> {
  const manager = createManager({ client: server, clock, rng: seededRng(seed + 100), registry: server.registry });
  host.attach(manager);
  await manager.start();
  return manager;
}

/** Lets queued reconciles run: a few virtual seconds is plenty for this controller. */
async function settle(clock: VirtualClock): Promise<void> {
  await clock.advance(5_000);
}

const greeting = (name: string, message: string) => ({
  apiVersion: 'example.kubeloop.dev/v1' as const,
  kind: 'Greeting' as const,
  metadata: { name, namespace: 'default' },
  spec: { message },
});

const key = (name: string) => ({ namespace: 'default', name });

async function configMap(server: ApiServer, name: string): Promise<ConfigMap | undefined> {
  try {
    return await server.get(ConfigMaps, key(`${name}-greeting`));
  } catch (e) {
    if (isApiError(e, 'NotFound')) return undefined;
    throw e;
  }
}

describe('the greeting controller', () => {
  it('publishes a Greeting as a ConfigMap it owns, and reports Ready with the generation it saw', async () => {
    const { server, clock, manager } = await startCluster();
    await server.create(Greetings, greeting('hello', 'Hello, world'));
    await settle(clock);
    const g = await server.get(Greetings, key('hello'));
    const cm = await configMap(server, 'hello');
    expect(cm?.data).toEqual({ message: 'Hello, world', language: 'en' });
    expect(cm?.metadata.ownerReferences).toEqual([
      { apiVersion: 'example.kubeloop.dev/v1', kind: 'Greeting', name: 'hello', uid: g.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(g.metadata.finalizers).toEqual([GREETING_FINALIZER]);
    expect(g.status?.observedGeneration).toBe(g.metadata.generation);
    expect(g.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'ConfigMapReady' });
    const events = (await server.list(Events, { namespace: 'default' })).items;
    expect(events.map((e) => e.reason)).toContain('Created');
    await manager.stop();
  });

  it('follows a changed message and moves observedGeneration with it', async () => {
    const { server, clock, manager } = await startCluster();
    await server.create(Greetings, greeting('hello', 'Hello'));
    await settle(clock);
    const g = await server.get(Greetings, key('hello'));
    await server.update(Greetings, { ...g, spec: { ...g.spec, message: 'Bonjour', language: 'fr' } });
    await settle(clock);
    const after = await server.get(Greetings, key('hello'));
    expect((await configMap(server, 'hello'))?.data).toEqual({ message: 'Bonjour', language: 'fr' });
    expect(after.metadata.generation).toBe(2);
    expect(after.status?.observedGeneration).toBe(2);
    await manager.stop();
  });

  it('repairs its ConfigMap when someone edits or deletes it', async () => {
    const { server, clock, manager } = await startCluster();
    await server.create(Greetings, greeting('hello', 'Hello'));
    await settle(clock);
    const cm = (await configMap(server, 'hello'))!;
    await server.update(ConfigMaps, { ...cm, data: { message: 'tampered', language: 'en' } });
    await settle(clock);
    expect((await configMap(server, 'hello'))?.data?.['message']).toBe('Hello');
    await server.delete(ConfigMaps, key('hello-greeting'));
    await settle(clock);
    expect((await configMap(server, 'hello'))?.data?.['message']).toBe('Hello');
    await manager.stop();
  });

  it('makes deletion wait for its cleanup, then lets the Greeting go', async () => {
    const { server, clock, manager } = await startCluster();
    await server.create(Greetings, greeting('hello', 'Hello'));
    await settle(clock);
    const marked = await server.delete(Greetings, key('hello'));
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await settle(clock);
    expect(await configMap(server, 'hello')).toBeUndefined();
    const gone = await server.get(Greetings, key('hello')).catch((e: unknown) => e);
    expect(isApiError(gone, 'NotFound')).toBe(true);
    await manager.stop();
  });

  it('will not take over a ConfigMap that belongs to someone else', async () => {
    const { server, clock, manager } = await startCluster();
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello-greeting', namespace: 'default' }, data: { mine: 'yes' } });
    await server.create(Greetings, greeting('hello', 'Hello'));
    await settle(clock);
    const g = await server.get(Greetings, key('hello'));
    expect(g.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ConfigMapConflict' });
    expect((await configMap(server, 'hello'))?.data).toEqual({ mine: 'yes' });
    await manager.stop();
  });
});

/** A user action on the running cluster. */
type Action =
  | { kind: 'create'; name: string; message: string }
  | { kind: 'update'; name: string; message: string }
  | { kind: 'deleteGreeting'; name: string }
  | { kind: 'deleteConfigMap'; name: string }
  | { kind: 'tamper'; name: string }
  | { kind: 'restartController' }
  | { kind: 'advance'; ms: number };

const names = fc.constantFrom('a', 'b', 'c');
const messages = fc.constantFrom('hi', 'hello', 'salut');
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), name: names, message: messages }),
  fc.record({ kind: fc.constant('update' as const), name: names, message: messages }),
  fc.record({ kind: fc.constant('deleteGreeting' as const), name: names }),
  fc.record({ kind: fc.constant('deleteConfigMap' as const), name: names }),
  fc.record({ kind: fc.constant('tamper' as const), name: names }),
  fc.constant({ kind: 'restartController' as const }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
);

async function perform(c: Cluster, a: Action, seed: number): Promise<void> {
  const ignore = (e: unknown) => {
    if (!isApiError(e, 'NotFound', 'AlreadyExists', 'Conflict')) throw e;
  };
  switch (a.kind) {
    case 'create':
      await c.server.create(Greetings, greeting(a.name, a.message)).catch(ignore);
      return;
    case 'update': {
      const g = await c.server.get(Greetings, key(a.name)).catch(() => undefined);
      if (g && !g.metadata.deletionTimestamp) await c.server.update(Greetings, { ...g, spec: { ...g.spec, message: a.message } }).catch(ignore);
      return;
    }
    case 'deleteGreeting':
      await c.server.delete(Greetings, key(a.name)).catch(ignore);
      return;
    case 'deleteConfigMap':
      await c.server.delete(ConfigMaps, key(`${a.name}-greeting`)).catch(ignore);
      return;
    case 'tamper': {
      const cm = await configMap(c.server, a.name);
      if (cm) await c.server.update(ConfigMaps, { ...cm, data: { message: 'tampered' } }).catch(ignore);
      return;
    }
    case 'restartController':
      // A crash: the old manager stops wherever it is; a fresh one starts from an empty cache.
      await c.manager.stop();
      c.manager = await startManager(c.host, c.server, c.clock, seed);
      return;
    case 'advance':
      await c.clock.advance(a.ms);
      return;
  }
}

describe('the greeting controller is level-triggered', () => {
  test.prop([fc.array(action, { maxLength: 25 }), fc.integer({ min: 1, max: 1000 })], { numRuns: 40 })(
    'after any actions and controller restarts, every live Greeting has exactly its message in an owned ConfigMap and an up-to-date status, and deleted ones leave nothing',
    async (actions, seed) => {
      const c = await startCluster(seed);
      for (const a of actions) await perform(c, a, seed);
      await settle(c.clock);
      const greetings: Greeting[] = [...(await c.server.list(Greetings)).items];
      const maps = (await c.server.list(ConfigMaps, { labelSelector: 'app.kubernetes.io/managed-by=greeting-controller' })).items;
      for (const g of greetings) {
        expect(g.metadata.deletionTimestamp, `${g.metadata.name} stuck in deletion`).toBeUndefined();
        const cm = maps.find((m) => m.metadata.name === `${g.metadata.name}-greeting`);
        expect(cm?.data?.['message'], `${g.metadata.name}'s ConfigMap`).toBe(g.spec.message);
        expect(cm?.metadata.ownerReferences?.[0]?.uid).toBe(g.metadata.uid);
        expect(g.status?.observedGeneration).toBe(g.metadata.generation);
      }
      expect(maps.length).toBe(greetings.length);
      await c.manager.stop();
    },
  );
});

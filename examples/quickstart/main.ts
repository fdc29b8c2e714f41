/**
 * The kubeloop quickstart: an API server, a manager and the Greeting controller (a custom
 * resource and its operator, installed as a plugin) on a virtual clock. A user's actions are
 * applied one by one and every change the controller makes is printed as it happens, with
 * its virtual time. Same seed, same output.
 *
 * Run: `npx -y pnpm@10.34.8 run example:greeting` (or `pnpm run example:greeting`).
 */
import {
  ApiServer,
  ConfigMaps,
  Events,
  PluginHost,
  VirtualClock,
  createBuiltinRegistry,
  createManager,
  seededRng,
  type KubeObject,
  type ResourceDefinition,
  type WatchEvent,
} from '@kubeloop/core';
import { greetingPlugin } from '../greeting/controller.js';
import { Greetings, type Greeting } from '../greeting/greeting.js';

const seed = Number(process.env['KUBELOOP_SEED'] ?? 1);
const clock = new VirtualClock();
const start = clock.now();
const registry = createBuiltinRegistry();
const server = new ApiServer({ clock, rng: seededRng(seed), registry });
const host = new PluginHost({ registry, admission: server }).use(greetingPlugin);
const manager = createManager({ client: server, clock, rng: seededRng(seed + 1), registry, name: 'quickstart' });
host.attach(manager);

const t = () => `[t=${((clock.now() - start) / 1000).toFixed(3).padStart(7)}s]`;
const say = (line: string) => console.log(`${t()} ${line}`);

/** Prints the changes a watch sees, one line each, the way `kubectl get -w` would. */
function narrate<T extends KubeObject>(resource: ResourceDefinition<T>, describe: (o: T) => string): void {
  server.watch(resource, { resourceVersion: server.resourceVersion }).subscribe((e: WatchEvent<T>) => {
    if (e.type === 'BOOKMARK') return;
    const o = e.object;
    const deleting = e.type !== 'DELETED' && o.metadata.deletionTimestamp ? ' (terminating)' : '';
    say(`  ${e.type.padEnd(8)} ${resource.kind}/${o.metadata.name}${deleting} rv=${o.metadata.resourceVersion} ${describe(o)}`);
  });
}

const describeGreeting = (g: Greeting) => {
  const ready = g.status?.conditions?.find((c) => c.type === 'Ready');
  return [
    `generation=${g.metadata.generation}`,
    `observedGeneration=${g.status?.observedGeneration ?? '-'}`,
    `Ready=${ready ? `${ready.status}(${ready.reason})` : '-'}`,
    `finalizers=[${(g.metadata.finalizers ?? []).join(',')}]`,
  ].join(' ');
};

async function step(title: string, action: () => Promise<unknown>): Promise<void> {
  console.log('');
  say(`$ ${title}`);
  await action();
  await clock.advance(2_000); // let the controller react
}

console.log(`kubeloop quickstart — the Greeting controller on a virtual clock (seed ${seed})`);
console.log('Greetings are a custom resource; the controller keeps a ConfigMap per Greeting.');
narrate(Greetings, describeGreeting);
narrate(ConfigMaps, (c) => (c.metadata.namespace === 'default' ? `data=${JSON.stringify(c.data ?? {})}` : ''));

await manager.start();
say(`manager "${manager.name}" started; controllers: ${manager.controllers().map((c) => c.name).join(', ')}`);

await step('create Greeting hello (message "Hello, world")', () =>
  server.create(Greetings, {
    apiVersion: 'example.kubeloop.dev/v1',
    kind: 'Greeting',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { message: 'Hello, world' },
  }),
);

await step('change its message to "Bonjour" in French (a spec change: generation 2)', async () => {
  const g = await server.get(Greetings, { namespace: 'default', name: 'hello' });
  await server.update(Greetings, { ...g, spec: { message: 'Bonjour', language: 'fr' } });
});

await step('delete the ConfigMap behind the controller\'s back (it is recreated)', () =>
  server.delete(ConfigMaps, { namespace: 'default', name: 'hello-greeting' }),
);

await step('delete Greeting hello (its finalizer makes deletion wait for the cleanup)', () =>
  server.delete(Greetings, { namespace: 'default', name: 'hello' }),
);

console.log('');
say('$ kubectl get events');
const events = (await server.list(Events, { namespace: 'default' })).items;
console.log(`${'TYPE'.padEnd(8)} ${'REASON'.padEnd(10)} ${'OBJECT'.padEnd(16)} ${'COUNT'.padEnd(5)} MESSAGE`);
for (const e of events) {
  console.log(`${(e.type ?? '').padEnd(8)} ${(e.reason ?? '').padEnd(10)} ${`greeting/${e.involvedObject.name}`.padEnd(16)} ${String(e.count ?? 1).padEnd(5)} ${e.message ?? ''}`);
}

console.log('');
say('$ metrics (controller-runtime names)');
const metrics = await manager.metrics.text();
for (const line of metrics.split('\n')) {
  if (line.startsWith('controller_runtime_reconcile_total{') && !line.endsWith(' 0')) console.log(`  ${line}`);
}

await manager.stop();
console.log('');
say(`done: ${server.resourceVersion} writes in ${((clock.now() - start) / 1000).toFixed(1)} virtual seconds.`);

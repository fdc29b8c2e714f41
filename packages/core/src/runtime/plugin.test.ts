import { describe, expect, it } from 'vitest';
import type { ApiError} from '../api/errors.js';
import { isApiError } from '../api/errors.js';
import { Deployments, Nodes, Pods, createBuiltinRegistry } from '../api/kinds/index.js';
import { ResourceRegistry } from '../api/registry.js';
import { controllerFor } from './controller.js';
import type { RuntimeError } from './errors.js';
import { createManager } from './manager.js';
import type { Plugin } from './plugin.js';
import { builtinResourcesPlugin, pluginInvariants, PluginHost } from './plugin.js';
import { invariant, transitionInvariant } from '../invariants/types.js';
import { done } from './reconciler.js';
import { Gadgets, Widgets, testCluster, widget } from '../testing/index.js';
import type { Widget } from '../testing/index.js';

const widgetsPlugin = (reconciled: string[]): Plugin => ({
  name: 'example.com/widgets',
  register(api) {
    api.addResource(Widgets);
    api.addAdmissionHook({
      name: 'widget-size',
      resources: ['widgets.example.com'],
      mutate: (req) => {
        const w = req.object as Widget;
        return { ...w, spec: { ...w.spec, size: w.spec?.size ?? 1 } };
      },
      validate: (req) =>
        ((req.object as Widget).spec?.size ?? 0) > 10
          ? [{ type: 'FieldValueInvalid', field: 'spec.size', value: (req.object as Widget).spec?.size, detail: 'must be at most 10' }]
          : [],
    });
    api.addController((manager) =>
      controllerFor(manager, Widgets).complete(async (r) => {
        const w = await manager.client.get(Widgets, r);
        reconciled.push(`${r.name}:${w.spec?.size}`);
        return done;
      }),
    );
    api.extend('example.greeting', 'hello');
  },
});

describe('PluginHost', () => {
  it('installs a custom resource, an admission hook and a controller through one plugin', async () => {
    const cluster = testCluster(1, { withCustomResources: false });
    const { api, clock, rng, registry } = cluster;
    const reconciled: string[] = [];
    const host = new PluginHost({ registry, admission: api }).use(widgetsPlugin(reconciled));
    expect(registry.forResource('widgets.example.com')).toBe(Widgets);
    const manager = createManager({ client: api, clock, rng, registry });
    host.attach(manager);
    expect(manager.hasController('widget')).toBe(true);
    await manager.start();
    await api.create(Widgets, widget('a'));
    await clock.advance(10);
    expect(reconciled).toEqual(['a:1']);
    const rejected = await api.create(Widgets, widget('b', { spec: { size: 11 } })).catch((e: unknown) => e);
    expect(isApiError(rejected, 'Invalid')).toBe(true);
    expect((rejected as ApiError).message).toContain('spec.size: Invalid value: 11: must be at most 10');
    expect(host.contributions('example.greeting')).toEqual(['hello']);
    expect(host.plugins()).toEqual(['example.com/widgets']);
    await manager.stop();
  });

  it('builds controllers of plugins used after a manager was attached', () => {
    const cluster = testCluster(1, { withCustomResources: false });
    const manager = createManager({ client: cluster.api, clock: cluster.clock, rng: cluster.rng, registry: cluster.registry });
    const host = new PluginHost({ registry: cluster.registry, admission: cluster.api }).attach(manager);
    host.use(widgetsPlugin([]));
    expect(manager.controllers().map((c) => c.name)).toEqual(['widget']);
  });

  it('applies nothing of a plugin whose register throws or whose resource is already served', () => {
    const registry = new ResourceRegistry();
    const host = new PluginHost({ registry });
    const failing: Plugin = {
      name: 'bad',
      register(api) {
        api.addResource(Gadgets);
        throw new Error('boom');
      },
    };
    expect(() => host.use(failing)).toThrow(expect.objectContaining({ code: 'plugin-failed', cause: new Error('boom') }) as RuntimeError);
    expect(registry.forResource('gadgets.example.com')).toBeUndefined();
    host.use({ name: 'gadgets', register: (api) => api.addResource(Gadgets) });
    expect(() => host.use({ name: 'gadgets-again', register: (api) => api.addResource(Gadgets) })).toThrow(/already served/);
    expect(() => host.use({ name: 'gadgets', register: () => undefined })).toThrow(/already installed/);
    expect(() => host.use({ name: 'needs', dependsOn: ['missing'], register: () => undefined })).toThrow(/depends on missing/);
    expect(() => host.use(widgetsPlugin([]))).toThrow(expect.objectContaining({ code: 'unsupported' }) as RuntimeError);
    expect(registry.forResource('widgets.example.com')).toBeUndefined();
    expect(host.plugins()).toEqual(['gadgets']);
  });

  it('collects the invariants the plugins state, in plugin order, each object once, and none of a plugin that failed', () => {
    const registry = new ResourceRegistry();
    const shared = invariant('sharedRule', 'Holds.', () => []);
    const own = transitionInvariant('ownRule', 'Holds between states.', () => []);
    const host = new PluginHost({ registry });
    host.use({ name: 'a', register: (api) => api.addInvariant(shared) });
    expect(() =>
      host.use({
        name: 'broken',
        register(api) {
          api.addInvariant(invariant('never', 'Never registered.', () => []));
          throw new Error('boom');
        },
      }),
    ).toThrow(/failed to register/);
    host.use({ name: 'b', register: (api) => (api.addInvariant(own), api.addInvariant(shared)) });
    expect(host.invariants().map((i) => [i.name, i.kind])).toEqual([
      ['sharedRule', 'liveness'],
      ['ownRule', 'transition'],
    ]);
    // The same list without a host to install them on.
    expect(pluginInvariants([{ name: 'a', register: (api) => api.addInvariant(shared) }, { name: 'b', register: (api) => (api.addResource(Gadgets), api.addInvariant(own), api.addInvariant(shared)) }])).toEqual([shared, own]);
  });

  it('lists the resources plugins declare they reconcile, in plugin order, each once, and nothing of a plugin that failed', () => {
    const registry = createBuiltinRegistry();
    const host = new PluginHost({ registry });
    host.use({ name: 'kubelet', register: (api) => (api.reconciles(Pods), api.reconciles(Nodes)) });
    const broken: Plugin = {
      name: 'broken',
      register(api) {
        api.reconciles(Deployments);
        throw new Error('boom');
      },
    };
    expect(() => host.use(broken)).toThrow(/failed to register/);
    host.use({ name: 'scheduler', register: (api) => api.reconciles(Pods) });
    expect(host.reconciledResources()).toEqual([Pods, Nodes]);
  });

  it('registers the built-in kinds through the same API as users', () => {
    const registry = new ResourceRegistry();
    new PluginHost({ registry }).use(builtinResourcesPlugin);
    expect(registry.all().map((r) => r.resource)).toEqual(createBuiltinRegistry().all().map((r) => r.resource));
  });
});

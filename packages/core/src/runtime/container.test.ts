import type { Container} from 'inversify';
import { inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { createContainer, TOKENS } from './container.js';
import { controllerFor } from './controller.js';
import type { Manager } from './manager.js';
import type { PluginHost } from './plugin.js';
import { done } from './reconciler.js';
import { Widgets, testCluster, widget } from '../testing/index.js';

describe('createContainer', () => {
  it('resolves one manager wired to the bound services, with plugins installed', async () => {
    const cluster = testCluster(1, { withCustomResources: false });
    const { api, clock, rng, registry } = cluster;
    const reconciled: string[] = [];
    const container = createContainer({
      client: api,
      clock,
      rng,
      registry,
      admission: api,
      name: 'operator',
      plugins: [
        {
          name: 'widgets',
          register(p) {
            p.addResource(Widgets);
            p.addController((m) =>
              controllerFor(m, Widgets).complete(async (r) => {
                reconciled.push(r.name);
                return done;
              }),
            );
          },
        },
      ],
    });
    const manager = container.get<Manager>(TOKENS.Manager);
    expect(container.get<Manager>(TOKENS.Manager)).toBe(manager);
    expect(manager.name).toBe('operator');
    expect(manager.clock).toBe(clock);
    expect(manager.client).toBe(api);
    expect(manager.registry).toBe(registry);
    expect(manager.informers).toBe(container.get(TOKENS.InformerFactory));
    expect(manager.metrics).toBe(container.get(TOKENS.Metrics));
    const host = container.get<PluginHost>(TOKENS.Plugins);
    expect(host.plugins()).toEqual(['widgets']);
    await manager.start();
    await api.create(Widgets, widget('a'));
    await clock.advance(10);
    expect(reconciled).toEqual(['a']);
    await manager.stop();
  });

  // Pins that the toolchain (vitest's transform) honours parameter decorators: the container
  // above would fail without them, this shows the mechanism on a user class.
  it('lets user classes inject the runtime services with @inject', () => {
    @injectable()
    class WidgetReconciler {
      constructor(@inject(TOKENS.Manager) readonly manager: Manager) {}
    }
    const cluster = testCluster();
    const container: Container = createContainer({ client: cluster.api, clock: cluster.clock, rng: cluster.rng });
    container.bind(WidgetReconciler).toSelf();
    expect(container.get(WidgetReconciler).manager).toBe(container.get(TOKENS.Manager));
  });
});

/**
 * Dependency-injection wiring with inversify: {@link createContainer} binds every
 * {@link TOKENS | token} of the controller runtime, so an application (or the simulated
 * cluster) resolves one `Manager` whose services are shared with everything else it builds.
 *
 * The `Manager` class is `@injectable()` with an explicit `@inject(TOKEN)` on every constructor
 * parameter: esbuild/oxc-based tools (vitest, tsx) emit no `design:paramtypes` metadata, so the
 * container must never rely on it.
 *
 * @example
 * ```ts
 * const container = createContainer({ client: server, clock, rng, registry: server.registry,
 *   admission: server, plugins: [widgetsPlugin], name: 'operator' });
 * const manager = container.get<Manager>(TOKENS.Manager); // plugins' controllers built on it
 * await manager.start();
 * ```
 *
 * @module
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/types.js';
import type { Clock } from '../clock/clock.js';
import { SharedInformerFactory } from '../informer/factory.js';
import type { Rng } from '../rng/rng.js';
import type { ManagerConfig } from './manager.js';
import { Manager } from './manager.js';
import { RuntimeMetrics } from './metrics.js';
import type { AdmissionTarget, Plugin } from './plugin.js';
import { PluginHost } from './plugin.js';
import { TOKENS } from './tokens.js';

export { TOKENS } from './tokens.js';

/** What {@link createContainer} binds: the shared services, the manager's config and plugins. */
export interface ContainerOptions extends ManagerConfig {
  /** Bound to `TOKENS.Client`. */
  readonly client: Client;
  /** Bound to `TOKENS.Clock`. */
  readonly clock: Clock;
  /** Bound to `TOKENS.Rng`. */
  readonly rng: Rng;
  /** Bound to `TOKENS.Registry` (a new empty registry when absent). */
  readonly registry?: ResourceRegistry;
  /** Bound to `TOKENS.AdmissionTarget` when given (usually the API server). */
  readonly admission?: AdmissionTarget;
  /** Installed by the `TOKENS.Plugins` host, which also attaches the manager. */
  readonly plugins?: readonly Plugin[];
}

/**
 * A container with every runtime token bound, all as singletons:
 * `Clock`, `Rng`, `Client`, `Registry`, `AdmissionTarget` (if given) and `ManagerConfig` as
 * constants; `InformerFactory` and `Metrics` built on first use; `Plugins` a {@link PluginHost}
 * with `plugins` installed at once (resources registered, admission hooks installed); `Manager`
 * built by inversify from its `@inject` parameters and attached to the plugin host on
 * activation (the plugins' controllers are built on it).
 *
 * Errors: the plugin host's `RuntimeError`s, thrown by `createContainer` itself.
 *
 * Guarantees: resolving the same token twice gives the same instance; the manager's services
 * are the bound ones (`manager.informers === container.get(TOKENS.InformerFactory)`).
 */
export function createContainer(options: ContainerOptions): Container {
  const { client, clock, rng, registry, admission, plugins, ...config } = options;
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind<Clock>(TOKENS.Clock).toConstantValue(clock);
  container.bind<Rng>(TOKENS.Rng).toConstantValue(rng);
  container.bind<Client>(TOKENS.Client).toConstantValue(client);
  container.bind<ResourceRegistry>(TOKENS.Registry).toConstantValue(registry ?? new ResourceRegistry());
  if (admission !== undefined) container.bind<AdmissionTarget>(TOKENS.AdmissionTarget).toConstantValue(admission);
  container.bind<ManagerConfig>(TOKENS.ManagerConfig).toConstantValue(config);
  container
    .bind<SharedInformerFactory>(TOKENS.InformerFactory)
    .toDynamicValue(
      (ctx) =>
        new SharedInformerFactory(ctx.get<Client>(TOKENS.Client), {
          clock: ctx.get<Clock>(TOKENS.Clock),
          rng: ctx.get<Rng>(TOKENS.Rng).fork(),
          ...(config.defaultResyncMs === undefined ? {} : { defaultResyncMs: config.defaultResyncMs }),
        }),
    );
  container.bind<RuntimeMetrics>(TOKENS.Metrics).toDynamicValue(() => new RuntimeMetrics());
  // Plugins are installed at once (resources and admission hooks must exist before the API is
  // used); their controllers are built when the manager is first resolved.
  const host = new PluginHost({ registry: container.get<ResourceRegistry>(TOKENS.Registry), ...(admission === undefined ? {} : { admission }) });
  host.use(...(plugins ?? []));
  container.bind<PluginHost>(TOKENS.Plugins).toConstantValue(host);
  container
    .bind<Manager>(TOKENS.Manager)
    .to(Manager)
    .onActivation((_ctx, manager) => {
      host.attach(manager);
      return manager;
    });
  return container;
}

/**
 * Controllers broken on purpose, for showing that an invariant catches what it promises: a
 * reference plugin whose controllers see the cluster through a distorted manager (a cache that
 * hides or rewrites objects, a client that rewrites or drops writes), without a line of the
 * controller changed.
 */
import type { CacheReader, Client, KubeObject, Manager, Patch, Plugin, PluginApi, ResourceDefinition } from '@kubeloop/core';
import { notFound } from '@kubeloop/core';

/** How a broken manager distorts what a controller reads and writes. */
export interface Sabotage {
  /** Rewrites the objects a cache hands out (return undefined to hide one). */
  readonly read?: (resource: ResourceDefinition, object: KubeObject) => KubeObject | undefined;
  /** Rewrites what the client lists (the live reads), as {@link Sabotage.read} does for caches. */
  readonly list?: (resource: ResourceDefinition, object: KubeObject) => KubeObject | undefined;
  /** Rewrites the objects of the client's watch events (return undefined to hide one: it reads as deleted). */
  readonly watch?: (resource: ResourceDefinition, object: KubeObject) => KubeObject | undefined;
  /** Rewrites an object the controller creates (before it reaches the API server). */
  readonly create?: (resource: ResourceDefinition, object: KubeObject) => KubeObject;
  /**
   * Whether the controller's live lists of `resource` are answered from its own informer cache
   * instead (a controller that trusts what it last heard: when the API stops answering, it
   * keeps reading what its cache last held).
   */
  readonly listFromCache?: (resource: ResourceDefinition) => boolean;
  /** Whether a delete the controller asks for is dropped (true: it never reaches the API server). */
  readonly dropDelete?: (resource: ResourceDefinition, key: { namespace?: string | undefined; name: string }) => boolean;
  /**
   * Carries out a delete the controller asks for in its own way, through the real `client`
   * (e.g. with another propagation policy, or as a patch instead).
   */
  readonly delete?: (client: Client, resource: ResourceDefinition, key: { namespace?: string | undefined; name: string }, options: Parameters<Client['delete']>[2]) => Promise<unknown>;
  /**
   * Rewrites what the client's live reads by name return (`get`; return undefined to answer
   * NotFound), as {@link Sabotage.list} does for lists.
   */
  readonly get?: (resource: ResourceDefinition, key: { namespace?: string | undefined; name: string }, object: KubeObject) => KubeObject | undefined;
  /**
   * Rewrites the resource definitions the controller looks up by kind (`registry.forKind`), e.g.
   * to make it take a namespaced kind for a cluster-scoped one. What the informers watch is unchanged.
   */
  readonly resource?: (resource: ResourceDefinition) => ResourceDefinition;
  /**
   * Rewrites a status write the controller sends (`updateStatus`), given the object as the API
   * server holds it (return undefined to lose the write: the controller is answered with the
   * stored object, as if it had written it). Not used when {@link Sabotage.updateStatus} is given.
   */
  readonly rewriteStatus?: (resource: ResourceDefinition, object: KubeObject, stored: KubeObject) => KubeObject | undefined;
  /** Rewrites a patch the controller sends (return undefined to drop it: it never reaches the API server). */
  readonly patch?: (resource: ResourceDefinition, key: { namespace?: string | undefined; name: string }, patch: Patch) => Patch | undefined;
  /**
   * Carries out a status write (`updateStatus`) the controller asks for in its own way, through
   * the real `client` (e.g. with counts of its own making), as {@link Sabotage.delete} does for deletes.
   */
  readonly updateStatus?: (client: Client, resource: ResourceDefinition, object: KubeObject, options: Parameters<Client['updateStatus']>[2]) => Promise<unknown>;
}

/**
 * `target` with some members replaced; the others read from `target` (methods bound to it, so
 * private fields work). The proxy stands over an empty object, not `target`, so that a frozen
 * target (the caches' readers are) does not forbid the replacements.
 */
function bound<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy({} as T, {
    get(_, prop) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_, prop) => prop in target,
  });
}

function distortedCache<T extends KubeObject>(resource: ResourceDefinition<T>, reader: CacheReader<T>, read: NonNullable<Sabotage['read']>): CacheReader<T> {
  const map = (objects: readonly T[]): T[] => objects.flatMap((o) => {
    const r = read(resource as ResourceDefinition, o);
    return r === undefined ? [] : [r as T];
  });
  return bound(reader, {
    get: (key: Parameters<CacheReader<T>['get']>[0]) => {
      const o = reader.get(key);
      return o === undefined ? undefined : (read(resource as ResourceDefinition, o) as T | undefined);
    },
    list: (namespace?: string) => map(reader.list(namespace)),
    byIndex: (name: string, value: string) => map(reader.byIndex(name, value)),
  });
}

/** `manager` as a broken controller sees it. */
export function sabotagedManager(manager: Manager, sabotage: Sabotage): Manager {
  const client: Client = manager.client;
  const overrides: Record<string, unknown> = {};
  if (sabotage.list !== undefined) {
    const rewrite = sabotage.list;
    overrides['list'] = async (resource: ResourceDefinition, options?: Parameters<Client['list']>[1]) => {
      const out = await client.list(resource, options);
      return { ...out, items: out.items.flatMap((o) => {
        const r = rewrite(resource, o);
        return r === undefined ? [] : [r];
      }) };
    };
  }
  if (sabotage.listFromCache !== undefined) {
    const fromCache = sabotage.listFromCache;
    const live = (overrides['list'] as Client['list'] | undefined) ?? client.list.bind(client);
    overrides['list'] = async (resource: ResourceDefinition, options?: Parameters<Client['list']>[1]) => {
      if (!fromCache(resource)) return live(resource, options);
      return { apiVersion: 'v1', kind: 'List', metadata: {}, items: manager.cache(resource).list(options?.namespace) };
    };
  }
  if (sabotage.watch !== undefined) {
    // the watch's events rewritten; a hidden object reads as deleted
    const rewrite = sabotage.watch;
    overrides['watch'] = (resource: ResourceDefinition, options?: Parameters<Client['watch']>[1]) => {
      const source = client.watch(resource, options);
      type Events = typeof source;
      type Sink = { next(e: unknown): void; error(e: unknown): void; complete(): void };
      const Ctor = source.constructor as new (subscribe: (sink: Sink) => () => void) => Events;
      return new Ctor((sink) => {
        const sub = source.subscribe({
          next: (event) => {
            if (event.type === 'BOOKMARK') return sink.next(event);
            const r = rewrite(resource, event.object as KubeObject);
            sink.next(r === undefined ? { type: 'DELETED', object: event.object } : { ...event, object: r });
          },
          error: (e: unknown) => sink.error(e),
          complete: () => sink.complete(),
        });
        return () => sub.unsubscribe();
      });
    };
  }
  if (sabotage.create !== undefined) {
    const rewrite = sabotage.create;
    overrides['create'] = (resource: ResourceDefinition, object: KubeObject, options?: Parameters<Client['create']>[2]) => client.create(resource, rewrite(resource, object), options);
  }
  if (sabotage.dropDelete !== undefined) {
    const drop = sabotage.dropDelete;
    overrides['delete'] = async (resource: ResourceDefinition, key: { namespace?: string; name: string }, options?: Parameters<Client['delete']>[2]) => (drop(resource, key) ? client.get(resource, key) : client.delete(resource, key, options));
  }
  if (sabotage.get !== undefined) {
    const rewrite = sabotage.get;
    overrides['get'] = async (resource: ResourceDefinition, key: { namespace?: string; name: string }) => {
      const r = rewrite(resource, key, await client.get(resource, key));
      if (r === undefined) throw notFound(resource.resource, resource.group, key.name);
      return r;
    };
  }
  if (sabotage.delete !== undefined) {
    const carryOut = sabotage.delete;
    overrides['delete'] = (resource: ResourceDefinition, key: { namespace?: string; name: string }, options?: Parameters<Client['delete']>[2]) => carryOut(client, resource, key, options);
  }
  if (sabotage.patch !== undefined) {
    const rewrite = sabotage.patch;
    overrides['patch'] = async (resource: ResourceDefinition, key: { namespace?: string; name: string }, patch: Patch, options?: Parameters<Client['patch']>[3]) => {
      const rewritten = rewrite(resource, key, patch);
      return rewritten === undefined ? client.get(resource, key) : client.patch(resource, key, rewritten, options);
    };
  }
  if (sabotage.updateStatus !== undefined) {
    const carryOut = sabotage.updateStatus;
    overrides['updateStatus'] = (resource: ResourceDefinition, object: KubeObject, options?: Parameters<Client['updateStatus']>[2]) => carryOut(client, resource, object, options);
  } else if (sabotage.rewriteStatus !== undefined) {
    const rewrite = sabotage.rewriteStatus;
    overrides['updateStatus'] = async (resource: ResourceDefinition, object: KubeObject, options?: Parameters<Client['updateStatus']>[2]) => {
      const stored = await client.get(resource, { namespace: object.metadata.namespace, name: object.metadata.name ?? '' });
      const rewritten = rewrite(resource, object, stored);
      return rewritten === undefined ? stored : client.updateStatus(resource, rewritten, options);
    };
  }
  const cache = sabotage.read === undefined ? undefined : <T extends KubeObject>(resource: ResourceDefinition<T>) => distortedCache(resource, manager.cache(resource), sabotage.read!);
  const rewriteResource = sabotage.resource;
  const registry =
    rewriteResource === undefined
      ? undefined
      : bound(manager.registry, {
          forKind: (apiVersion: string, kind: string) => {
            const found = manager.registry.forKind(apiVersion, kind);
            return found === undefined ? undefined : rewriteResource(found);
          },
        });
  return bound(manager, { client: bound(client, overrides), ...(cache === undefined ? {} : { cache }), ...(registry === undefined ? {} : { registry }) });
}

/**
 * `plugin`, renamed, with every controller and runnable it adds built on a {@link sabotagedManager}.
 * `sabotage` may be built from the real manager, for a distortion that depends on what the
 * manager knows (e.g. its clock: a write broken only in some minutes).
 */
export function sabotaged(plugin: Plugin, sabotage: Sabotage | ((manager: Manager) => Sabotage)): Plugin {
  const broken = (manager: Manager): Manager => sabotagedManager(manager, typeof sabotage === 'function' ? sabotage(manager) : sabotage);
  return {
    name: `${plugin.name}-broken`,
    register(api) {
      const wrapped: PluginApi = bound(api, {
        addController: (build: Parameters<PluginApi['addController']>[0]) => api.addController((manager) => build(broken(manager))),
        addRunnable: (build: Parameters<PluginApi['addRunnable']>[0]) => api.addRunnable((manager) => build(broken(manager))),
      });
      plugin.register(wrapped);
    },
  };
}

/**
 * The plugin API: how custom resources, admission hooks, controllers and every later extension
 * (scheduler plugins, kubelet behaviours, metrics sources…) get into a cluster. Built-ins use it
 * too (DESIGN.md: "if a built-in needs a hook, the hook belongs in the public plugin API"); see
 * {@link builtinResourcesPlugin}.
 *
 * ## Extension points
 *
 * Capabilities other modules add later are *extension points*: named slots that plugins
 * contribute to with {@link PluginApi.extend} and that the owning module reads back with
 * {@link PluginHost.contributions}. A module declares its slot's type by augmenting
 * {@link PluginExtensions}, so adding a slot never changes `PluginApi`:
 *
 * ```ts
 * // in the scheduler module
 * declare module '@kubeloop/core' {
 *   interface PluginExtensions { 'scheduler.filter': FilterPlugin }
 * }
 * // in a plugin
 * api.extend('scheduler.filter', { name: 'gpu', filter: (pod, node) => ... });
 * // in the scheduler
 * const filters = host.contributions('scheduler.filter');
 * ```
 *
 * Slot names are namespaced by their owner (`scheduler.*`, `kubelet.*`, `metrics.*`).
 *
 * ## Invariants
 *
 * A plugin that adds a controller also states what that controller guarantees, as named
 * {@link Invariant}s ({@link PluginApi.addInvariant}): a checker (the testing toolkit's
 * `checkCluster`) reads them back with {@link PluginHost.invariants} and checks those of every
 * plugin a cluster runs, so adding a controller never means editing the checker.
 *
 * @module
 */
import { builtinResources } from '../api/kinds/index.js';
import type { ResourceDefinition, ResourceRegistry } from '../api/registry.js';
import type { Invariant } from '../invariants/types.js';
import type { AdmissionHook } from '../store/admission.js';
import type { Controller, Runnable } from './controller.js';
import { RuntimeError } from './errors.js';
import type { Manager } from './manager.js';

/**
 * The typed extension slots, keyed by name; empty here. Modules that own a slot add it by
 * declaration merging (see the module documentation).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PluginExtensions {}

/** What a contribution to slot `K` must be: the declared type for known slots, anything otherwise. */
export type ExtensionOf<K extends string> = K extends keyof PluginExtensions ? PluginExtensions[K] : unknown;

/** Where admission hooks go: the API server (anything with `addAdmissionHook`). */
export interface AdmissionTarget {
  /** Installs a hook after those installed before. */
  addAdmissionHook(hook: AdmissionHook): void;
}

/**
 * Builds a plugin's controller on a manager. Returning the controller is optional: a
 * `ControllerBuilder` completed on the manager has registered it already.
 */
export type ControllerFactory = (manager: Manager) => Controller | void;

/** Builds a plugin's runnable (anything started and stopped with the manager) on a manager. */
export type RunnableFactory = (manager: Manager) => Runnable;

/**
 * What a plugin may do while it registers. Calls are staged and take effect together when
 * `register` returns; if it throws, nothing it staged takes effect.
 */
export interface PluginApi {
  /** The name of the plugin registering. */
  readonly pluginName: string;
  /** Serves a custom resource (a CRD). Fails the plugin if its kind or plural is taken. */
  addResource(resource: ResourceDefinition): void;
  /** Installs an admission hook on the API server. */
  addAdmissionHook(hook: AdmissionHook): void;
  /** Adds a controller, built on every manager the host is attached to. */
  addController(build: ControllerFactory): void;
  /** Adds a runnable, built on every manager the host is attached to. */
  addRunnable(build: RunnableFactory): void;
  /** Contributes to the extension slot `point` (see the module documentation). */
  extend<K extends string>(point: K, contribution: ExtensionOf<K>): void;
  /**
   * States an invariant of what the plugin adds, for checkers to collect
   * ({@link PluginHost.invariants}). Register only what holds in every cluster that runs the
   * plugin, whatever the users do and whatever faults strike, at the moments its `kind` says
   * (`safety` and `transition`: always; `liveness`: once the cluster has settled). Invariants
   * that need a test's knowledge or hold only under preconditions are exported for tests to add
   * by hand instead.
   */
  addInvariant(invariant: Invariant): void;
  /**
   * Declares that the plugin's controllers (or runnables) act on objects of `resource`: that
   * an object of it applied to a cluster running the plugin gets its spec realised and its
   * status written (the ReplicaSet controller declares ReplicaSets, the kubelet Pods and Nodes).
   * A host lists the declarations ({@link PluginHost.reconciledResources}), so that a tool can
   * tell a user when nothing in the cluster acts on what they applied.
   */
  reconciles(resource: ResourceDefinition): void;
}

/**
 * A plugin: a name and a `register` function.
 *
 * Guarantees expected: `register` only calls the {@link PluginApi} (no I/O, no timers): the
 * host may call it before any clock runs.
 *
 * @example
 * ```ts
 * const widgets: Plugin = {
 *   name: 'example.com/widgets',
 *   register(api) {
 *     api.addResource(Widgets);
 *     api.addAdmissionHook({ name: 'widget-defaults', resources: ['widgets.example.com'], mutate: defaultWidget });
 *     api.addController((manager) => controllerFor(manager, Widgets).complete(new WidgetReconciler(manager)));
 *     api.addInvariant(invariant('widgetsPublished', 'After settling, every Widget has its ConfigMap.', widgetsPublished));
 *   },
 * };
 * ```
 */
export interface Plugin {
  /** Unique name, e.g. `example.com/widgets`. */
  readonly name: string;
  /** Plugins that must be used before this one. */
  readonly dependsOn?: readonly string[];
  /** Declares what the plugin adds. */
  register(api: PluginApi): void;
}

/** How a {@link PluginHost} is built. */
export interface PluginHostOptions {
  /** Where resources are registered. */
  readonly registry: ResourceRegistry;
  /** Where admission hooks go; plugins adding hooks fail with `unsupported` without one. */
  readonly admission?: AdmissionTarget;
}

interface Staged {
  readonly resources: ResourceDefinition[];
  readonly hooks: AdmissionHook[];
  readonly controllers: ControllerFactory[];
  readonly runnables: RunnableFactory[];
  readonly extensions: [string, unknown][];
  readonly invariants: Invariant[];
  readonly reconciled: ResourceDefinition[];
}

/**
 * Installs plugins into a registry, an API server and managers.
 *
 * Guarantees: plugins are applied in `use` order; a plugin is all-or-nothing (a failing
 * `register` or a conflicting resource leaves nothing behind); controllers and runnables are
 * built on each attached manager in plugin order, including plugins used after `attach`.
 *
 * Errors ({@link RuntimeError}): `plugin-conflict` for a duplicate plugin name, a missing
 * dependency or a resource already served; `plugin-failed` when `register` throws (chained as
 * `cause`); `unsupported` for an admission hook without an admission target.
 */
export class PluginHost {
  readonly #options: PluginHostOptions;
  readonly #plugins = new Map<string, Staged>();
  readonly #managers: Manager[] = [];

  /** Builds an empty host. */
  constructor(options: PluginHostOptions) {
    this.#options = options;
  }

  /** Installs plugins, in order. */
  use(...plugins: readonly Plugin[]): this {
    for (const plugin of plugins) this.#install(plugin);
    return this;
  }

  /** Builds every plugin's controllers and runnables on `manager` (and those of later plugins). */
  attach(manager: Manager): this {
    if (this.#managers.includes(manager)) return this;
    this.#managers.push(manager);
    for (const staged of this.#plugins.values()) build(staged, manager);
    return this;
  }

  /**
   * Forgets `manager`: plugins used later are not built on it. For a manager that was stopped
   * and replaced (e.g. a restarted controller manager); what was built on it stays as it is.
   */
  detach(manager: Manager): this {
    const i = this.#managers.indexOf(manager);
    if (i >= 0) this.#managers.splice(i, 1);
    return this;
  }

  /** The names of the installed plugins, in installation order. */
  plugins(): readonly string[] {
    return [...this.#plugins.keys()];
  }

  /**
   * The invariants of the installed plugins ({@link PluginApi.addInvariant}), in plugin order
   * and then in the order each plugin added them; an invariant added by several plugins (the
   * same object) is listed once.
   */
  invariants(): readonly Invariant[] {
    const out = new Set<Invariant>();
    for (const staged of this.#plugins.values()) for (const i of staged.invariants) out.add(i);
    return [...out];
  }

  /**
   * The resources the installed plugins declared they act on ({@link PluginApi.reconciles}), in
   * plugin order, each listed once.
   */
  reconciledResources(): readonly ResourceDefinition[] {
    const out = new Set<ResourceDefinition>();
    for (const staged of this.#plugins.values()) for (const r of staged.reconciled) out.add(r);
    return [...out];
  }

  /** Every contribution to slot `point`, in plugin order. */
  contributions<K extends string>(point: K): readonly ExtensionOf<K>[] {
    const out: ExtensionOf<K>[] = [];
    for (const staged of this.#plugins.values()) for (const [p, c] of staged.extensions) if (p === point) out.push(c as ExtensionOf<K>);
    return out;
  }

  #install(plugin: Plugin): void {
    const name = plugin.name;
    if (this.#plugins.has(name)) throw new RuntimeError('plugin-conflict', `plugin ${name} is already installed`);
    for (const dep of plugin.dependsOn ?? []) {
      if (!this.#plugins.has(dep)) throw new RuntimeError('plugin-conflict', `plugin ${name} depends on ${dep}, which is not installed`);
    }
    const staged = stage(plugin);
    const registry = this.#options.registry;
    const seen = new Set<string>();
    for (const r of staged.resources) {
      if (registry.forResource(r.resource) !== undefined || registry.forKind(r.apiVersion, r.kind) !== undefined || seen.has(r.resource)) {
        throw new RuntimeError('plugin-conflict', `plugin ${name} adds resource ${r.resource}, which is already served`);
      }
      seen.add(r.resource);
    }
    const admission = this.#options.admission;
    if (staged.hooks.length > 0 && admission === undefined) {
      throw new RuntimeError('unsupported', `plugin ${name} adds admission hooks but the host has no api server to install them on`);
    }
    for (const r of staged.resources) registry.register(r);
    for (const h of staged.hooks) admission!.addAdmissionHook(h);
    this.#plugins.set(name, staged);
    for (const manager of this.#managers) build(staged, manager);
  }
}

/** Runs `plugin.register` on a staging {@link PluginApi}: what it would add, nothing installed. */
function stage(plugin: Plugin): Staged {
  const staged: Staged = { resources: [], hooks: [], controllers: [], runnables: [], extensions: [], invariants: [], reconciled: [] };
  const api: PluginApi = {
    pluginName: plugin.name,
    addResource: (r) => void staged.resources.push(r),
    addAdmissionHook: (h) => void staged.hooks.push(h),
    addController: (b) => void staged.controllers.push(b),
    addRunnable: (b) => void staged.runnables.push(b),
    extend: (point, contribution) => void staged.extensions.push([point, contribution]),
    addInvariant: (i) => void staged.invariants.push(i),
    reconciles: (r) => void staged.reconciled.push(r),
  };
  try {
    plugin.register(api);
  } catch (error) {
    throw new RuntimeError('plugin-failed', `plugin ${plugin.name} failed to register`, { cause: error });
  }
  return staged;
}

/**
 * The invariants `plugins` state, as a {@link PluginHost} that used them would list them
 * ({@link PluginHost.invariants}), without installing anything: e.g. to check the reference
 * controllers' invariants in a cluster built some other way.
 *
 * Errors: {@link RuntimeError} `plugin-failed` when a plugin's `register` throws.
 */
export function pluginInvariants(plugins: readonly Plugin[]): readonly Invariant[] {
  return [...new Set(plugins.flatMap((p) => stage(p).invariants))];
}

function build(staged: Staged, manager: Manager): void {
  for (const make of staged.controllers) {
    const controller = make(manager);
    if (controller !== undefined) manager.addController(controller);
  }
  for (const make of staged.runnables) manager.add(make(manager));
}

/**
 * The built-in kinds as a plugin: a host on an empty registry that uses it serves exactly what
 * `createBuiltinRegistry()` serves. Built-in controllers and fakes register the same way from
 * their own packages.
 */
export const builtinResourcesPlugin: Plugin = Object.freeze({
  name: 'kubeloop.dev/builtin-resources',
  register(api: PluginApi): void {
    for (const resource of builtinResources) api.addResource(resource);
  },
});

/**
 * Registration: the garbage collector as one core `Plugin`.
 *
 * @module
 */
import { GARBAGE_COLLECTOR_INVARIANTS } from './invariants.js';
import type { Plugin } from '@kubeloop/core';
import type { GarbageCollectorOptions } from './controller.js';
import { GarbageCollector } from './controller.js';

/** The name of the plugin {@link garbageCollectorPlugin} returns. */
export const GARBAGE_COLLECTOR_PLUGIN_NAME = 'kubeloop.dev/garbage-collector';

/**
 * A core plugin that runs the garbage collector: dependents whose owners are all gone are
 * deleted, and `propagationPolicy: Foreground` / `Orphan` deletions complete. Its invariant,
 * for checkers: after settling, nothing whose owners are all gone is left
 * (`noDanglingDependents`).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [garbageCollectorPlugin()] } });
 * await cluster.delete(ConfigMaps, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
 * await cluster.settle(); // its blocking dependents went first, then the owner
 * ```
 */
export function garbageCollectorPlugin(options: GarbageCollectorOptions = {}): Plugin {
  return {
    name: GARBAGE_COLLECTOR_PLUGIN_NAME,
    register(api) {
      api.addRunnable((manager) => new GarbageCollector(manager, options));
      for (const i of GARBAGE_COLLECTOR_INVARIANTS) api.addInvariant(i);
    },
  };
}

/**
 * Registration: the node lifecycle controller, the taint eviction controller and the
 * DefaultTolerationSeconds admission hook as one core `Plugin`.
 *
 * @module
 */
import { Nodes } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { DEFAULT_TOLERATION_SECONDS, defaultTolerationSeconds } from './admission.js';
import { NodeLifecycleController, taintEvictionController, type NodeLifecycleOptions } from './controller.js';
import { nodeLifecycleInvariants } from './invariants.js';

/** The name of the plugin {@link nodeLifecyclePlugin} returns. */
export const NODE_LIFECYCLE_PLUGIN_NAME = 'kubeloop.dev/node-lifecycle';

/** Options of {@link nodeLifecyclePlugin}. */
export interface NodeLifecyclePluginOptions extends NodeLifecycleOptions {
  /** `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds` (default 300). */
  readonly defaultTolerationSeconds?: number | undefined;
  /** Install the DefaultTolerationSeconds admission hook (default true). */
  readonly admission?: boolean | undefined;
}

/**
 * A core plugin that adds node lifecycle management: the node lifecycle controller, the taint
 * eviction controller, and the DefaultTolerationSeconds admission hook on pod CREATE; registers
 * the safety invariants of {@link @kubeloop/controllers!nodeLifecycleInvariants | nodeLifecycleInvariants}, judged
 * against its own grace period.
 *
 * `SimCluster` installs it by default (`nodeLifecycle` option); with a manager of your own:
 *
 * @example
 * ```ts
 * new PluginHost({ registry, admission: server }).use(nodeLifecyclePlugin()).attach(manager);
 * await manager.start();
 * // on a SimCluster (where it is on by default):
 * cluster.stopNode('node-1');
 * await cluster.advance(60_000); // node-1 is Ready=Unknown, tainted unreachable:NoExecute
 * ```
 */
export function nodeLifecyclePlugin(options: NodeLifecyclePluginOptions = {}): Plugin {
  return {
    name: NODE_LIFECYCLE_PLUGIN_NAME,
    register(api) {
      if (options.admission !== false) api.addAdmissionHook(defaultTolerationSeconds(options.defaultTolerationSeconds ?? DEFAULT_TOLERATION_SECONDS));
      api.addRunnable((manager) => new NodeLifecycleController(manager, options));
      api.addController(taintEvictionController);
      api.reconciles(Nodes);
      for (const i of nodeLifecycleInvariants({ gracePeriodMs: options.nodeMonitorGracePeriodMs })) api.addInvariant(i);
    },
  };
}

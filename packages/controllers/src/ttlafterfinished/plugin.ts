/**
 * Registration: the TTL-after-finished controller as a core `Plugin`.
 *
 * @module
 */
import type { Plugin } from '@kubeloop/core';
import { ttlAfterFinishedController } from './controller.js';
import type { TtlAfterFinishedControllerOptions } from './controller.js';
import { TTL_AFTER_FINISHED_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link ttlAfterFinishedPlugin} returns. */
export const TTL_AFTER_FINISHED_PLUGIN_NAME = 'kubeloop.dev/ttl-after-finished';

/**
 * A core plugin that adds the TTL-after-finished controller (controller `ttl-after-finished`)
 * and its invariant `finishedJobsDeletedAfterTtl` (liveness).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [jobPlugin(), ttlAfterFinishedPlugin(), garbageCollectorPlugin()] } });
 * await cluster.apply(jobWithTtlYaml); // ttlSecondsAfterFinished: 100
 * await cluster.settle(); // the Job completed, and 100 s later it and its pods are gone
 * ```
 */
export function ttlAfterFinishedPlugin(options: TtlAfterFinishedControllerOptions = {}): Plugin {
  return {
    name: TTL_AFTER_FINISHED_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => ttlAfterFinishedController(manager, options));
      for (const i of TTL_AFTER_FINISHED_INVARIANTS) api.addInvariant(i);
    },
  };
}

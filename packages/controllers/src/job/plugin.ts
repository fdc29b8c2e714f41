/**
 * Registration: the Job controller as a core `Plugin`.
 *
 * @module
 */
import { Jobs } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { jobController } from './controller.js';
import type { JobControllerOptions } from './controller.js';
import { JOB_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link jobPlugin} returns. */
export const JOB_PLUGIN_NAME = 'kubeloop.dev/job';

/**
 * A core plugin that adds the Job controller (controller `job`, events from `job-controller`)
 * and its invariants: successes within completions (`jobSucceededWithinCompletions`), each index
 * succeeding once (`jobIndexesSucceedOnce`), no active pod under a finished Job
 * (`finishedJobHasNoActivePods`), all safety ones, and pods created only within parallelism and
 * the completions missing (`jobPodsWithinParallelism`, transition), and, after settling, no
 * tracking finalizer left on the pods of finished or deleted Jobs (`jobTrackingFinalizersReleased`).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 3, controllerManager: { plugins: [jobPlugin()] } });
 * await cluster.apply(jobYaml);
 * await cluster.settle(); // the Job Complete, status.succeeded = completions
 * ```
 */
export function jobPlugin(options: JobControllerOptions = {}): Plugin {
  return {
    name: JOB_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => jobController(manager, options));
      api.reconciles(Jobs);
      for (const i of JOB_INVARIANTS) api.addInvariant(i);
    },
  };
}

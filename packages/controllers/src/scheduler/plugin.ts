/**
 * Registration: the scheduler as a core `Plugin`.
 *
 * @module
 */
import { Pods } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

/** The name of the plugin {@link schedulerPlugin} returns. */
export const SCHEDULER_PLUGIN_NAME = 'kubeloop.dev/scheduler';

/**
 * A core plugin that adds the kube-scheduler to every manager it is attached to. Users add
 * their own framework plugins and profiles through `options`.
 *
 * @example
 * ```ts
 * const noSpot: FilterPlugin = {
 *   name: 'NoSpot',
 *   filter: (_state, pod, node) =>
 *     node.node.metadata.labels?.['spot'] === 'true' && !pod.metadata.labels?.['spot-ok'] ? unschedulable('node(s) were spot') : SUCCESS,
 * };
 * const profile = defaultProfile();
 * host.use(schedulerPlugin({
 *   plugins: [noSpot],
 *   profiles: [{ ...profile, plugins: [...profile.plugins, { name: 'NoSpot' }] }],
 * }));
 * ```
 *
 * Errors: a bad configuration throws {@link SchedulerError} when the plugin host attaches a manager.
 */
export function schedulerPlugin(options: SchedulerOptions = {}): Plugin {
  return {
    name: SCHEDULER_PLUGIN_NAME,
    register(api) {
      api.addRunnable((manager) => Scheduler.build(manager, options));
      api.reconciles(Pods);
    },
  };
}

/**
 * Registration: the CronJob controller, its admission hook and its invariants as one core
 * `Plugin`.
 *
 * @module
 */
import { CronJobs } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { cronJobScheduleAdmission } from './admission.js';
import { cronJobController } from './controller.js';
import type { CronJobControllerOptions } from './controller.js';
import { CRONJOB_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link cronJobPlugin} returns. */
export const CRONJOB_PLUGIN_NAME = 'kubeloop.dev/cronjob';

/** Options of {@link cronJobPlugin}. */
export interface CronJobPluginOptions extends CronJobControllerOptions {
  /**
   * Install the schedule and time-zone checks ({@link cronJobScheduleAdmission}) on the host's
   * API server (default true: upstream's API server validates schedules itself).
   */
  readonly admission?: boolean | undefined;
}

/**
 * A core plugin that adds the CronJob controller (controller `cronjob`, events from
 * `cronjob-controller`), the admission hook that refuses bad schedules and time zones with
 * upstream's messages, and the CronJob invariants: `cronJobForbidConcurrency`,
 * `cronJobJobsOnSchedule` (safety), `cronJobOneJobPerTime` (transition) and
 * `cronJobActiveMatchesJobs` (liveness).
 *
 * Errors: the host fails with `unsupported` when it has no admission target, unless
 * `admission: false`.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, controllerManager: { plugins: [cronJobPlugin()] } });
 * await cluster.apply(cronJobYaml); // schedule "* * * * *"
 * await cluster.advance(60_000);    // a Job hello-<minutes> exists
 * ```
 */
export function cronJobPlugin(options: CronJobPluginOptions = {}): Plugin {
  return {
    name: CRONJOB_PLUGIN_NAME,
    register(api) {
      if (options.admission !== false) api.addAdmissionHook(cronJobScheduleAdmission());
      api.addController((manager) => cronJobController(manager, options));
      api.reconciles(CronJobs);
      for (const i of CRONJOB_INVARIANTS) api.addInvariant(i);
    },
  };
}

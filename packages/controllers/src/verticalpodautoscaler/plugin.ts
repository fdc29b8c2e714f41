/**
 * Registration: the VerticalPodAutoscaler resource, its recommender, updater, admission hook
 * and invariants as one core `Plugin`.
 *
 * @module
 */
import type { Plugin } from '@kubeloop/core';
import { vpaAdmissionHook } from './admission.js';
import { vpaRecommenderController, vpaUpdaterController } from './controller.js';
import type { VpaControllerOptions } from './controller.js';
import { VPA_INVARIANTS } from './invariants.js';
import { VerticalPodAutoscalerCheckpoints, VerticalPodAutoscalers } from './kind.js';

/** The name of the plugin {@link verticalPodAutoscalerPlugin} returns. */
export const VPA_PLUGIN_NAME = 'kubeloop.dev/vertical-pod-autoscaler';

/**
 * A core plugin that serves `verticalpodautoscalers.autoscaling.k8s.io/v1` (and the
 * recommender's `verticalpodautoscalercheckpoints`) and runs the three
 * VPA components of the autoscaler repository: the recommender (every minute, decaying
 * histograms of the PodMetrics the metrics-server serves → `status.recommendation`), the
 * updater (every minute, evicts pods whose requests left the recommended range, in modes
 * `Recreate` and `Auto`) and the admission controller (a mutating hook giving new pods the
 * recommended requests); and its invariant `vpaRequestsWithinBounds`.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, metricsServer: true, verticalPodAutoscaler: true });
 * await cluster.apply(hamsterYaml); // Deployment hamster (cpu request 100m, using 300m) + VPA hamster-vpa (Auto, minReplicas 1)
 * await cluster.advance(300_000);   // the pod is evicted (EvictedByVPA) and recreated with cpu request 350m
 * ```
 */
export function verticalPodAutoscalerPlugin(options: VpaControllerOptions = {}): Plugin {
  return {
    name: VPA_PLUGIN_NAME,
    register(api) {
      api.addResource(VerticalPodAutoscalers);
      api.addResource(VerticalPodAutoscalerCheckpoints);
      api.addAdmissionHook(vpaAdmissionHook());
      api.addController((manager) => vpaRecommenderController(manager, options));
      api.addController((manager) => vpaUpdaterController(manager, options));
      api.reconciles(VerticalPodAutoscalers);
      for (const i of VPA_INVARIANTS) api.addInvariant(i);
    },
  };
}

/**
 * Registration: the HPA controller and its invariants as one core `Plugin`.
 *
 * @module
 */
import { HorizontalPodAutoscalers, type Plugin } from '@kubeloop/core';
import { horizontalPodAutoscalerController, type HpaControllerOptions } from './controller.js';
import { HPA_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link horizontalPodAutoscalerPlugin} returns. */
export const HPA_PLUGIN_NAME = 'kubeloop.dev/horizontal-pod-autoscaler';

/**
 * A core plugin that adds the HPA controller (upstream `pkg/controller/podautoscaler`): every
 * 15 s each HorizontalPodAutoscaler reads its target's scale and its metrics — Resource and
 * ContainerResource from the PodMetrics the metrics-server plugin serves, Pods and Object from
 * the MetricValues and External from the ExternalMetricValues a metrics adapter plugin
 * publishes — proposes the largest count over them (`ceil(usageRatio × readyPods)` and its
 * variants), applies its behavior and bounds, scales the target through its `scale`
 * subresource and writes its status, conditions and upstream's events; and its invariants
 * `hpaScalesWithinBounds`, `hpaScaleStepsWithinPolicies` and `hpaScaleDownsStabilized`.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1 });
 * await cluster.apply(phpApacheYaml); // Deployment php-apache (cpu request 200m, annotated kubeloop.dev/cpu-usage: 300m) + HPA (50%, 1..10)
 * await cluster.advance(60_000);      // event SuccessfulRescale: New size: 2; reason: cpu resource utilization (percentage of request) above target
 * ```
 */
export function horizontalPodAutoscalerPlugin(options: HpaControllerOptions = {}): Plugin {
  return {
    name: HPA_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => horizontalPodAutoscalerController(manager, options));
      api.reconciles(HorizontalPodAutoscalers);
      for (const i of HPA_INVARIANTS) api.addInvariant(i);
    },
  };
}

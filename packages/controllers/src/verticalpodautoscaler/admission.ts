/**
 * The VPA admission controller (upstream `vertical-pod-autoscaler/pkg/admission-controller`) as
 * a mutating admission hook on pod creation.
 *
 * @module
 */
import type { AdmissionHook, Pod } from '@kubeloop/core';
import { VerticalPodAutoscalers } from './kind.js';
import type { VerticalPodAutoscaler } from './kind.js';
import { controllingVpa } from './target.js';
import { applyRecommendation } from './update.js';

/** The hook's name. */
export const VPA_ADMISSION = 'vpa-admission-controller';

/**
 * A mutating hook that sets, on every pod created, the requests the controlling VPA
 * recommends (and limits in proportion), unless the VPA's mode is `Off` or it has no
 * recommendation yet; see `applyRecommendation`.
 */
export function vpaAdmissionHook(): AdmissionHook {
  return {
    name: VPA_ADMISSION,
    resources: ['pods'],
    operations: ['CREATE'],
    mutate(request) {
      if (request.subresource !== undefined) return undefined;
      const pod = request.object as Pod;
      const vpas = request.store.list(VerticalPodAutoscalers, pod.metadata.namespace ?? '') as readonly VerticalPodAutoscaler[];
      if (vpas.length === 0) return undefined;
      const vpa = controllingVpa(pod, vpas, request.store);
      if (vpa === undefined) return undefined;
      return applyRecommendation(pod, vpa);
    },
  };
}

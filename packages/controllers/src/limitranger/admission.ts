/**
 * The LimitRanger admission plugin (upstream `plugin/pkg/admission/limitranger`), as one
 * admission hook: it defaults a new pod's requests and limits from its namespace's LimitRanges,
 * then refuses, with 403, a pod or claim outside their bounds.
 *
 * @module
 */
import { LimitRanges, forbidden } from '@kubeloop/core';
import type { AdmissionHook, AdmissionRequest, KubeObject, PersistentVolumeClaim, Pod } from '@kubeloop/core';
import { aggregateMessage, applyContainerDefaults, claimLimitViolations, podLimitViolations } from './decide.js';

/** The hook's name, as upstream's admission plugin. */
export const LIMIT_RANGER = 'LimitRanger';

/**
 * The LimitRanger admission hook. As upstream, on a pod's CREATE and on a claim's CREATE and
 * UPDATE (subresources aside; a pod's containers cannot change after creation, so its updates
 * are not checked), with the namespace's LimitRanges in name order:
 * - mutating: a pod's containers get the ranges' default requests and limits for what they
 *   leave unset, and the annotation `kubernetes.io/limit-ranger` says which
 *   ({@link applyContainerDefaults});
 * - validating: a pod whose containers or whose total break a range's `min`, `max` or
 *   `maxLimitRequestRatio`, or a claim whose request breaks its `min` or `max`, is refused:
 *   `pods "web" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m`
 *   (several reasons as `[first, second]`).
 *
 * Mutation runs before every validating hook, so the ResourceQuota hook sees the defaults (a
 * quota on `requests.cpu` admits a pod whose request came from a LimitRange), as upstream.
 */
export function limitRangerAdmission(): AdmissionHook {
  const applies = (request: AdmissionRequest): boolean =>
    request.subresource === undefined && request.object.metadata.namespace !== undefined && (request.resource.resource === 'pods' ? request.operation === 'CREATE' : request.oldObject?.metadata.deletionTimestamp === undefined);
  return {
    name: LIMIT_RANGER,
    resources: ['pods', 'persistentvolumeclaims'],
    operations: ['CREATE', 'UPDATE'],
    // A new object whose added requests and limits are the LimitRange's own (decoded) strings.
    producesDecoded: true,
    mutate(request): KubeObject | void {
      if (request.resource.resource !== 'pods' || !applies(request)) return;
      const ranges = request.store.list(LimitRanges, request.object.metadata.namespace);
      if (ranges.length === 0) return;
      return applyContainerDefaults(request.object as Pod, ranges);
    },
    validate(request): void {
      if (!applies(request)) return;
      const { resource, object } = request;
      const ranges = request.store.list(LimitRanges, object.metadata.namespace);
      if (ranges.length === 0) return;
      const why = resource.resource === 'pods' ? podLimitViolations(object as Pod, ranges) : claimLimitViolations(object as PersistentVolumeClaim, ranges);
      if (why.length > 0) throw forbidden(resource.plural, resource.group, object.metadata.name ?? '', aggregateMessage(why));
    },
  };
}

/**
 * The ResourceQuota admission plugin (upstream `plugin/pkg/admission/resourcequota`): a create
 * in a namespace is refused with 403 when it would take a quota's usage beyond its limit, when
 * a pod does not state what a quota tracks, or when a quota's usage is not known yet.
 *
 * @module
 */
import { ResourceQuotas, forbidden, parseQuantity } from '@kubeloop/core';
import type { AdmissionHook, AdmissionRequest, Pod } from '@kubeloop/core';
import { formatUsage, podConstraintViolation, quotaUsage, scopesSelect, tracks, usageOf } from './decide.js';

/** The hook's name, as upstream's admission plugin. */
export const RESOURCE_QUOTA_ADMISSION = 'ResourceQuota';

/**
 * The ResourceQuota admission hook, on every create of a namespaced object (subresources
 * aside, as upstream). For each quota in the object's namespace whose `status.hard` names a
 * resource the object can use and whose scopes select it, in name order:
 * - a pod that does not state a tracked cpu or memory request or limit in every container is
 *   refused: `failed quota: <quota>: must specify requests.cpu for: app`;
 * - a quota whose `status.used` lacks one of those resources has not been computed yet:
 *   `status unknown for quota: <quota>, resources: <names>`;
 * - the object's usage added to what the namespace's objects of its kind use now must stay
 *   within `status.hard`, else
 *   `exceeded quota: <quota>, requested: pods=1, used: pods=2, limited: pods=2`.
 *
 * A quota the quota controller has not processed yet (no `status.hard`) constrains nothing, as
 * upstream. Caveat: upstream's admission reserves the usage by writing `status.used`, so that
 * two creates in flight cannot both take the last unit; the in-memory API server admits one
 * write at a time, and the hook counts what the store holds at that moment instead, which is
 * what the reservation keeps `status.used` equal to. `status.used` is written by the quota
 * controller alone.
 */
export function resourceQuotaAdmission(): AdmissionHook {
  return {
    name: RESOURCE_QUOTA_ADMISSION,
    operations: ['CREATE'],
    validate(request: AdmissionRequest): void {
      const { resource, object, store, now } = request;
      const namespace = object.metadata.namespace;
      if (request.subresource !== undefined || !resource.namespaced || namespace === undefined) return;
      const quotas = store.list(ResourceQuotas, namespace);
      if (quotas.length === 0) return;
      const name = object.metadata.name ?? '';
      const refuse = (why: string): never => {
        throw forbidden(resource.plural, resource.group, name, why);
      };
      const usage = quotaUsage(resource, object, now);
      let existing: readonly typeof object[] | undefined;
      for (const quota of quotas) {
        const hard = quota.status.hard ?? {};
        const restricted = Object.keys(hard).filter((n) => tracks(resource, n));
        if (restricted.length === 0 || !scopesSelect(quota, resource, object)) continue;
        const quotaName = quota.metadata.name ?? '';
        if (resource.resource === 'pods') {
          const missing = podConstraintViolation(object as Pod, restricted);
          if (missing !== undefined) refuse(`failed quota: ${quotaName}: ${missing}`);
        }
        const recorded = quota.status.used ?? {};
        if (restricted.some((n) => recorded[n] === undefined)) refuse(`status unknown for quota: ${quotaName}, resources: ${[...restricted].sort().join(',')}`);
        const requested = restricted.filter((n) => usage.has(n));
        if (requested.length === 0) continue;
        existing ??= store.list(resource, namespace);
        const used = usageOf(quota, resource, existing, requested, now);
        const exceeded = requested.filter((n) => used.get(n)!.add(usage.get(n)!).cmp(parseQuantity(hard[n]!)) > 0);
        if (exceeded.length === 0) continue;
        const limits = new Map(exceeded.map((n) => [n, parseQuantity(hard[n]!)]));
        refuse(`exceeded quota: ${quotaName}, requested: ${formatUsage(usage, exceeded)}, used: ${formatUsage(used, exceeded)}, limited: ${formatUsage(limits, exceeded)}`);
      }
    },
  };
}

/**
 * The Priority admission plugin (upstream `plugin/pkg/admission/priority`), as one admission
 * hook: it resolves a new pod's `priorityClassName` into `spec.priority` and
 * `spec.preemptionPolicy`, and keeps a cluster to one global default PriorityClass.
 *
 * @module
 */
import { PriorityClasses, forbidden } from '@kubeloop/core';
import type { AdmissionHook, AdmissionRequest, KubeObject, Pod, PriorityClass } from '@kubeloop/core';

/** The hook's name, as upstream's admission plugin. */
export const PRIORITY_ADMISSION = 'Priority';

/**
 * The global default class (upstream `getDefaultPriorityClass`): of the classes marked
 * `globalDefault`, the one with the lowest value (two can exist after a race), else undefined.
 */
export function defaultPriorityClass(classes: readonly PriorityClass[]): PriorityClass | undefined {
  let found: PriorityClass | undefined;
  for (const pc of classes) if (pc.globalDefault === true && (found === undefined || pc.value < found.value)) found = pc;
  return found;
}

/**
 * The Priority admission hook. As upstream, subresources aside:
 * - a pod's CREATE (mutating): `spec.priority` and `spec.preemptionPolicy` come from the class
 *   named by `spec.priorityClassName`; with no name, from the global default class (whose name
 *   the pod then gets), else priority 0 and `PreemptLowerPriority`. Refused with 403:
 *   `no PriorityClass with name high was found`, or a `spec.priority` (or `preemptionPolicy`)
 *   set in the request that differs from the class's;
 * - a pod's UPDATE: a request that leaves `priority` or `preemptionPolicy` out keeps the stored
 *   ones (validation then refuses any other change of them);
 * - a PriorityClass's CREATE or UPDATE (validating): a second `globalDefault` class is refused:
 *   `PriorityClass low is already marked as default. Only one default can exist`.
 */
export function priorityAdmission(): AdmissionHook {
  return {
    name: PRIORITY_ADMISSION,
    resources: ['pods', 'priorityclasses.scheduling.k8s.io'],
    operations: ['CREATE', 'UPDATE'],
    // A new object whose new fields are an integer and an enum string, as decoding gives them.
    producesDecoded: true,
    mutate(request): KubeObject | void {
      if (request.subresource !== undefined || request.resource.resource !== 'pods') return;
      const pod = request.object as Pod;
      if (request.operation === 'UPDATE') {
        const old = request.oldObject as Pod | undefined;
        const priority = pod.spec.priority ?? old?.spec.priority;
        const preemptionPolicy = pod.spec.preemptionPolicy ?? old?.spec.preemptionPolicy;
        if (priority === pod.spec.priority && preemptionPolicy === pod.spec.preemptionPolicy) return;
        const kept: Pod = { ...pod, spec: { ...pod.spec, ...(priority === undefined ? {} : { priority }), ...(preemptionPolicy === undefined ? {} : { preemptionPolicy }) } };
        return kept;
      }
      return resolvePriority(request, pod);
    },
    validate(request): void {
      if (request.subresource !== undefined || request.resource.resource === 'pods') return;
      const pc = request.object as PriorityClass;
      if (pc.globalDefault !== true) return;
      const current = defaultPriorityClass(request.store.list(PriorityClasses));
      if (current === undefined || (request.operation === 'UPDATE' && current.metadata.name === pc.metadata.name)) return;
      throw forbidden(request.resource.plural, request.resource.group, pc.metadata.name ?? '', `PriorityClass ${current.metadata.name ?? ''} is already marked as default. Only one default can exist`);
    },
  };
}

function resolvePriority(request: AdmissionRequest, pod: Pod): Pod {
  const refuse = (why: string): never => {
    throw forbidden(request.resource.plural, request.resource.group, pod.metadata.name ?? '', why);
  };
  const name = pod.spec.priorityClassName ?? '';
  let pc: PriorityClass | undefined;
  if (name === '') pc = defaultPriorityClass(request.store.list(PriorityClasses));
  else {
    pc = request.store.get(PriorityClasses, { name });
    if (pc === undefined) refuse(`no PriorityClass with name ${name} was found`);
  }
  const priority = pc?.value ?? 0;
  const preemptionPolicy = pc?.preemptionPolicy ?? 'PreemptLowerPriority';
  if (pod.spec.priority !== undefined && pod.spec.priority !== priority) {
    refuse(`the integer value of priority (${pod.spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  if (pod.spec.preemptionPolicy !== undefined && pod.spec.preemptionPolicy !== preemptionPolicy) {
    refuse(`the string value of PreemptionPolicy (${pod.spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${preemptionPolicy} from the given PriorityClass name`);
  }
  return { ...pod, spec: { ...pod.spec, ...(name === '' && pc !== undefined ? { priorityClassName: pc.metadata.name } : {}), priority, preemptionPolicy } };
}

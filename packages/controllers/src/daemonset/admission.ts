/**
 * The DaemonSet template generation, kept by the API server upstream (the DaemonSet registry
 * strategy bumps `spec.templateGeneration` when the template changes; apps/v1 shows it as the
 * `deprecated.daemonset.template.generation` annotation). Here it is a mutating admission hook
 * the DaemonSet plugin installs, since core's DaemonSet definition does not keep it.
 *
 * @module
 */
import { deepEqual } from '@kubeloop/core';
import type { AdmissionHook, DaemonSet } from '@kubeloop/core';
import { TEMPLATE_GENERATION_ANNOTATION, templateGeneration } from './decide.js';

/** The name of the hook {@link templateGenerationHook} returns. */
export const TEMPLATE_GENERATION_HOOK = 'DaemonSetTemplateGeneration';

/**
 * The template generation a DaemonSet write should carry (upstream `PrepareForCreate` /
 * `PrepareForUpdate`): on create the given one if ≥ 1, else 1; on update the old one, plus one
 * when the template changed. Pure.
 *
 * @example
 * ```ts
 * nextTemplateGeneration(created, undefined); // 1
 * nextTemplateGeneration(withNewImage, old);  // old's + 1
 * nextTemplateGeneration(scaledStatus, old);  // old's
 * ```
 */
export function nextTemplateGeneration(ds: DaemonSet, old: DaemonSet | undefined): number {
  if (old === undefined) return Math.max(templateGeneration(ds) ?? 1, 1);
  const before = templateGeneration(old) ?? 1;
  return deepEqual(ds.spec.template, old.spec.template) ? before : before + 1;
}

/**
 * A mutating admission hook on DaemonSet CREATE and UPDATE (not status writes) that sets the
 * `deprecated.daemonset.template.generation` annotation: 1 on create, the old value + 1 when
 * the pod template changes, the old value otherwise.
 *
 * Guarantees: a write that leaves the template alone keeps the annotation's value, even if the
 * client dropped or changed it (as upstream, where the field is owned by the server).
 */
export function templateGenerationHook(): AdmissionHook {
  return {
    name: TEMPLATE_GENERATION_HOOK,
    resources: ['daemonsets.apps'],
    operations: ['CREATE', 'UPDATE'],
    // A new DaemonSet that differs in an annotation only (metadata is always decoded).
    producesDecoded: true,
    mutate(request) {
      if (request.subresource !== undefined) return;
      const ds = request.object as DaemonSet;
      const generation = String(nextTemplateGeneration(ds, request.oldObject as DaemonSet | undefined));
      if (ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] === generation) return;
      return { ...ds, metadata: { ...ds.metadata, annotations: { ...(ds.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: generation } } } as DaemonSet;
    },
  };
}

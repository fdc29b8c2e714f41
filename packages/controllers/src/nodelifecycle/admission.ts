/**
 * The DefaultTolerationSeconds admission plugin, as a mutating admission hook.
 *
 * @module
 */
import type { AdmissionHook, Pod, Toleration } from '@kubeloop/core';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './decide.js';

/** `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`: 300. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** The name of the hook {@link defaultTolerationSeconds} returns. */
export const DEFAULT_TOLERATION_SECONDS_HOOK = 'DefaultTolerationSeconds';

/**
 * The tolerations DefaultTolerationSeconds adds to a pod: `not-ready:NoExecute` and
 * `unreachable:NoExecute` (operator `Exists`) for `seconds`, each unless the pod already has a
 * toleration with that key and an empty or `NoExecute` effect (upstream's check). Pure.
 */
export function withDefaultTolerations(tolerations: readonly Toleration[] | undefined, seconds = DEFAULT_TOLERATION_SECONDS): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
    const has = out.some((t) => t.key === key && (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute'));
    if (!has) out.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  return out;
}

/**
 * The DefaultTolerationSeconds admission plugin (upstream
 * `plugin/pkg/admission/defaulttolerationseconds`): on pod CREATE, gives the pod tolerations
 * of the `not-ready` and `unreachable` `NoExecute` taints for {@link DEFAULT_TOLERATION_SECONDS},
 * so a pod outlives a short node outage by five minutes and is then evicted.
 *
 * Guarantees: tolerations the pod has are kept as they are; only CREATE is mutated (tolerations
 * cannot be added on update upstream, where this plugin also only acts on create).
 */
export function defaultTolerationSeconds(seconds = DEFAULT_TOLERATION_SECONDS): AdmissionHook {
  return {
    name: DEFAULT_TOLERATION_SECONDS_HOOK,
    resources: ['pods'],
    operations: ['CREATE'],
    // A new pod with tolerations as the Pod schema decodes them (checked in admission.test.ts).
    producesDecoded: true,
    mutate(request) {
      if (request.subresource !== undefined) return;
      const pod = request.object as Pod;
      return { ...pod, spec: { ...pod.spec, tolerations: withDefaultTolerations(pod.spec.tolerations, seconds) } } as Pod;
    },
  };
}

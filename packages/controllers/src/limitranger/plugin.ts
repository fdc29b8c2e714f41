/**
 * Registration: the LimitRanger admission hook as a core `Plugin`.
 *
 * @module
 */
import { LimitRanges } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { limitRangerAdmission } from './admission.js';

/** The name of the plugin {@link limitRangerPlugin} returns. */
export const LIMIT_RANGER_PLUGIN_NAME = 'kubeloop.dev/limitranger';

/**
 * A core plugin that installs the LimitRanger admission hook ({@link limitRangerAdmission}) on
 * the host's API server: kube-apiserver enables the `LimitRanger` admission plugin by default,
 * so a LimitRange in a namespace defaults and bounds the requests and limits of the pods (and
 * the storage of the claims) created there. No controller: LimitRanges act at admission only.
 * `SimCluster` uses it by default, ahead of the resource quota plugin (upstream's order).
 *
 * Errors: the host fails with `unsupported` when it has no admission target.
 *
 * @example
 * ```ts
 * new PluginHost({ registry, admission: server }).use(limitRangerPlugin());
 * ```
 */
export function limitRangerPlugin(): Plugin {
  return {
    name: LIMIT_RANGER_PLUGIN_NAME,
    register(api) {
      api.addAdmissionHook(limitRangerAdmission());
      api.reconciles(LimitRanges);
    },
  };
}

/**
 * Registration: the Priority admission hook as a core `Plugin`.
 *
 * @module
 */
import { PriorityClasses } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { priorityAdmission } from './admission.js';

/** The name of the plugin {@link priorityPlugin} returns. */
export const PRIORITY_PLUGIN_NAME = 'kubeloop.dev/priority';

/**
 * A core plugin that installs the Priority admission hook ({@link priorityAdmission}) on the
 * host's API server, which kube-apiserver enables by default: every new pod gets
 * `spec.priority` and `spec.preemptionPolicy` from its PriorityClass (or the global default, or
 * 0), which the scheduler orders its queue and preempts by. `SimCluster` uses it by default and
 * creates the system classes (`SYSTEM_PRIORITY_CLASSES` in core) at start, as kube-apiserver
 * does; a host that leaves them out refuses pods that name them.
 *
 * Errors: the host fails with `unsupported` when it has no admission target.
 *
 * @example
 * ```ts
 * new PluginHost({ registry, admission: server }).use(priorityPlugin());
 * ```
 */
export function priorityPlugin(): Plugin {
  return {
    name: PRIORITY_PLUGIN_NAME,
    register(api) {
      api.addAdmissionHook(priorityAdmission());
      api.reconciles(PriorityClasses);
    },
  };
}

/**
 * The verbs a kind serves (upstream: the interfaces its REST storage implements — the metrics
 * API's `pods.metrics.k8s.io` is a `Getter` and a `Lister`, nothing else), and the one way past
 * them: the plugin that serves a read-only kind (metrics-server for PodMetrics and NodeMetrics)
 * writes it with {@link internalWrite}, as upstream's metrics-server fills its own storage.
 *
 * @module
 */
import { ApiError } from '../../api/errors.js';
import type { ResourceDefinition, ResourceVerb } from '../../api/registry.js';

/** The mark {@link internalWrite} sets on write options: a symbol, so it never crosses HTTP or JSON. */
const INTERNAL_WRITE: unique symbol = Symbol('kubeloop.dev/internal-write');

/**
 * `options` marked as a write by the component that serves the kind, which the API server lets
 * past the kind's `verbs` (see `ResourceSpec.verbs`). The mark is a symbol property: it survives
 * object spreads in client wrappers, and is lost (so the write is refused) over HTTP.
 *
 * Caveats: a convention within one process, not a security boundary — any in-process code may
 * call it; it exists so that the serving plugin can keep a read-only kind up to date.
 *
 * @example
 * ```ts
 * await client.create(PodMetricses, metrics, internalWrite());          // metrics-server
 * await client.delete(PodMetricses, key, internalWrite({ dryRun: false }));
 * await client.create(PodMetricses, metrics);                            // 405 MethodNotAllowed
 * ```
 */
export function internalWrite<O extends object>(options?: O): O {
  return { ...(options ?? ({} as O)), [INTERNAL_WRITE]: true };
}

/**
 * Refuses `verb` on `resource` when the kind does not serve it and the write is not an
 * {@link internalWrite}: 405 MethodNotAllowed with upstream's message
 * (`the server does not allow this method on the requested resource`).
 */
export function requireVerb(resource: ResourceDefinition, verb: ResourceVerb, options: object, name: string | undefined): void {
  if (resource.verbs === undefined || resource.verbs.includes(verb)) return;
  if ((options as { [INTERNAL_WRITE]?: unknown })[INTERNAL_WRITE] === true) return;
  throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource', { group: resource.group, kind: resource.plural, ...(name ? { name } : {}) });
}

/**
 * The node proxy of `kubeloop serve` (`/api/v1/nodes/<node>/proxy/<path>`, what
 * `kubectl get --raw` asks): the API server passes the request to the node's kubelet, which
 * answers `GET stats/summary` (the Summary API, JSON) and `GET metrics/resource` (the resource
 * metrics, Prometheus text). Authorization is the gate's, on `nodes/proxy` as upstream.
 *
 * @module
 */
import { ApiError, notFound } from '@kubeloop/core';

/** What the node proxy needs of a node's kubelet. */
export interface ProxiedKubelet {
  /** Whether the kubelet answers (a stopped one does not). */
  readonly running: boolean;
  /** `GET /stats/summary`. */
  statsSummary(): unknown;
  /** `GET /metrics/resource`. */
  resourceMetrics(): string;
}

/** Where the node proxy finds a node's kubelet: undefined for a node without one. */
export type KubeletSource = (node: string) => ProxiedKubelet | undefined;

/** What the node proxy answers. */
export interface ProxyReply {
  /** The HTTP status. */
  readonly code: number;
  /** The `Content-Type`. */
  readonly contentType: string;
  /** The body. */
  readonly body: string;
}

/** The content type of the Prometheus text format, as the kubelet writes it. */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Answers `method` on `path` (the segments after `proxy/`) of `node`'s kubelet.
 *
 * Errors: {@link ApiError} `NotFound` (`nodes "x" not found`) for a node without a kubelet,
 * `ServiceUnavailable` for a stopped one, `MethodNotAllowed` for anything but GET; an unknown
 * path is the kubelet's own `404 page not found`.
 */
export function nodeProxy(kubelets: KubeletSource, method: string, node: string, path: readonly string[]): ProxyReply {
  const kubelet = kubelets(node);
  if (kubelet === undefined) throw notFound('nodes', '', node);
  if (!kubelet.running) throw new ApiError('ServiceUnavailable', `error trying to reach service: the kubelet of node "${node}" is not running`);
  const route = path.join('/');
  if (route !== 'stats/summary' && route !== 'metrics/resource') return { code: 404, contentType: 'text/plain; charset=utf-8', body: '404 page not found\n' };
  if (method !== 'GET' && method !== 'HEAD') throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (route === 'stats/summary') return { code: 200, contentType: 'application/json', body: JSON.stringify(kubelet.statsSummary(), undefined, 2) };
  return { code: 200, contentType: PROMETHEUS_TEXT, body: kubelet.resourceMetrics() };
}

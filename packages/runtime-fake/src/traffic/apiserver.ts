/**
 * The API server as the traffic model reaches it: the address the `kubernetes` Service's
 * endpoints name (`--advertise-address`, port 6443) answers as kube-apiserver answers a client
 * that shows no credentials, in a kind cluster (anonymous authentication on, kubeadm's RBAC):
 *
 * | request | answer |
 * |---|---|
 * | plain `http://` | 400 `Client sent an HTTP request to an HTTPS server.` (Go's TLS server) |
 * | `GET /version` | 200, the `/version` document (core's {@link versionDocument}) |
 * | `GET /healthz`, `/livez`, `/readyz` | 200 `ok` |
 * | anything else | 403 Status, e.g. `forbidden: User "system:anonymous" cannot get path "/api"` |
 *
 * Anonymous requests are `system:anonymous` in `system:unauthenticated`; the bootstrap
 * ClusterRole `system:public-info-viewer`, bound to `system:unauthenticated`, allows them
 * `get` of `/healthz`, `/livez`, `/readyz`, `/version` and `/version/` and nothing else (with
 * anonymous authentication off, the same requests get 401 `Unauthorized` instead). The policy
 * is the bootstrap one, not read from the cluster's ClusterRoles: a cluster that edits it is not
 * followed here.
 *
 * JSON answers are indented by two spaces, as kube-apiserver writes `/version` always and a
 * Status for clients whose User-Agent is curl's or wget's (the only clients here).
 *
 * @module
 */
import { forbiddenStatusMessage, requestAttributes, versionDocument } from '@kubeloop/core';
import type { UserInfo, VersionInfo } from '@kubeloop/core';
import type { NamespacedName } from './tables.js';

/** kube-apiserver's secure port (`--secure-port`), the `kubernetes` Service's target port. */
export const API_SERVER_SECURE_PORT = 6443;

/** Where the API server listens and what it reports, for the traffic model. */
export interface ApiServerEndpoint {
  /** Its address (`--advertise-address`, the `kubernetes` Service's endpoint), e.g. `172.18.0.1`. */
  readonly address: string;
  /** Its port (default {@link API_SERVER_SECURE_PORT}). */
  readonly port?: number | undefined;
  /** What `/version` reports (`kubeloop serve` passes the one it serves). */
  readonly version: VersionInfo;
}

/**
 * Who answered, in a traffic outcome's `backend`: `kube-system/kube-apiserver`. Not a pod of the
 * cluster: kubeloop's API server runs beside the nodes (kind's is the static pod
 * `kube-apiserver-kind-control-plane`).
 */
export const API_SERVER_BACKEND: NamespacedName = Object.freeze({ namespace: 'kube-system', name: 'kube-apiserver' });

/**
 * Why a client that verifies certificates refuses the API server's, in curl's words: it is
 * signed by the cluster's CA, which no client outside the cluster trusts.
 */
export const API_SERVER_UNTRUSTED_CERTIFICATE = 'SSL certificate problem: unable to get local issuer certificate';

/** The user of a request without credentials (anonymous authentication on, as in kind). */
export const ANONYMOUS_USER: UserInfo = Object.freeze({ username: 'system:anonymous', groups: Object.freeze(['system:unauthenticated']) });

/** The paths `system:public-info-viewer` lets anyone `get` (kubeadm's bootstrap policy). */
export const PUBLIC_INFO_PATHS: readonly string[] = Object.freeze(['/healthz', '/livez', '/readyz', '/version', '/version/']);

/**
 * kube-apiserver's answer to an anonymous `GET` of `path` (with its query) over `scheme` (see
 * the module's table). Pure.
 *
 * @example
 * answerAsApiServer('https', '/api', v) // 403, message `forbidden: User "system:anonymous" cannot get path "/api"`
 * answerAsApiServer('https', '/api/v1/namespaces/default/pods', v) // 403, `pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"`
 */
export function answerAsApiServer(scheme: string, path: string, version: VersionInfo): { readonly status: number; readonly body: string } {
  if (scheme !== 'https') return { status: 400, body: 'Client sent an HTTP request to an HTTPS server.\n' };
  const url = new URL(path, 'https://kubernetes.default.svc');
  if (url.pathname === '/version' || url.pathname === '/version/') return { status: 200, body: JSON.stringify(versionDocument(version), null, 2) };
  if (PUBLIC_INFO_PATHS.includes(url.pathname)) return { status: 200, body: 'ok' };
  const attributes = requestAttributes('GET', url);
  // upstream apierrors.NewForbidden: details name the resource (as `kind`), its group and the object's name, when set
  const details = attributes.kind === 'nonResource' ? {} : { ...(attributes.name === '' ? {} : { name: attributes.name }), ...(attributes.group === '' ? {} : { group: attributes.group }), kind: attributes.resource };
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: forbiddenStatusMessage(ANONYMOUS_USER, attributes), reason: 'Forbidden', details, code: 403 };
  return { status: 403, body: JSON.stringify(status, null, 2) };
}

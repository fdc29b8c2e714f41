/**
 * What kube-apiserver answers to `GET /version` (upstream `k8s.io/apimachinery/pkg/version.Info`):
 * one builder, used by `kubeloop serve`'s HTTP handler and by the traffic model's API server
 * (a pod's `curl https://kubernetes.default.svc/version`).
 *
 * @module
 */

/** The version a server reports: the parts that differ between builds. */
export interface VersionInfo {
  /** e.g. `1`. */
  readonly major: string;
  /** e.g. `34`. */
  readonly minor: string;
  /** e.g. `v1.34.0+kubeloop.0.1.0`. */
  readonly gitVersion: string;
}

/** The whole `/version` document (upstream `version.Info`), fields in upstream's order. */
export interface VersionDocument extends VersionInfo {
  /** Always forty zeros: kubeloop is not built from a Kubernetes commit. */
  readonly gitCommit: string;
  /** `clean`. */
  readonly gitTreeState: string;
  /** A fixed date, so that runs print the same document. */
  readonly buildDate: string;
  /** The runtime it runs on, e.g. `node20.11.1` (upstream: `go1.24.4`). */
  readonly goVersion: string;
  /** `kubeloop` (upstream: `gc`). */
  readonly compiler: string;
  /** `<os>/<arch>` of the process, e.g. `linux/x64`. */
  readonly platform: string;
}

/**
 * The Kubernetes release kubeloop follows, with `build` (kubeloop's own version) as build
 * metadata: `servedKubernetesVersion('0.1.0')` is `{major: '1', minor: '34', gitVersion:
 * 'v1.34.0+kubeloop.0.1.0'}`; without `build`, `v1.34.0+kubeloop`.
 */
export function servedKubernetesVersion(build?: string): VersionInfo {
  return { major: '1', minor: '34', gitVersion: `v1.34.0+kubeloop${build === undefined ? '' : `.${build}`}` };
}

/** The `/version` document of a server reporting `info`, as kube-apiserver's fields (see {@link VersionDocument}). */
export function versionDocument(info: VersionInfo): VersionDocument {
  return { major: info.major, minor: info.minor, gitVersion: info.gitVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: `node${process.versions.node}`, compiler: 'kubeloop', platform: `${process.platform}/${process.arch}` };
}

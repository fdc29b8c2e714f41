/**
 * The DaemonSet suites' shared manifest (not exported from the package).
 *
 * @module
 */

/**
 * A DaemonSet `name` in `default` whose pods (labelled `app: name`) run one container of
 * `image`, with `podSpec` merged into the pod template's spec and `spec` into the DaemonSet's.
 */
export function daemonSetManifest(name: string, image: string, podSpec: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }], ...podSpec } },
      ...spec,
    },
  };
}

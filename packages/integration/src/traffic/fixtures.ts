/** Manifests shared by the traffic suites: pods pinned to nodes, ready or never ready, and Services over them. */

/** A whoami pod named `name` on `node`; `ready: false` never passes readiness. */
export function webPod(name: string, node: string, ready: boolean): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ...(ready ? {} : { annotations: { 'kubeloop.dev/behavior': 'not-ready-for=1h' } }) },
    spec: {
      nodeName: node,
      hostname: name,
      subdomain: 'web-headless',
      containers: [{ name: 'web', image: 'kiamol/ch02-whoami', ports: [{ containerPort: 80, name: 'http' }], readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 } }],
    },
  };
}

/** A client pod (busybox, sleeping) on `node`. */
export function clientPod(name: string, node: string): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'sh', image: 'busybox', command: ['sleep', '1d'] }] } };
}

/** `web` (NodePort 30080, the given policies), `web-headless` (clusterIP None), over app=web. */
export function webServices(policies: { readonly external: 'Cluster' | 'Local'; readonly internal: 'Cluster' | 'Local'; readonly affinity?: boolean | undefined }): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        type: 'NodePort',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }],
        externalTrafficPolicy: policies.external,
        internalTrafficPolicy: policies.internal,
        ...(policies.affinity === true ? { sessionAffinity: 'ClientIP' } : {}),
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-headless', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
  ];
}

/** The node IPs of a SimCluster's default nodes `node-1` … (172.18.0.2 …). */
export const NODE_NAMES = ['node-1', 'node-2', 'node-3'] as const;

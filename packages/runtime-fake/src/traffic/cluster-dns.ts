/**
 * The cluster DNS add-on as kubeadm (and so kind) installs it (`cmd/kubeadm/app/phases/addons/dns`):
 * CoreDNS as the Deployment `coredns` in `kube-system` (2 replicas, pods labelled
 * `k8s-app=kube-dns`), behind the Service `kube-dns` at the tenth address of the service CIDR
 * (`10.96.0.10`), with its ConfigMap (the Corefile), ServiceAccount and RBAC.
 *
 * The fake runtime runs the CoreDNS image as a server that runs until stopped and passes its
 * probes (the default behavior); the traffic model answers the queries (see `./dns.ts`), and,
 * given the DNS address (its `clusterDnsServer` option), only while kube-proxy has an endpoint of
 * that Service to send them to.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import { CLUSTER_DOMAIN } from './dns.js';

/** The CoreDNS image kubeadm v1.34 deploys (`DefaultCoreDNSVersion` v1.12.1). */
export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.12.1';

/** The cluster DNS Service, `kube-system/kube-dns`. */
export const KUBE_DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;

/** The label CoreDNS's pods carry and the `kube-dns` Service selects: `k8s-app=kube-dns`. */
export const KUBE_DNS_LABELS: Readonly<Record<string, string>> = Object.freeze({ 'k8s-app': 'kube-dns' });

/**
 * The cluster DNS address for a service CIDR, as kubeadm picks it (`GetDNSIP`: the address at
 * index 10 of the range).
 *
 * Errors: throws `Error` for a CIDR that is not IPv4 `a.b.c.d/n`.
 *
 * @example
 * ```ts
 * clusterDnsIP('10.96.0.0/12'); // '10.96.0.10'
 * clusterDnsIP('10.0.0.0/16');  // '10.0.0.10'
 * ```
 */
export function clusterDnsIP(serviceCIDR: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(serviceCIDR);
  if (m === null || Number(m[5]) > 28) throw new Error(`not an IPv4 service CIDR with room for the DNS address: ${JSON.stringify(serviceCIDR)}`);
  const bits = Number(m[5]);
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const network = bits === 0 ? 0 : (ip & (~0 << (32 - bits))) >>> 0;
  const dns = (network + 10) >>> 0;
  return [dns >>> 24, (dns >>> 16) & 255, (dns >>> 8) & 255, dns & 255].join('.');
}

/** The Corefile kubeadm writes (`CoreDNSConfigMap`). */
function corefile(domain: string): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${domain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${domain}
       disable denial ${domain}
    }
    loop
    reload
    loadbalance
}
`;
}

/**
 * The objects of the cluster DNS add-on, in the order kubeadm creates them: ServiceAccount
 * `coredns`, ClusterRole and ClusterRoleBinding `system:coredns`, ConfigMap `coredns`, Service
 * `kube-dns` (`clusterIP`; ports `dns` 53/UDP, `dns-tcp` 53/TCP, `metrics` 9153/TCP), Deployment
 * `coredns` (2 replicas; `priorityClassName: system-cluster-critical`; tolerations for
 * `CriticalAddonsOnly` and the control-plane taint; readiness `GET :8181/ready`, liveness
 * `GET :8080/health`; requests 100m CPU and 70Mi, limit 170Mi; `dnsPolicy: Default`).
 * Plain manifests: the caller creates them.
 */
export function clusterDnsObjects(options: { readonly clusterIP: string; readonly clusterDomain?: string | undefined }): readonly KubeObject[] {
  const ns = KUBE_DNS_SERVICE.namespace;
  const labels = { ...KUBE_DNS_LABELS };
  const objects: unknown[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: ns }, data: { Corefile: corefile(options.clusterDomain ?? CLUSTER_DOMAIN) } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: KUBE_DNS_SERVICE.name,
        namespace: ns,
        labels: { ...labels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        clusterIP: options.clusterIP,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: ns, labels },
      spec: {
        replicas: 2,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] }, topologyKey: 'kubernetes.io/hostname' } },
                ],
              },
            },
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
            ],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'coredns',
                image: COREDNS_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
                args: ['-conf', '/etc/coredns/Corefile'],
                volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
                ports: [
                  { containerPort: 53, name: 'dns', protocol: 'UDP' },
                  { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                  { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                ],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true },
                livenessProbe: { httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5 },
                readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' } },
              },
            ],
            dnsPolicy: 'Default',
            volumes: [{ name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } }],
          },
        },
      },
    },
  ];
  return objects as KubeObject[];
}

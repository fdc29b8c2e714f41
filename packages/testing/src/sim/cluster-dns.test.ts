/**
 * Cluster DNS as kubeadm and kind install it (issue 19): the `kube-dns` Service at 10.96.0.10
 * and the `coredns` Deployment in `kube-system`; pods' lookups answered only while the Service
 * has ready endpoints, as when CoreDNS's pods are down in a real cluster.
 */
import { describe, expect, it } from 'vitest';
import { Deployments, EndpointSlices, Pods, Services } from '@kubeloop/core';
import type { ClusterState, Pod } from '@kubeloop/core';
import { COREDNS_IMAGE, dnsReachabilityViolations } from '@kubeloop/runtime-fake';
import { StateTracker } from '../invariants/state.js';
import { SimCluster } from './cluster.js';

const apps = `
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: sh, image: busybox, command: [sh, -c, 'sleep 1d']}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: traefik/whoami, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;

const scaleCoreDns = async (cluster: SimCluster, replicas: number): Promise<void> => {
  const d = await cluster.get(Deployments, { namespace: 'kube-system', name: 'coredns' });
  await cluster.server.update(Deployments, { ...d, spec: { ...d.spec, replicas } });
  await cluster.settle();
};

describe('cluster DNS (the clusterDns option)', () => {
  it('installs the kube-dns Service and the coredns Deployment as kubeadm does, and CoreDNS runs as a server', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 2, clusterDns: true });
    try {
      await cluster.settle();
      const svc = await cluster.get(Services, { namespace: 'kube-system', name: 'kube-dns' });
      expect(svc.spec.clusterIP).toBe('10.96.0.10');
      expect(svc.metadata.labels).toEqual({ 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' });
      expect(svc.spec.selector).toEqual({ 'k8s-app': 'kube-dns' });
      expect(svc.spec.ports?.map((p) => [p.name, p.port, p.protocol])).toEqual([
        ['dns', 53, 'UDP'],
        ['dns-tcp', 53, 'TCP'],
        ['metrics', 9153, 'TCP'],
      ]);
      const d = await cluster.get(Deployments, { namespace: 'kube-system', name: 'coredns' });
      expect(d.status?.readyReplicas).toBe(2);
      const spec = d.spec.template.spec!;
      expect(spec.priorityClassName).toBe('system-cluster-critical');
      expect(spec.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
      expect(spec.containers[0]).toMatchObject({ image: COREDNS_IMAGE, readinessProbe: { httpGet: { path: '/ready', port: 8181 } }, livenessProbe: { httpGet: { path: '/health', port: 8080 } } });
      const pods = (await cluster.list(Pods, { namespace: 'kube-system' })).items;
      expect(pods.map((p) => [p.metadata.labels?.['k8s-app'], p.status?.phase])).toEqual([
        ['kube-dns', 'Running'],
        ['kube-dns', 'Running'],
      ]);
      const slices = (await cluster.list(EndpointSlices, { namespace: 'kube-system' })).items;
      expect(slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true)).toHaveLength(2);
    } finally {
      await cluster.stop();
    }
  });

  it('answers lookups only while kube-dns has ready endpoints: with CoreDNS scaled to 0 they time out, IP addresses still connect', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 2, clusterDns: true });
    try {
      await cluster.apply(apps);
      await cluster.settle();
      const model = cluster.traffic!;
      const client = model.pod({ namespace: 'default', name: 'client' })!;
      const from = { kind: 'pod', pod: { namespace: 'default', name: 'client' } } as const;
      const invariants = cluster.invariants().filter((i) => i.name === 'dnsFollowsKubeDnsEndpoints');
      expect(invariants).toHaveLength(1);
      const check = (): readonly unknown[] => invariants[0]!.check(new StateTracker(cluster).snapshot(), undefined);

      expect(model.exec(client, 'nslookup web').output).toMatch(/^Server:\t\t10\.96\.0\.10\n.*\nName:\tweb\.default\.svc\.cluster\.local\nAddress: 10\.\d+\.\d+\.\d+\n\n$/s);
      expect(model.send({ from, url: 'http://web/' }).kind).toBe('response');
      expect(check()).toEqual([]);

      await scaleCoreDns(cluster, 0);
      const before = cluster.now();
      const down = model.exec(client, 'nslookup web');
      expect(down).toEqual({ output: ';; connection timed out; no servers could be reached\n\n', exitCode: 1 });
      expect(model.exec(client, 'curl -sS http://web/')).toEqual({ output: 'curl: (6) Could not resolve host: web\n', exitCode: 6 });
      expect(model.send({ from, url: 'http://web/' })).toEqual({ kind: 'unresolved', host: 'web' });
      expect(cluster.now()).toBe(before); // exec runs on its own copy of time
      // by address, nothing needs DNS
      const webIP = (await cluster.get(Services, { namespace: 'default', name: 'web' })).spec.clusterIP!;
      expect(model.send({ from, url: `http://${webIP}/` }).kind).toBe('response');
      expect(check()).toEqual([]);

      await scaleCoreDns(cluster, 2);
      expect(model.exec(client, 'nslookup web').exitCode).toBe(0);
      expect(model.send({ from, url: 'http://web/' }).kind).toBe('response');
      expect(check()).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  it('is off by default: no kube-system pods, and lookups always answered', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 1 });
    try {
      await cluster.apply(apps);
      await cluster.settle();
      expect((await cluster.list(Services, { namespace: 'kube-system' })).items).toEqual([]);
      expect((await cluster.list(Pods, { namespace: 'kube-system' })).items).toEqual([]);
      expect(cluster.invariants().map((i) => i.name)).not.toContain('dnsFollowsKubeDnsEndpoints');
      const client = cluster.traffic!.pod({ namespace: 'default', name: 'client' })!;
      expect(cluster.traffic!.exec(client, 'nslookup web').exitCode).toBe(0);
    } finally {
      await cluster.stop();
    }
  });

  it('dnsFollowsKubeDnsEndpoints catches a resolver that ignores the DNS Service (broken on purpose, both ways)', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 2, clusterDns: true });
    try {
      await cluster.apply(apps);
      await cluster.settle();
      const state = (): ClusterState => new StateTracker(cluster).snapshot();
      const always = (): readonly string[] => ['10.96.0.1'];
      const never = (): readonly string[] => [];
      const lookup = (pod: Pod, name: string) => cluster.traffic!.lookup(pod, name);
      expect(dnsReachabilityViolations(state(), '10.96.0.10', lookup)).toEqual([]);
      expect(dnsReachabilityViolations(state(), '10.96.0.10', never).map((v) => v.message)).toContain('a lookup of kube-dns.kube-system.svc.cluster.local from default/client got no answer, though the DNS Service has a usable endpoint');
      await scaleCoreDns(cluster, 0);
      expect(dnsReachabilityViolations(state(), '10.96.0.10', lookup)).toEqual([]);
      expect(dnsReachabilityViolations(state(), '10.96.0.10', always).map((v) => v.message)).toContain('a lookup of kube-dns.kube-system.svc.cluster.local from default/client was answered, though no usable endpoint serves 10.96.0.10:53');
    } finally {
      await cluster.stop();
    }
  });
});

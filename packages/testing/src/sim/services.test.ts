/**
 * Service addresses through a whole SimCluster: the API server allocates them as upstream's
 * (`pkg/registry/core/service/storage`), the `kubernetes` Service exists from the start, and
 * the cluster states the allocation invariants for the ranges it was given.
 */
import { describe, expect, it } from 'vitest';
import { EndpointSlices, Endpoints, Services, isApiError, type Service } from '@kubeloop/core';
import { StateTracker } from '../invariants/state.js';
import { SimCluster } from './cluster.js';

const web = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
`;

describe('Service addresses in a SimCluster', () => {
  it('starts with the kubernetes Service, allocates as upstream, and keeps the allocation invariants', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: 2 });
    try {
      const kubernetes = await cluster.get(Services, { namespace: 'default', name: 'kubernetes' });
      expect(kubernetes.spec.clusterIP).toBe('10.96.0.1');
      const kubernetesEndpointsRV = (await cluster.get(Endpoints, { namespace: 'default', name: 'kubernetes' })).metadata.resourceVersion;
      const kubernetesSliceRV = (await cluster.get(EndpointSlices, { namespace: 'default', name: 'kubernetes' })).metadata.resourceVersion;
      await cluster.apply(web);
      await cluster.settle();
      const svc = await cluster.get(Services, { namespace: 'default', name: 'web' });
      expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
      expect(svc.spec.ports?.[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30080 });
      expect(svc.spec.externalTrafficPolicy).toBe('Cluster');
      expect((await cluster.get(Services, { namespace: 'default', name: 'web-headless' })).spec.clusterIPs).toEqual(['None']);
      // The endpoints controller serves the selected Services and leaves the selector-less kubernetes Service alone:
      // its Endpoints and EndpointSlice stay the API server's own (its address, 6443), as written at the start.
      expect((await cluster.get(Endpoints, { namespace: 'default', name: 'web' })).subsets?.[0]?.addresses).toHaveLength(2);
      const own = await cluster.get(Endpoints, { namespace: 'default', name: 'kubernetes' });
      expect(own.subsets).toEqual([{ addresses: [{ ip: '172.18.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
      expect(own.metadata.resourceVersion).toBe(kubernetesEndpointsRV);
      const slice = await cluster.get(EndpointSlices, { namespace: 'default', name: 'kubernetes' });
      expect(slice.metadata.resourceVersion).toBe(kubernetesSliceRV);
      expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });

      const e = await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: {name: copy}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n`).catch((x: unknown) => x);
      expect(isApiError(e, 'Invalid') && e.message).toBe('<input> (document 1, Service "copy"): Service "copy" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');

      const state = new StateTracker(cluster).snapshot();
      for (const i of cluster.invariants().filter((x) => x.name.startsWith('service'))) expect(i.check(state, undefined)).toEqual([]);

      await cluster.delete(Services, { namespace: 'default', name: 'web' });
      await cluster.settle();
      const again = await cluster.apply(`apiVersion: v1\nkind: Service\nmetadata: {name: again}\nspec: {type: NodePort, clusterIP: ${svc.spec.clusterIP}, ports: [{port: 80, nodePort: 30080}]}\n`);
      const created = again[0]?.object as Service;
      expect([created.spec.clusterIP, created.spec.ports?.[0]?.nodePort]).toEqual([svc.spec.clusterIP, 30080]);
    } finally {
      await cluster.stop();
    }
  });

  it('allocates the same addresses for the same seed, and from the service CIDR it is given', async () => {
    const run = async (range?: string) => {
      const cluster = await SimCluster.create({ seed: 3, nodes: 1, ...(range ? { serviceClusterIPRange: range } : {}) });
      try {
        await cluster.apply(web);
        return (await cluster.list(Services, { namespace: 'default' })).items.map((s) => `${s.metadata.name} ${s.spec.clusterIP}`);
      } finally {
        await cluster.stop();
      }
    };
    const a = await run();
    expect(a).toEqual(await run());
    const other = await run('10.0.0.0/16');
    expect(other[0]).toBe('kubernetes 10.0.0.1');
    expect(other[1]).toMatch(/^web 10\.0\./);
  });
});

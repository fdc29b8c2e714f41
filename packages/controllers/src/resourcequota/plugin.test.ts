/**
 * The resource quota plugin brings its admission hook with it: the host installs it on the API
 * server through the plugin API, as kube-apiserver runs the `ResourceQuota` admission plugin
 * next to kube-controller-manager's `resourcequota` controller.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, PluginHost, Pods, ResourceQuotas, RuntimeError, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { Pod, ResourceQuota } from '@kubeloop/core';
import { resourceQuotaPlugin } from './index.js';

async function quotaOfOnePod(server: ApiServer): Promise<void> {
  const hard = { pods: '1' };
  const q = await server.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'one', namespace: 'default' }, spec: { hard }, status: {} } as ResourceQuota);
  await server.updateStatus(ResourceQuotas, { ...q, status: { hard, used: { pods: '0' } } });
}

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }) as Pod;

function newServer(): { server: ApiServer; registry: ReturnType<typeof createBuiltinRegistry> } {
  const registry = createBuiltinRegistry();
  return { server: new ApiServer({ clock: new VirtualClock(), rng: seededRng(3), registry }), registry };
}

describe('resourceQuotaPlugin', () => {
  it('installs the ResourceQuota admission hook on the API server of the host that uses it', async () => {
    const { server, registry } = newServer();
    new PluginHost({ registry, admission: server }).use(resourceQuotaPlugin());
    await quotaOfOnePod(server);
    await server.create(Pods, pod('a'));
    await expect(server.create(Pods, pod('b'))).rejects.toThrow('pods "b" is forbidden: exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1');
  });

  it('leaves admission alone with admission: false, and needs an admission target otherwise', async () => {
    const { server, registry } = newServer();
    new PluginHost({ registry, admission: server }).use(resourceQuotaPlugin({ admission: false }));
    await quotaOfOnePod(server);
    await server.create(Pods, pod('a'));
    await server.create(Pods, pod('b'));
    expect(() => new PluginHost({ registry: createBuiltinRegistry() }).use(resourceQuotaPlugin())).toThrow(RuntimeError);
  });
});

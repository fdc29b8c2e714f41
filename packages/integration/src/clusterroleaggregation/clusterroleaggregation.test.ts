/**
 * ClusterRole aggregation on a SimCluster: the bootstrap `admin`, `edit` and `view` fill in, a
 * user's role labelled `aggregate-to-view` joins all three, and leaves them when the label goes.
 * The decisions are tabled next to the controller.
 */
import { describe, expect, it } from 'vitest';
import { ClusterRoles } from '@kubeloop/core';
import { aggregationIncomplete, ensureBootstrapPolicy } from '@kubeloop/controllers';
import { SimCluster } from '@kubeloop/testing';

describe('ClusterRole aggregation on a cluster', () => {
  it('aggregates the bootstrap roles, then follows a labelled role in and out', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 0 });
    try {
      await ensureBootstrapPolicy(cluster.server);
      await cluster.settle();
      const rulesOf = async (name: string) => (await cluster.get(ClusterRoles, { name })).rules ?? [];
      expect((await rulesOf('view')).length).toBeGreaterThan(0);
      expect((await rulesOf('admin')).length).toBeGreaterThan((await rulesOf('edit')).length);

      const widgets = { verbs: ['get', 'list'], apiGroups: ['example.com'], resources: ['widgets'] };
      await cluster.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'widget-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [widgets] });
      await cluster.settle();
      for (const name of ['view', 'edit', 'admin']) expect(await rulesOf(name), name).toContainEqual(widgets);
      expect(aggregationIncomplete((await cluster.list(ClusterRoles)).items)).toEqual([]);

      const labelled = await cluster.get(ClusterRoles, { name: 'widget-viewer' });
      await cluster.server.update(ClusterRoles, { ...labelled, metadata: { ...labelled.metadata, labels: {} } });
      await cluster.settle();
      for (const name of ['view', 'edit', 'admin']) expect(await rulesOf(name), name).not.toContainEqual(widgets);
    } finally {
      await cluster.stop();
    }
  });
});

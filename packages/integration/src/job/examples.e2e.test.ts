/**
 * kubernetes.io's indexed-job.yaml (examples/batch/, unchanged) on a SimCluster with the default
 * controller manager: what `kubectl logs` shows for each index's worker. The cli test
 * (packages/cli/src/batch.test.ts) checks the Jobs' outcome; the logs need the kubelets.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Jobs, Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

const example = (file: string): string => readFileSync(fileURLToPath(new URL(`../../../../examples/batch/${file}`, import.meta.url)), 'utf8');

describe('kubernetes.io indexed-job.yaml', () => {
  it("logs each index's word reversed: the init container wrote it to the emptyDir from $JOB_COMPLETION_INDEX, the worker ran rev on it", async () => {
    const c = await SimCluster.create({ seed: 18, nodes: 3 });
    try {
      await c.apply(example('indexed-job.yaml'));
      await c.settle();
      expect((await c.get(Jobs, { namespace: 'default', name: 'indexed-job' })).status).toMatchObject({ succeeded: 5, completedIndexes: '0-4' });
      const pods = (await c.list(Pods, { namespace: 'default', labelSelector: 'batch.kubernetes.io/job-name=indexed-job' })).items;
      const logs = pods.map((p) => [
        p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'],
        c.nodes.kubelet(p.spec.nodeName!)!.logs('default', p.metadata.name!, 'worker').map((l) => l.text),
      ]);
      expect(logs.sort()).toEqual([
        ['0', ['oof']],
        ['1', ['rab']],
        ['2', ['zab']],
        ['3', ['xuq']],
        ['4', ['zyx']],
      ]);
    } finally {
      await c.stop();
    }
  });
});

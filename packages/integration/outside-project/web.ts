// A user's TypeScript, type-checked (not run) against the installed packages' .d.ts files: every
// package's root and the subpath exports a user without vitest can load. The @ts-expect-error
// lines fail the check if a type silently became `any`.
import { Deployments, Pods, type CronJob, type Deployment, type Pod } from '@kubeloop/core';
import { deploymentPlugin, replicaSetPlugin } from '@kubeloop/controllers';
import { makePod } from '@kubeloop/controllers/testing';
import { FAKE_KUBELET_VERSION, fakeNodesPlugin } from '@kubeloop/runtime-fake';
import { REFERENCE_SAFETY, SimCluster, type SimClusterOptions } from '@kubeloop/testing';
import { main, type CliIo } from '@kubeloop/cli';

const options: SimClusterOptions = { seed: 1, nodes: 3 };
const cluster: SimCluster = await SimCluster.create(options);
const web: Deployment = (await cluster.get(Deployments, { namespace: 'default', name: 'web' }));
const replicas: number | undefined = web.spec.replicas;
const pods: readonly Pod[] = (await cluster.list(Pods, { namespace: 'default', labelSelector: 'app=web' })).items;
const nodes: (string | undefined)[] = pods.map((p) => p.spec.nodeName);
const first: Pod = makePod('first', { nodeName: 'node-1' });
const plugins = [deploymentPlugin(), replicaSetPlugin(), fakeNodesPlugin];
const io: CliIo = { stdout: process.stdout, stderr: process.stderr };
const code: number = await main(['--version'], io);
console.log(replicas, nodes, first.metadata.name, plugins.length, FAKE_KUBELET_VERSION, REFERENCE_SAFETY.length, code);

// @ts-expect-error spec.replicas is a number
const wrong: Deployment['spec']['replicas'] = 'three';
// @ts-expect-error a CronJob's deepest template fields keep their types
const deep: NonNullable<NonNullable<CronJob['spec']['jobTemplate']['spec']['template']['spec']['volumes']>[number]['downwardAPI']>['items'] = [{ path: 'x', fieldRef: { nope: 1 } }];
console.log(wrong, deep);

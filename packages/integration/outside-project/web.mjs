// A user's script in their own project: plain node, no TypeScript, no tsx; the kubeloop packages
// installed from their tarballs. Builds a cluster, applies a Deployment, settles, and prints the
// Deployment's Running pods, one `name phase node` line each, sorted by name.
import { Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

const cluster = await SimCluster.create({ seed: 1, nodes: 3 });
await cluster.apply(
  `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`,
  'web.yaml',
);
await cluster.settle();
const running = await cluster.list(Pods, { namespace: 'default', labelSelector: 'app=web', fieldSelector: 'status.phase=Running' });
for (const pod of running.items.toSorted((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
  console.log(`${pod.metadata.name} ${pod.status.phase} ${pod.spec.nodeName}`);
}
await cluster.stop();

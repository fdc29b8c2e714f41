/**
 * The store with the built-in kinds: the pod subresources (binding, eviction), graceful pod
 * deletion, namespace deletion, version conversion and the walkthrough manifests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBuiltinRegistry, ConfigMaps, Deployments, EndpointSlices, Events, HorizontalPodAutoscalers, Jobs, Namespaces, PodDisruptionBudgets, Pods, Services } from '../api/kinds/index.js';
import { ManifestError, manifestLocation, parseManifests, resolveManifest } from '../api/manifest.js';
import { formatTime } from '../clock/clock.js';
import { VirtualClock } from '../clock/virtual.js';
import { apply } from '../client/apply.js';
import { seededRng } from '../rng/seeded.js';
import { ApiServer } from './server.js';
import { rejection } from '../testing/index.js';

const EXAMPLES = join(import.meta.dirname, '../../../../examples/walkthroughs');

function newServer(): { server: ApiServer; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { server: new ApiServer({ clock, rng: seededRng(3), registry: createBuiltinRegistry() }), clock };
}


const pod = (name: string, labels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'v1' as const,
  kind: 'Pod' as const,
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

const key = (name: string) => ({ namespace: 'default', name });

describe('a new cluster', () => {
  it('has the default, kube-system, kube-public and kube-node-lease namespaces', async () => {
    const { server } = newServer();
    const names = (await server.list(Namespaces)).items.map((n) => n.metadata.name);
    expect(names).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });
});

describe('pods: creation, binding and graceful deletion', () => {
  it('starts a pod Pending whatever status the request carried', async () => {
    const { server } = newServer();
    const p = await server.create(Pods, { ...pod('p'), status: { phase: 'Running' } });
    expect(p.status.phase).toBe('Pending');
  });

  it('binds a pod to a node once, setting nodeName and PodScheduled=True', async () => {
    const { server } = newServer();
    await server.create(Pods, pod('p'));
    await server.bind(key('p'), { name: 'node-1' });
    const bound = await server.get(Pods, key('p'));
    expect(bound.spec.nodeName).toBe('node-1');
    expect(bound.status.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const e = await rejection(server.bind(key('p'), { name: 'node-2' }));
    expect(e.code).toBe(409);
    expect(e.message).toContain('pod p is already assigned to node "node-1"');
  });

  it("binds only the pod of the Binding's uid: a pod created again under the name is left unbound with upstream's precondition message", async () => {
    // Upstream's BindingREST turns the Binding's metadata.uid into a storage precondition
    // (pkg/registry/core/pod/storage), so a scheduler's late binding for a deleted pod fails.
    const { server } = newServer();
    const old = await server.create(Pods, pod('p'));
    await server.delete(Pods, key('p'));
    const recreated = await server.create(Pods, pod('p'));
    const e = await rejection(server.bind(key('p'), { name: 'node-1' }, { preconditions: { uid: old.metadata.uid! } }));
    expect([e.code, e.reason, e.message]).toEqual([409, 'Conflict', `Operation cannot be fulfilled on pods "p": Precondition failed: UID in precondition: ${old.metadata.uid}, UID in object meta: ${recreated.metadata.uid}`]);
    expect((await server.get(Pods, key('p'))).spec.nodeName).toBeUndefined();
    await server.bind(key('p'), { name: 'node-1' }, { preconditions: { uid: recreated.metadata.uid! } });
    expect((await server.get(Pods, key('p'))).spec.nodeName).toBe('node-1');
  });

  it('deletes an unscheduled pod at once', async () => {
    const { server } = newServer();
    await server.create(Pods, pod('p'));
    await server.delete(Pods, key('p'));
    expect((await rejection(server.get(Pods, key('p')))).reason).toBe('NotFound');
  });

  it('keeps a bound pod for its grace period until the kubelet confirms with a zero grace period', async () => {
    const { server, clock } = newServer();
    await server.create(Pods, { ...pod('p'), spec: { ...pod('p').spec, terminationGracePeriodSeconds: 20 } });
    await server.bind(key('p'), { name: 'node-1' });
    const marked = await server.delete(Pods, key('p'));
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(20);
    expect(Date.parse(marked.metadata.deletionTimestamp!)).toBe(Math.floor(clock.now() / 1000) * 1000 + 20_000);
    // A second delete with a longer period does not extend it.
    const again = await server.delete(Pods, key('p'), { gracePeriodSeconds: 60 });
    expect(again.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
    await server.delete(Pods, key('p'), { gracePeriodSeconds: 0 });
    expect((await rejection(server.get(Pods, key('p')))).reason).toBe('NotFound');
  });
});

describe('pods: eviction and PodDisruptionBudgets (upstream EvictionREST)', () => {
  /** `n` pods web-0.. bound, Running and (unless `ready` is false) Ready. */
  async function runningPods(server: ApiServer, n: number, ready = true): Promise<void> {
    for (let i = 0; i < n; i++) {
      await server.create(Pods, pod(`web-${i}`));
      await server.bind(key(`web-${i}`), { name: 'node-1' });
      const p = await server.get(Pods, key(`web-${i}`));
      await server.updateStatus(Pods, { ...p, status: { ...p.status, phase: 'Running', conditions: [...(p.status.conditions ?? []), { type: 'Ready', status: ready ? 'True' : 'False' }] } });
    }
  }

  /** A budget `web` over app=web with the status the disruption controller would have written. */
  async function budget(server: ApiServer, status: { disruptionsAllowed: number; desiredHealthy: number; currentHealthy: number; expectedPods: number; observedGeneration?: number }, spec: Record<string, unknown> = { minAvailable: 2 }, name = 'web') {
    const pdb = await server.create(PodDisruptionBudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    });
    return server.updateStatus(PodDisruptionBudgets, { ...pdb, status: { ...pdb.status, observedGeneration: 1, ...status } });
  }

  it('refuses an eviction that the budget does not allow with 429 and the budget named', async () => {
    const { server } = newServer();
    await runningPods(server, 2);
    await budget(server, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 2, expectedPods: 2 });
    const e = await rejection(server.evict(key('web-0')));
    expect(e.code).toBe(429);
    expect(e.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(e.details.causes?.[0]?.message).toBe('The disruption budget web needs 2 healthy pods and has 2 currently');
    expect((await server.get(Pods, key('web-0'))).metadata.deletionTimestamp).toBeUndefined();
  });

  it('evicts when the budget allows it, and counts the disruption in the budget status', async () => {
    const { server } = newServer();
    await runningPods(server, 3);
    await budget(server, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3 });
    await server.evict(key('web-0'));
    expect((await server.get(Pods, key('web-0'))).metadata.deletionTimestamp).toBeDefined();
    const after = await server.get(PodDisruptionBudgets, key('web'));
    expect(after.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(after.status.disruptedPods ?? {})).toEqual(['web-0']);
  });

  it('charges the budget in the same call: a second eviction right after the first is refused', async () => {
    const { server, clock } = newServer();
    await runningPods(server, 3);
    await budget(server, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3 });
    await server.evict(key('web-0'));
    const after = await server.get(PodDisruptionBudgets, key('web'));
    expect(after.status.disruptedPods).toEqual({ 'web-0': formatTime(clock.now()) });
    // Reaching 0 turns the condition False (upstream UpdateDisruptionAllowedCondition).
    expect(after.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['DisruptionAllowed', 'False', 'InsufficientPods']]);
    expect((await rejection(server.evict(key('web-1')))).code).toBe(429);
    expect((await server.get(Pods, key('web-1'))).metadata.deletionTimestamp).toBeUndefined();
  });

  it('marks the evicted pod DisruptionTarget=True (EvictionByEvictionAPI) before deleting it', async () => {
    const { server } = newServer();
    await runningPods(server, 1);
    await server.evict(key('web-0'));
    const p = await server.get(Pods, key('web-0'));
    expect(p.metadata.deletionTimestamp).toBeDefined();
    expect(p.status.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
  });

  it('refuses with 429 while the budget status is behind its generation ("still being processed")', async () => {
    const { server } = newServer();
    await runningPods(server, 3);
    const pdb = await budget(server, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3 });
    await server.update(PodDisruptionBudgets, { ...pdb, spec: { ...pdb.spec, minAvailable: 1 } });
    const e = await rejection(server.evict(key('web-0')));
    expect(e.code).toBe(429);
    expect(e.details.causes?.[0]?.message).toBe('The disruption budget web is still being processed by the server.');
  });

  it('refuses with 403 a budget whose disruptionsAllowed is negative', async () => {
    const { server } = newServer();
    await runningPods(server, 1);
    await budget(server, { disruptionsAllowed: -1, desiredHealthy: 2, currentHealthy: 1, expectedPods: 1 });
    const e = await rejection(server.evict(key('web-0')));
    expect(e.code).toBe(403);
    expect(e.message).toContain('pdb disruptions allowed is negative');
  });

  it('answers 500 for a pod two budgets select, and deletes nothing', async () => {
    const { server } = newServer();
    await runningPods(server, 3);
    await budget(server, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3 });
    await budget(server, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3 }, { maxUnavailable: 1 }, 'web-too');
    const e = await rejection(server.evict(key('web-0')));
    expect(e.code).toBe(500);
    expect(e.message).toBe('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    expect((await server.get(Pods, key('web-0'))).metadata.deletionTimestamp).toBeUndefined();
  });

  it('deletes a Pending pod without asking its budget', async () => {
    const { server } = newServer();
    await server.create(Pods, pod('web-0'));
    await budget(server, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 0, expectedPods: 1 });
    await server.evict(key('web-0'));
    expect((await rejection(server.get(Pods, key('web-0')))).reason).toBe('NotFound');
    expect((await server.get(PodDisruptionBudgets, key('web'))).status.disruptedPods).toBeUndefined();
  });

  it('deletes a finished pod without asking its budget', async () => {
    const { server } = newServer();
    await runningPods(server, 1);
    const p = await server.get(Pods, key('web-0'));
    await server.updateStatus(Pods, { ...p, status: { ...p.status, phase: 'Succeeded' } });
    await budget(server, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 0, expectedPods: 1 });
    await server.evict(key('web-0'));
    expect((await rejection(server.get(Pods, key('web-0')))).reason).toBe('NotFound');
  });

  it('IfHealthyBudget (default): an unready pod of a healthy budget goes without a charge; of an unhealthy one, only if the budget allows', async () => {
    const { server } = newServer();
    await runningPods(server, 1, false);
    await budget(server, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 2, expectedPods: 3 });
    await server.evict(key('web-0'));
    expect((await server.get(Pods, key('web-0'))).metadata.deletionTimestamp).toBeDefined();
    expect((await server.get(PodDisruptionBudgets, key('web'))).status.disruptionsAllowed).toBe(0);

    const second = newServer().server;
    await runningPods(second, 1, false);
    await budget(second, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 1, expectedPods: 3 });
    expect((await rejection(second.evict(key('web-0')))).code).toBe(429);
  });

  it('AlwaysAllow: an unready pod goes even when the budget is exhausted, without a charge', async () => {
    const { server } = newServer();
    await runningPods(server, 1, false);
    await budget(server, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 1, expectedPods: 3 }, { minAvailable: 2, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    await server.evict(key('web-0'));
    expect((await server.get(Pods, key('web-0'))).metadata.deletionTimestamp).toBeDefined();
    expect((await server.get(PodDisruptionBudgets, key('web'))).status.disruptedPods).toBeUndefined();
  });

  it('a dry run checks the budget and changes nothing', async () => {
    const { server } = newServer();
    await runningPods(server, 3);
    await budget(server, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3 });
    await server.evict(key('web-0'), { dryRun: true });
    expect((await server.get(Pods, key('web-0'))).metadata.deletionTimestamp).toBeUndefined();
    expect((await server.get(PodDisruptionBudgets, key('web'))).status.disruptionsAllowed).toBe(1);
  });
});

describe('namespaces', () => {
  it('deletes everything in a namespace with it, and refuses new content while it terminates', async () => {
    const { server } = newServer();
    await server.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'shop' } });
    await server.create(ConfigMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace: 'shop', finalizers: ['example.com/hold'] },
    });
    await server.delete(Namespaces, { name: 'shop' });
    const ns = await server.get(Namespaces, { name: 'shop' });
    expect(ns.status.phase).toBe('Terminating');
    expect((await server.list(ConfigMaps, { namespace: 'shop' })).items.map((c) => c.metadata.name)).toEqual(['held']);
    const e = await rejection(server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'shop' } }));
    expect(e.reason).toBe('Forbidden');
    expect(e.message).toBe('configmaps "b" is forbidden: unable to create new content in namespace shop because it is being terminated');
    const held = await server.get(ConfigMaps, { namespace: 'shop', name: 'held' });
    await server.update(ConfigMaps, { ...held, metadata: { ...held.metadata, finalizers: [] } });
    expect((await rejection(server.get(Namespaces, { name: 'shop' }))).reason).toBe('NotFound');
  });
});

describe('versions', () => {
  it('accepts an autoscaling/v1 HorizontalPodAutoscaler and stores it as autoscaling/v2', async () => {
    const { server } = newServer();
    const hpa = await server.create(HorizontalPodAutoscalers, {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
    } as never);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  });
});

describe('walkthrough manifests', () => {
  it('rejects pod-request-pod.yaml, whose apiVersion is misspelt, naming the file, the object and the field', () => {
    const text = readFileSync(join(EXAMPLES, 'pod-request-pod.yaml'), 'utf8');
    const [doc] = parseManifests(text, 'pod-request-pod.yaml');
    expect(() => resolveManifest(createBuiltinRegistry(), doc!)).toThrow(ManifestError);
    expect(() => resolveManifest(createBuiltinRegistry(), doc!)).toThrow(
      'pod-request-pod.yaml (document 1, Pod "request-pod"): apiVersion not set (found unknown field "piVersion")',
    );
  });

  it('creates pi-web from its YAML, and re-applying it after a scale restores the YAML replica count (walkthrough 2)', async () => {
    const { server } = newServer();
    const registry = server.registry;
    const text = readFileSync(join(EXAMPLES, 'deployment-pi-web.yaml'), 'utf8');
    const [doc] = parseManifests(text, 'deployment-pi-web.yaml').map((m) => resolveManifest(registry, m));
    expect(doc!.resource).toBe(Deployments);
    const first = await apply(server, Deployments, doc!.object as never);
    expect(first.action).toBe('created');
    const scale = await server.getScale(Deployments, key('pi-web'));
    await server.updateScale(Deployments, key('pi-web'), { ...scale, spec: { replicas: 4 } });
    expect((await server.get(Deployments, key('pi-web'))).spec.replicas).toBe(4);
    const again = await apply(server, Deployments, doc!.object as never);
    expect(again.action).toBe('configured');
    expect(again.object.spec.replicas).toBe(first.object.spec.replicas);
    expect((await apply(server, Deployments, doc!.object as never)).action).toBe('unchanged');
  });

  it('an apply told the object is absent creates it, and falls back to a patch when it existed after all', async () => {
    const { server } = newServer();
    const text = readFileSync(join(EXAMPLES, 'deployment-pi-web.yaml'), 'utf8');
    const [doc] = parseManifests(text, 'deployment-pi-web.yaml').map((m) => resolveManifest(server.registry, m));
    expect((await apply(server, Deployments, doc!.object as never, { absent: true })).action).toBe('created');
    const scale = await server.getScale(Deployments, key('pi-web'));
    await server.updateScale(Deployments, key('pi-web'), { ...scale, spec: { replicas: 4 } });
    // A stale "absent": the create meets AlreadyExists, and the apply patches as usual.
    const again = await apply(server, Deployments, doc!.object as never, { absent: true });
    expect(again.action).toBe('configured');
    expect(again.object.spec.replicas).not.toBe(4);
  });

  it('reports a YAML syntax error with its line', () => {
    expect(() => parseManifests('kind: Pod\nmetadata: [oops\n', 'bad.yaml')).toThrow(/^bad.yaml \(document 1\): invalid YAML at line \d+/);
  });

  it('names an unknown kind the way kubectl does', () => {
    const [doc] = parseManifests('apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n', 'g.yaml');
    expect(() => resolveManifest(createBuiltinRegistry(), doc!)).toThrow('g.yaml (document 1, Gadget "g"): no matches for kind "Gadget" in version "example.com/v1"');
  });

  it('locates a document as its errors do: file, document, kind and name (else generateName)', () => {
    const docs = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n---\napiVersion: v1\nkind: Namespace\n', 'x.yaml').map((m) => resolveManifest(createBuiltinRegistry(), m));
    expect(docs.map(manifestLocation)).toEqual(['x.yaml (document 1, ConfigMap "a")', 'x.yaml (document 2, Pod "web-")', 'x.yaml (document 3, Namespace)']);
  });
});

describe('kind strategies', () => {
  it('generates a Job selector from its uid on create, as upstream', async () => {
    const { server } = newServer();
    const job = await server.create(Jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'default' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } } },
    });
    expect(job.spec.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata.uid);
    expect(job.spec.template.metadata?.labels?.['job-name']).toBe('pi');
  });

  it('keeps a Service clusterIP when an update leaves it out', async () => {
    const { server } = newServer();
    const svc = await server.create(Services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    const { clusterIP: _ip, clusterIPs: _ips, ...spec } = svc.spec;
    const updated = await server.update(Services, { ...svc, spec: { ...spec, selector: { app: 'web2' } } });
    expect(updated.spec.clusterIP).toBe('10.96.0.10');
  });
});

describe('metadata.generation, as each kind keeps it upstream', () => {
  const deployment = (annotations?: Record<string, string>) => ({
    apiVersion: 'apps/v1' as const,
    kind: 'Deployment' as const,
    metadata: { name: 'web', namespace: 'default', ...(annotations === undefined ? {} : { annotations }) },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
  });

  it('leaves it off a ConfigMap, a Service and an Event, and keeps what the request carried', async () => {
    const { server } = newServer();
    const cm = await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' }, data: { k: 'v' } });
    expect(cm.metadata.generation).toBeUndefined();
    const changed = await server.update(ConfigMaps, { ...cm, data: { k: 'w' } });
    expect(changed.metadata.generation).toBeUndefined();
    const svc = await server.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    expect(svc.metadata.generation).toBeUndefined();
    const ev = await server.create(Events, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Test', message: 'm', type: 'Normal' });
    expect(ev.metadata.generation).toBeUndefined();
    // Upstream's generic store neither sets nor clears it for such a kind: a value sent on create stays, an update cannot move it.
    const carried = await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default', generation: 7 } });
    expect(carried.metadata.generation).toBe(7);
    expect((await server.update(ConfigMaps, { ...carried, metadata: { ...carried.metadata, generation: 9 }, data: { k: 'v' } })).metadata.generation).toBe(7);
  });

  it('moves a Pod\'s on a spec change, not on a status write or a label', async () => {
    const { server } = newServer();
    const p = await server.create(Pods, pod('p'));
    expect(p.metadata.generation).toBe(1);
    const labelled = await server.update(Pods, { ...p, metadata: { ...p.metadata, labels: { app: 'other' } } });
    const status = await server.updateStatus(Pods, { ...labelled, status: { ...labelled.status, phase: 'Pending' } });
    expect(status.metadata.generation).toBe(1);
    const image = await server.update(Pods, { ...status, spec: { ...status.spec, containers: [{ ...status.spec.containers[0]!, image: 'nginx:1.28' }] } });
    expect(image.metadata.generation).toBe(2);
  });

  it("moves a Deployment's on an annotation change too (upstream's deployment strategy)", async () => {
    const { server } = newServer();
    const d = await server.create(Deployments, deployment());
    expect(d.metadata.generation).toBe(1);
    const annotated = await server.update(Deployments, { ...d, metadata: { ...d.metadata, annotations: { note: 'x' } } });
    expect(annotated.metadata.generation).toBe(2);
    const labelled = await server.update(Deployments, { ...annotated, metadata: { ...annotated.metadata, labels: { team: 'a' } } });
    expect(labelled.metadata.generation).toBe(2);
  });

  it("writes a Deployment's annotations through /status without moving generation, checks them, and leaves its spec and labels", async () => {
    const { server } = newServer();
    const d = await server.create(Deployments, deployment());
    const written = await server.updateStatus(Deployments, {
      ...d,
      metadata: { ...d.metadata, labels: { ignored: 'yes' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: { ...d.spec, replicas: 5 },
      status: { observedGeneration: 1 },
    });
    expect(written.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1' });
    expect(written.metadata.labels).toBeUndefined();
    expect(written.spec.replicas).toBe(1);
    expect(written.metadata.generation).toBe(1);
    const bad = await rejection(server.updateStatus(Deployments, { ...written, metadata: { ...written.metadata, annotations: { 'not valid/x/y': 'v' } } }));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('metadata.annotations');
    const notText = await rejection(server.updateStatus(Deployments, { ...written, metadata: { ...written.metadata, annotations: { a: 1 as unknown as string } } }));
    expect(notText.message).toContain('metadata.annotations.a');
    expect((await server.get(Deployments, key('web'))).metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1' });
    // Other kinds' /status writes keep the stored metadata.
    const p = await server.create(Pods, pod('p'));
    const podStatus = await server.updateStatus(Pods, { ...p, metadata: { ...p.metadata, annotations: { a: 'b' } }, status: { ...p.status, phase: 'Pending' } });
    expect(podStatus.metadata.annotations).toBeUndefined();
  });

  it("moves an EndpointSlice's on a label change and on its endpoints, which are not under spec", async () => {
    const { server } = newServer();
    const slice = await server.create(EndpointSlices, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 's' } }, addressType: 'IPv4', endpoints: [], ports: [] });
    expect(slice.metadata.generation).toBe(1);
    const labelled = await server.update(EndpointSlices, { ...slice, metadata: { ...slice.metadata, labels: { ...slice.metadata.labels, extra: 'x' } } });
    expect(labelled.metadata.generation).toBe(2);
    const filled = await server.update(EndpointSlices, { ...labelled, endpoints: [{ addresses: ['10.0.0.1'] }] });
    expect(filled.metadata.generation).toBe(3);
    const annotated = await server.update(EndpointSlices, { ...filled, metadata: { ...filled.metadata, annotations: { note: 'x' } } });
    expect(annotated.metadata.generation).toBe(3);
  });

  it('moves a generation above 0 once when a graceful deletion starts, and leaves an unset one unset', async () => {
    const { server } = newServer();
    const d = await server.create(Deployments, { ...deployment(), metadata: { name: 'web', namespace: 'default', finalizers: ['example.com/hold'] } });
    await server.delete(Deployments, key('web'));
    const deleting = await server.get(Deployments, key('web'));
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(deleting.metadata.generation).toBe((d.metadata.generation ?? 0) + 1);
    await server.delete(Deployments, key('web'));
    expect((await server.get(Deployments, key('web'))).metadata.generation).toBe(2);
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    await server.delete(ConfigMaps, key('held'));
    const held = await server.get(ConfigMaps, key('held'));
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.metadata.generation).toBeUndefined();
  });
});

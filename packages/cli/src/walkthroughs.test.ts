/**
 * The walkthrough scenarios of examples/walkthroughs/ (see its README), run through the
 * `kubeloop` command in-process, asserting what the walkthrough says a user would see in the
 * printed tables.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from './command.js';
import type { Writer } from './io.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const walkthroughs = join(repo, 'examples/walkthroughs');

function buffer(): Writer & { text: string } {
  const out = { text: '', write: (s: string) => void (out.text += s) };
  return out;
}

/** A printed table: one record per row, keyed by column title, names without their `kind/` prefix. */
type Rows = Record<string, string>[];

/**
 * The namespace of the cluster's own add-ons (CoreDNS, as in a kind cluster): the gets list
 * all namespaces, the walkthroughs' assertions are about their own objects, so rows of
 * `kube-system` are set apart (see {@link Printed}'s `system`).
 */
const SYSTEM_NAMESPACE = 'kube-system';

/** What a scenario printed: its get (and traffic, exec) steps by number, each a table per kind (`pod`, `replicaset.apps`, `event`, ...). */
interface Printed {
  readonly code: number;
  readonly stderr: string;
  readonly stdout: string;
  step(n: number): { readonly at: string; readonly text: string; table(kind: string): Rows; system(kind: string): Rows };
}

function parseTable(block: string): { kind: string; rows: Rows; system: Rows } {
  const [head, ...lines] = block.split('\n');
  const columns = head!.split(/ {3,}/);
  const all = lines.map((line) => Object.fromEntries(line.split(/ {3,}/).map((cell, i) => [columns[i]!, cell])));
  const rows = all.filter((r) => r['NAMESPACE'] !== SYSTEM_NAMESPACE);
  const system = all.filter((r) => r['NAMESPACE'] === SYSTEM_NAMESPACE);
  const kind = columns[0] === 'LAST SEEN' || columns[1] === 'LAST SEEN' ? 'event' : (/^([a-z0-9.]+)\//.exec(all[0]?.['NAME'] ?? '')?.[1] ?? '');
  for (const row of all) if (row['NAME'] !== undefined) row['NAME'] = row['NAME'].replace(/^[a-z0-9.]+\//, '');
  return { kind, rows, system };
}

async function runScenario(file: string): Promise<Printed> {
  const stdout = buffer();
  const stderr = buffer();
  const code = await main(['run', join(walkthroughs, file)], { stdout, stderr });
  const steps = new Map<number, { at: string; text: string }>();
  for (const part of stdout.text.split(/^(?=# step )/m)) {
    const m = /^# step (\d+) \((?:get|traffic|exec)\) at (\S+)\n/.exec(part);
    if (m) steps.set(Number(m[1]), { at: m[2]!, text: part.slice(m[0].length).trimEnd() });
  }
  return {
    code,
    stderr: stderr.text,
    stdout: stdout.text,
    step(n) {
      const s = steps.get(n);
      if (!s) throw new Error(`no get step ${n} in the output of ${file}:\n${stdout.text}`);
      // tables only: echo narration printed after a table belongs to no step
      const blocks = s.text.split('\n\n').filter((b) => /^[A-Z()-]+(?: +[A-Z()-]+)*\n/.test(b)).map(parseTable);
      return {
        ...s,
        // a get of one kind prints no `kind/` prefix: then its only table is the one asked for
        table: (kind) => (blocks.length === 1 ? blocks[0]!.rows : (blocks.find((b) => b.kind === kind)?.rows ?? [])),
        system: (kind) => (blocks.length === 1 ? blocks[0]!.system : (blocks.find((b) => b.kind === kind)?.system ?? [])),
      };
    },
  };
}

const names = (rows: Rows) => rows.map((r) => r['NAME']);
/** The ENDPOINTS of one Service's row (the API server's own `kubernetes` row is listed too). */
const endpointsOf = (rows: Rows, service: string) => rows.find((r) => r['NAME'] === service)?.['ENDPOINTS'] ?? '';

describe('walkthrough 1: ReplicaSet whoami-web and its Service', () => {
  it('replaces every pod deleted by label at once with new pods owned by the ReplicaSet, and scaling out adds endpoints to the Service', async () => {
    const out = await runScenario('01-replicaset-whoami-web.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const first = out.step(4);
    expect(first.table('replicaset.apps')).toMatchObject([{ NAME: 'whoami-web', DESIRED: '1', CURRENT: '1', READY: '1' }]);
    // the kubernetes Service's Endpoints are the API server's own (172.18.0.1:6443)
    expect(first.table('endpoints')).toMatchObject([{ NAME: 'kubernetes', ENDPOINTS: '172.18.0.1:6443' }, { NAME: 'whoami-web', ENDPOINTS: expect.stringMatching(/^10\.1\.\d+\.\d+:80$/) }]);
    // scaled to 3: the Service, untouched, now has three endpoints
    const scaled = out.step(7);
    const before = scaled.table('pod');
    expect(before).toHaveLength(3);
    expect(endpointsOf(scaled.table('endpoints'), 'whoami-web').split(',')).toHaveLength(3);
    // right after `delete pods -l app=whoami-web`: three new pods already exist, none of the old names
    const replaced = out.step(9).table('pod');
    expect(replaced).toHaveLength(3);
    for (const pod of replaced) {
      expect(names(before)).not.toContain(pod['NAME']);
      expect(pod['OWNER']).toBe('ReplicaSet/whoami-web');
    }
    const settled = out.step(11);
    expect(settled.table('pod').map((p) => [p['NAME'], p['STATUS'], p['OWNER']])).toEqual(replaced.map((p) => [p['NAME'], 'Running', 'ReplicaSet/whoami-web']));
    expect(endpointsOf(settled.table('endpoints'), 'whoami-web').split(',')).toHaveLength(3);
    // a request from a pod by the Service's name reaches one of its pods, which answers with its host name
    expect(out.step(14).text).toMatch(/^\$ wget -q -O- http:\/\/whoami-web:8088\nI'm whoami-web-\w{5} running on Linux x64$/);
    // 300 requests spread evenly over the three ready pods (seeded: each within 30 of 100)
    const spread = out.step(15).table('');
    expect(spread.map((r) => r['POD']).sort()).toEqual(names(settled.table('pod')).sort());
    for (const row of spread) {
      expect(row).toMatchObject({ TARGET: 'http://whoami-web:8088', BACKEND: 'service/whoami-web' });
      expect(Math.abs(Number(row['REQUESTS']) - 100)).toBeLessThanOrEqual(30);
    }
    // scaled to 5 without touching the Service: the next 500 requests reach five pods, about 100 each
    const wider = out.step(18).table('');
    expect(wider).toHaveLength(5);
    for (const row of wider) expect(Math.abs(Number(row['REQUESTS']) - 100)).toBeLessThanOrEqual(35);
  });
});

describe('walkthrough 9: a headless Service gives StatefulSet pods stable DNS names', () => {
  it('resolves stateful-pvc-0.stateful-headless to that pod and the Service name to all of them', async () => {
    const out = await runScenario('09-headless-service-dns.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const pods = out.step(7).table('pod');
    const ipOf = (rows: Rows, name: string) => rows.find((p) => p['NAME'] === name)!['IP']!;
    const db = ['stateful-pvc-0', 'stateful-pvc-1', 'stateful-pvc-2'];
    expect(out.step(7).table('service')).toContainEqual(expect.objectContaining({ NAME: 'stateful-headless', 'CLUSTER-IP': 'None' }));
    expect(out.step(8).text).toContain(`Name:\tstateful-pvc-0.stateful-headless.default.svc.cluster.local\nAddress: ${ipOf(pods, 'stateful-pvc-0')}`);
    const all = out.step(9).text;
    expect(all).toContain('Name:\tstateful-headless.default.svc.cluster.local');
    expect([...all.matchAll(/^Address: (\S+)$/gm)].map((m) => m[1]).sort()).toEqual(db.map((n) => ipOf(pods, n)).sort());
    expect(out.step(10).text).toContain('Hostname : stateful-pvc-0\nHostname : stateful-pvc-2');
    expect(out.step(11).text).toContain("** server can't find stateful-pvc-9.stateful-headless: NXDOMAIN");
    // the recreated pod keeps its name, and its DNS name follows it to its new IP
    const after = out.step(14).table('pod');
    expect(ipOf(after, 'stateful-pvc-0')).not.toBe(ipOf(pods, 'stateful-pvc-0'));
    expect(out.step(15).text).toContain(`Address: ${ipOf(after, 'stateful-pvc-0')}`);
  });
});

describe('walkthrough 10: NodePort', () => {
  it('reaches the Service on every node\'s port, and only the pod\'s node with externalTrafficPolicy Local', async () => {
    const out = await runScenario('10-nodeport.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const services = out.step(5).table('service');
    expect(services.find((s) => s['NAME'] === 'whoami-nodeport')!['PORT(S)']).toBe('8088:30088/TCP');
    const lbPort = /^8088:(\d+)\/TCP$/.exec(services.find((s) => s['NAME'] === 'whoami-web')!['PORT(S)']!)![1];
    expect(Number(lbPort)).toBeGreaterThanOrEqual(30000);
    expect(Number(lbPort)).not.toBe(30088);
    const [pod] = out.step(5).table('pod');
    for (const n of [6, 7, 8]) expect(out.step(n).table('')).toEqual([{ TARGET: expect.stringMatching(/^http:\/\/node-\d:30088$/), BACKEND: 'service/whoami-nodeport', POD: pod!['NAME'], REQUESTS: '100', SHARE: '100.0%' }]);
    const local = [11, 12, 13].map((n) => out.step(n).table('')[0]!);
    for (const row of local) {
      const onPodNode = row['TARGET'] === `http://${pod!['NODE']}:30088`;
      expect(row['POD']).toBe(onPodNode ? pod!['NAME'] : '<timed out>');
    }
  });
});

describe('walkthrough 2: Deployment pi-web', () => {
  it('scales to 4 pods, then a re-applied template rolls out a new ReplicaSet without going below 2 ready pods, back to the YAML replica count', async () => {
    const out = await runScenario('02-deployment-pi-web.scenario.yaml');
    expect(out.code).toBe(0);
    const first = out.step(3);
    expect(first.table('deployment.apps')).toMatchObject([{ NAME: 'pi-web', READY: '2/2' }]);
    const [oldRs] = first.table('replicaset.apps');
    expect(oldRs).toMatchObject({ DESIRED: '2', READY: '2', OWNER: 'Deployment/pi-web' });
    expect(first.table('pod').map((p) => p['OWNER'])).toEqual([`ReplicaSet/${oldRs!['NAME']}`, `ReplicaSet/${oldRs!['NAME']}`]);
    const scaled = out.step(6);
    expect(scaled.table('deployment.apps')).toMatchObject([{ READY: '4/4' }]);
    expect(scaled.table('pod').filter((p) => p['STATUS'] === 'Running')).toHaveLength(4);
    // the rollout, snapshot by snapshot: a second ReplicaSet, and never fewer than 2 ready pods
    for (const n of [8, 10, 12]) {
      const step = out.step(n);
      expect(step.table('replicaset.apps')).toHaveLength(2);
      expect(step.table('pod').filter((p) => p['READY'] === '1/1').length).toBeGreaterThanOrEqual(2);
    }
    const done = out.step(14);
    expect(done.table('deployment.apps')).toMatchObject([{ READY: '2/2', 'UP-TO-DATE': '2', AVAILABLE: '2' }]);
    const sets = done.table('replicaset.apps');
    const newRs = sets.find((r) => r['NAME'] !== oldRs!['NAME'])!;
    expect(sets.find((r) => r['NAME'] === oldRs!['NAME'])).toMatchObject({ DESIRED: '0', CURRENT: '0' });
    expect(newRs).toMatchObject({ DESIRED: '2', READY: '2', OWNER: 'Deployment/pi-web' });
    expect(done.table('pod').map((p) => [p['STATUS'], p['OWNER']])).toEqual([
      ['Running', `ReplicaSet/${newRs['NAME']}`],
      ['Running', `ReplicaSet/${newRs['NAME']}`],
    ]);
  });
});

describe('walkthrough 3: scaling is no faster than image pulls', () => {
  it('starts a new pod at once on a node that has the image, and makes one wait for the pull on a node that never pulled it', async () => {
    const out = await runScenario('03-image-pulls.scenario.yaml');
    expect(out.code).toBe(0);
    expect(out.step(3).table('pod').map((p) => p['STATUS'])).toEqual(['ContainerCreating', 'ContainerCreating']);
    const warm = new Set(out.step(5).table('pod').map((p) => p['NODE']));
    const before = new Set(names(out.step(5).table('pod')));
    const added = out.step(8).table('pod').filter((p) => !before.has(p['NAME']));
    expect(added).toHaveLength(2);
    for (const pod of added) expect(pod['STATUS']).toBe(warm.has(pod['NODE']) ? 'Running' : 'ContainerCreating');
    expect(added.some((p) => !warm.has(p['NODE']))).toBe(true);
    expect(added.some((p) => warm.has(p['NODE']))).toBe(true);
    const pulls = out.step(10).table('event').filter((e) => e['REASON'] === 'Pulled');
    expect(pulls.filter((e) => e['MESSAGE']!.includes(' in 3s '))).toHaveLength(3);
    expect(pulls.filter((e) => e['MESSAGE']!.includes(' in 500ms '))).toHaveLength(1); // only the registry check of imagePullPolicy Always (a :latest image)
  });
});

describe('walkthrough 4: Deployment pi-proxy waits for its ConfigMap', () => {
  it('keeps the pods in ContainerCreating with FailedMount events while the ConfigMap is missing, and runs them once it exists', async () => {
    const out = await runScenario('04-deployment-pi-proxy-configmap.scenario.yaml');
    expect(out.code).toBe(0);
    const waiting = out.step(3);
    expect(waiting.table('deployment.apps')).toMatchObject([{ NAME: 'pi-proxy', READY: '0/3' }]);
    expect(waiting.table('pod').map((p) => p['STATUS'])).toEqual(['ContainerCreating', 'ContainerCreating', 'ContainerCreating']);
    const failedMounts = waiting.table('event').filter((e) => e['REASON'] === 'FailedMount');
    expect(failedMounts.length).toBeGreaterThanOrEqual(3);
    expect(failedMounts[0]!['MESSAGE']).toContain('configmap "pi-proxy-configmap" not found');
    const running = out.step(6);
    expect(running.table('deployment.apps')).toMatchObject([{ READY: '3/3' }]);
    expect(running.table('pod').map((p) => p['STATUS'])).toEqual(['Running', 'Running', 'Running']);
  });
});

describe('walkthrough 5: a DaemonSet replaces the Deployment', () => {
  it('runs one proxy pod per node behind the Service after the Deployment is gone, then only on labelled nodes: 2 pods, 3 after labelling, 2 after unlabelling', async () => {
    const out = await runScenario('05-daemonset-pi-proxy.scenario.yaml');
    expect(out.code).toBe(0);
    // both behind the Service: 3 Deployment pods and 3 DaemonSet pods
    const both = out.step(7);
    expect(both.table('pod')).toHaveLength(6);
    expect(endpointsOf(both.table('endpoints'), 'pi-proxy')).toMatch(/ \+ 3 more\.\.\.$/);
    const replaced = out.step(10);
    expect(replaced.table('deployment.apps')).toEqual([]);
    const pods = replaced.table('pod');
    expect(pods.map((p) => [p['NODE'], p['OWNER'], p['STATUS']]).sort()).toEqual([
      ['node-1', 'DaemonSet/pi-proxy', 'Running'],
      ['node-2', 'DaemonSet/pi-proxy', 'Running'],
      ['node-3', 'DaemonSet/pi-proxy', 'Running'],
    ]);
    expect(endpointsOf(replaced.table('endpoints'), 'pi-proxy').split(',')).toHaveLength(3);
    const nodesOf = (n: number) => out.step(n).table('pod').map((p) => p['NODE']).sort();
    expect(out.step(15).table('daemonset.apps')).toMatchObject([{ DESIRED: '2', READY: '2', 'NODE SELECTOR': 'kiamol=ch06' }]);
    expect(nodesOf(15)).toEqual(['node-1', 'node-2']);
    expect(nodesOf(18)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(nodesOf(21)).toEqual(['node-2', 'node-3']);
    expect(endpointsOf(out.step(21).table('endpoints'), 'pi-proxy').split(',')).toHaveLength(2);
  });
});

describe('walkthrough 6: ownership and the garbage collector', () => {
  it('shows each pod owner and the ReplicaSet owner, deletes what a deleted Deployment owned, and leaves the pods of an orphan-deleted DaemonSet', async () => {
    const out = await runScenario('06-ownership.scenario.yaml');
    expect(out.code).toBe(0);
    const owned = out.step(5);
    const [rs] = owned.table('replicaset.apps');
    expect(rs).toMatchObject({ OWNER: 'Deployment/pi-web' });
    expect(owned.table('pod').map((p) => p['OWNER']).sort()).toEqual(['DaemonSet/pi-proxy', 'DaemonSet/pi-proxy', `ReplicaSet/${rs!['NAME']}`, `ReplicaSet/${rs!['NAME']}`]);
    const daemonPods = owned.table('pod').filter((p) => p['OWNER'] === 'DaemonSet/pi-proxy');
    // the Deployment deleted (background): its ReplicaSet and pods are gone, only the daemon pods remain
    // (CoreDNS's Deployment and ReplicaSet in kube-system stay, as in any cluster)
    expect(out.step(8).text.split('\n').filter((l) => !l.startsWith('kube-system ')).join('\n')).not.toMatch(/deployment|replicaset/);
    expect(out.step(8).system('deployment.apps').map((d) => d['NAME'])).toEqual(['coredns']);
    expect(out.step(8).table('pod').map((p) => [p['NAME'], p['OWNER']])).toEqual(daemonPods.map((p) => [p['NAME'], 'DaemonSet/pi-proxy']));
    // the DaemonSet deleted with propagationPolicy Orphan: the same pods, running, owned by no one
    expect(out.step(11).table('pod').map((p) => [p['NAME'], p['STATUS'], p['OWNER']])).toEqual(daemonPods.map((p) => [p['NAME'], 'Running', '<none>']));
  });
});

describe('walkthrough 7: StatefulSet stateful-db against ReplicaSet replica-web', () => {
  it('names the StatefulSet pods by ordinal and creates them one at a time, recreates a deleted one under its name and scales down from the highest; the ReplicaSet works all at once with random names', async () => {
    const out = await runScenario('07-statefulset-vs-replicaset.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const db = (n: number) => out.step(n).table('pod').filter((p) => p['OWNER'] === 'StatefulSet/stateful-db');
    const web = (n: number) => out.step(n).table('pod').filter((p) => p['OWNER'] === 'ReplicaSet/replica-web');
    expect(out.step(4).table('statefulset.apps')).toMatchObject([{ NAME: 'stateful-db', READY: '1/1' }]);
    expect(names(db(4))).toEqual(['stateful-db-0']);
    expect(names(web(4))).toEqual([expect.stringMatching(/^replica-web-[a-z0-9]{5}$/)]);
    // a second after scaling both to 3: the ReplicaSet has all three, the StatefulSet only added -1
    // (still starting), and -2 waits for it
    expect(web(9)).toHaveLength(3);
    expect(db(9).map((p) => [p['NAME'], p['STATUS']])).toEqual([
      ['stateful-db-0', 'Running'],
      ['stateful-db-1', 'ContainerCreating'],
    ]);
    expect(out.step(11).table('statefulset.apps')).toMatchObject([{ READY: '3/3' }]);
    expect(db(11).map((p) => [p['NAME'], p['STATUS']])).toEqual([
      ['stateful-db-0', 'Running'],
      ['stateful-db-1', 'Running'],
      ['stateful-db-2', 'Running'],
    ]);
    // -1 was created before -2 (each after the one before it was Ready)
    const age = (rows: Rows, name: string) => Number(/^(\d+)s$/.exec(rows.find((p) => p['NAME'] === name)!['AGE']!)![1]);
    expect(age(db(11), 'stateful-db-1')).toBeGreaterThan(age(db(11), 'stateful-db-2'));
    // deleted: stateful-db-1 is back under the same name (younger now), replica-web has three new names
    expect(names(db(16))).toEqual(['stateful-db-0', 'stateful-db-1', 'stateful-db-2']);
    expect(age(db(16), 'stateful-db-1')).toBeLessThan(age(db(16), 'stateful-db-0'));
    expect(age(db(16), 'stateful-db-1')).toBeLessThan(age(db(16), 'stateful-db-2'));
    expect(web(16)).toHaveLength(3);
    for (const p of web(16)) expect(names(web(11))).not.toContain(p['NAME']);
    // scaled to 1: the StatefulSet keeps its lowest ordinal
    expect(names(db(20))).toEqual(['stateful-db-0']);
    expect(web(20)).toHaveLength(1);
    expect(out.step(24).table('statefulset.apps')).toMatchObject([{ NAME: 'stateful-db', READY: '0/0' }]);
    expect(out.step(24).table('replicaset.apps')).toMatchObject([{ NAME: 'replica-web', DESIRED: '0', CURRENT: '0' }]);
    expect(out.step(24).table('pod')).toEqual([]);
  });
  it('shows in its --trace that stateful-db pods are created in ordinal order, each once the one before is Ready, and deleted from the highest ordinal, each once the one above is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-walkthrough-7-'));
    const trace = join(dir, 'trace.jsonl');
    expect(await main(['run', join(walkthroughs, '07-statefulset-vs-replicaset.scenario.yaml'), '--trace', trace], { stdout: buffer(), stderr: buffer() })).toBe(0);
    type Entry = { t: number; type: string; object: { kind: string; metadata: { name: string; deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } } };
    const entries = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Entry).filter((e) => e.object.kind === 'Pod' && e.object.metadata.name.startsWith('stateful-db-'));
    const ready = new Set<string>();
    const live = new Set<string>();
    const created: string[] = [];
    const terminating = new Set<string>();
    const deleting: { name: string; higher: string[] }[] = [];
    for (const e of entries) {
      const name = e.object.metadata.name;
      const ordinal = Number(name.slice('stateful-db-'.length));
      if (e.type === 'ADDED') {
        created.push(name);
        // every lower ordinal exists and is Ready when a pod is created
        for (let i = 0; i < ordinal; i++) expect(ready.has(`stateful-db-${i}`), `${name} created before stateful-db-${i} was Ready`).toBe(true);
      }
      if (e.type === 'DELETED') {
        live.delete(name);
        ready.delete(name);
        terminating.delete(name);
        continue;
      }
      if (e.object.metadata.deletionTimestamp !== undefined && live.has(name) && !terminating.has(name)) {
        terminating.add(name);
        deleting.push({ name, higher: [...live].filter((o) => Number(o.slice('stateful-db-'.length)) > ordinal) });
      }
      live.add(name);
      if (e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.add(name);
      else ready.delete(name);
    }
    expect(created).toEqual(['stateful-db-0', 'stateful-db-1', 'stateful-db-2', 'stateful-db-1']);
    // first the user's `delete pod stateful-db-1` (with -2 still there), then the scale-down:
    // highest first, each once every higher ordinal is gone
    expect(deleting).toEqual([
      { name: 'stateful-db-1', higher: ['stateful-db-2'] },
      { name: 'stateful-db-2', higher: [] },
      { name: 'stateful-db-1', higher: [] },
      { name: 'stateful-db-0', higher: [] },
    ]);
  });
});

describe('walkthrough 8: PersistentVolumeClaims', () => {
  it('waits for the first consumer, makes the volume on its node and keeps replica-pvc there; gives each stateful-pvc pod its own claim, back on recreation, kept on scale-down', async () => {
    const out = await runScenario('08-persistentvolumeclaims.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    // the claim waits for a pod: Pending, no volume yet
    const waiting = out.step(4);
    expect(waiting.table('storageclass.storage.k8s.io').map((c) => c['NAME'])).toContain('fast');
    // (its empty VOLUME, CAPACITY and ACCESS MODES cells do not split into columns here)
    expect(waiting.table('persistentvolumeclaim')).toMatchObject([{ NAME: 'replica-pvc1', STATUS: 'Pending' }]);
    expect(waiting.text).toMatch(/persistentvolumeclaim\/replica-pvc1 +Pending +fast /);
    expect(waiting.table('persistentvolume')).toEqual([]);
    expect(waiting.table('event')).toMatchObject([{ REASON: 'WaitForFirstConsumer', OBJECT: 'persistentvolumeclaim/replica-pvc1', MESSAGE: 'waiting for first consumer to be created before binding' }]);
    // the replica-pvc pod on k8s-node1: the claim is Bound to a volume provisioned for it
    const bound = out.step(7);
    expect(bound.table('pod')).toMatchObject([{ STATUS: 'Running', NODE: 'k8s-node1', OWNER: 'ReplicaSet/replica-pvc' }]);
    const [claim] = bound.table('persistentvolumeclaim');
    expect(claim).toMatchObject({ NAME: 'replica-pvc1', STATUS: 'Bound', VOLUME: expect.stringMatching(/^pvc-[0-9a-f-]{36}$/), CAPACITY: '1G', 'ACCESS MODES': 'RWO' });
    expect(bound.table('persistentvolume')).toMatchObject([{ NAME: claim!['VOLUME'], STATUS: 'Bound', CLAIM: 'default/replica-pvc1' }]);
    expect(bound.table('event').map((e) => e['REASON'])).toContain('ProvisioningSucceeded');
    // three replicas share it, all on k8s-node1
    expect(out.step(10).table('pod').map((p) => [p['STATUS'], p['NODE']])).toEqual(Array(3).fill(['Running', 'k8s-node1']));
    // pinned to k8s-node2 the new pods cannot be scheduled: the volume is on k8s-node1
    const pinned = out.step(15);
    expect(pinned.table('pod').map((p) => p['STATUS'])).toEqual(['Pending', 'Pending', 'Pending']);
    expect(pinned.table('event').filter((e) => e['REASON'] === 'FailedScheduling').map((e) => e['MESSAGE'])).toEqual(
      Array(3).fill("0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."),
    );
    // without a selector they follow the volume
    expect(out.step(20).table('pod').map((p) => [p['STATUS'], p['NODE']])).toEqual(Array(3).fill(['Running', 'k8s-node1']));
    // stateful-pvc: one claim per pod from the template, each bound to its own volume
    const sts = out.step(25);
    expect(sts.table('statefulset.apps')).toMatchObject([{ NAME: 'stateful-pvc', READY: '3/3' }]);
    const statefulPods = (n: number) => out.step(n).table('pod').filter((p) => p['OWNER'] === 'StatefulSet/stateful-pvc');
    expect(statefulPods(25).map((p) => [p['NAME'], p['STATUS']])).toEqual([
      ['stateful-pvc-0', 'Running'],
      ['stateful-pvc-1', 'Running'],
      ['stateful-pvc-2', 'Running'],
    ]);
    const claims = (n: number) => out.step(n).table('persistentvolumeclaim').filter((c) => c['NAME']!.startsWith('volume-stateful-pvc-'));
    expect(claims(25).map((c) => [c['NAME'], c['STATUS']])).toEqual([
      ['volume-stateful-pvc-0', 'Bound'],
      ['volume-stateful-pvc-1', 'Bound'],
      ['volume-stateful-pvc-2', 'Bound'],
    ]);
    expect(new Set(claims(25).map((c) => c['VOLUME'])).size).toBe(3);
    // stateful-pvc-1 recreated: same name, same claim and volume, same node as its volume
    const before = statefulPods(25).find((p) => p['NAME'] === 'stateful-pvc-1')!;
    const after = statefulPods(29).find((p) => p['NAME'] === 'stateful-pvc-1')!;
    expect(after).toMatchObject({ STATUS: 'Running', NODE: before['NODE'] });
    expect(after['AGE']).not.toBe(before['AGE']);
    expect(claims(29).map((c) => [c['NAME'], c['VOLUME']])).toEqual(claims(25).map((c) => [c['NAME'], c['VOLUME']]));
    // scaled down to 1: only stateful-pvc-0 runs, the three claims stay Bound
    expect(statefulPods(33).map((p) => p['NAME'])).toEqual(['stateful-pvc-0']);
    expect(claims(33).map((c) => [c['NAME'], c['STATUS'], c['VOLUME']])).toEqual(claims(25).map((c) => [c['NAME'], 'Bound', c['VOLUME']]));
  });
});

describe('walkthrough 13: HPA arithmetic', () => {
  it('scales 2 pods at 300m of 200m requests (50% target) to 6, then at 50m to 3, then to 2 where minReplicas stops it; top shows pods and nodes', async () => {
    const out = await runScenario('13-hpa-arithmetic.scenario.yaml');
    expect(out.code).toBe(0);
    const hpa = (n: number) => out.step(n).table('horizontalpodautoscaler.autoscaling')[0]!;
    const replicas = (n: number) => out.step(n).table('deployment.apps')[0]!['READY'];
    expect(hpa(4)).toMatchObject({ REFERENCE: 'Deployment/php-apache', TARGETS: 'cpu: 150%/50%', MINPODS: '2', MAXPODS: '10', REPLICAS: '6' });
    expect(replicas(4)).toBe('6/6');
    expect(hpa(10)).toMatchObject({ TARGETS: 'cpu: 25%/50%', REPLICAS: '3' });
    expect(hpa(13)).toMatchObject({ TARGETS: 'cpu: 25%/50%', REPLICAS: '2' });
    expect(replicas(13)).toBe('2/2');
    // kubectl top: the two pods scraped so far at 300m, the nodes with CPU% of allocatable
    const top = out.stdout.split(/^(?=# step )/m);
    const topPods = top.find((p) => p.startsWith('# step 5 (top)'))!;
    expect(topPods.split('\n')[1]).toMatch(/^NAME +CPU\(cores\) +MEMORY\(bytes\)$/);
    expect(topPods.match(/ 300m +10Mi/g)).toHaveLength(2);
    const topNodes = top.find((p) => p.startsWith('# step 6 (top)'))!;
    expect(topNodes.split('\n')[1]).toMatch(/^NAME +CPU\(cores\) +CPU% +MEMORY\(bytes\) +MEMORY%$/);
    expect(top.find((p) => p.startsWith('# step 14 (top)'))!.match(/ 50m +10Mi/g)).toHaveLength(2);
  });
});

describe('walkthrough 15: VPA and Cluster Autoscaler', () => {
  it('the VPA raises a single pod’s requests by restarting it: evicted by the updater, recreated with the target', async () => {
    const out = await runScenario('15-vpa.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const before = out.step(4).table('pod');
    expect(before).toMatchObject([{ STATUS: 'Running' }]);
    expect(out.step(7).table('verticalpodautoscaler.autoscaling.k8s.io')).toMatchObject([{ NAME: 'hamster-vpa', MODE: 'Auto', CPU: '350m', MEM: '262144k', PROVIDED: 'True' }]);
    const after = out.step(8).table('pod');
    expect(after).toMatchObject([{ STATUS: 'Running' }]);
    expect(after[0]!['NAME']).not.toBe(before[0]!['NAME']);
    expect(out.step(9).text).toMatch(/requests:\n\s+cpu: 350m\n\s+memory: 262144k/);
    expect(out.step(9).text).toMatch(/vpaUpdates: "Pod resources updated by hamster-vpa: container 0: cpu request,\s+memory request"/);
    const events = out.step(10).table('event');
    expect(events.some((e) => e['REASON'] === 'EvictedByVPA' && e['OBJECT'] === `pod/${before[0]!['NAME']!}`)).toBe(true);
  });

  it('the Cluster Autoscaler adds a node for an unschedulable pod and removes it once it is no longer needed', async () => {
    const out = await runScenario('15-cluster-autoscaler.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const pending = out.step(4);
    expect(pending.table('pod').map((p) => p['STATUS']).sort()).toEqual(['Pending', 'Running', 'Running']);
    expect(names(pending.table('node'))).toEqual(['node-1']);
    const grown = out.step(7);
    expect(names(grown.table('node'))).toEqual(['burst-1', 'node-1']);
    expect(grown.table('pod').map((p) => p['STATUS'])).toEqual(['Running', 'Running', 'Running']);
    expect(grown.table('pod').filter((p) => p['NODE'] === 'burst-1')).toHaveLength(1);
    const shrunk = out.step(11);
    expect(names(shrunk.table('node'))).toEqual(['node-1']);
    expect(shrunk.table('pod')).toMatchObject([{ STATUS: 'Running', NODE: 'node-1' }]);
    const reasons = out.step(12).table('event').map((e) => e['REASON']);
    expect(reasons).toEqual(expect.arrayContaining(['TriggeredScaleUp', 'ScaleDown']));
  });
});

describe('walkthrough 16: node failure', () => {
  it('marks a silent node NotReady (its Ready condition Unknown), evicts its pod after the 300 s toleration and replaces it on a healthy node; a crashing container restarts with back-off', async () => {
    const out = await runScenario('16-node-failure.scenario.yaml');
    expect(out.code).toBe(0);
    const crasher = (n: number) => out.step(n).table('pod').find((p) => p['NAME'] === 'crasher')!;
    expect(crasher(5)).toMatchObject({ STATUS: 'CrashLoopBackOff', RESTARTS: '2' });
    expect(Number(crasher(12)['RESTARTS'])).toBeGreaterThan(Number(crasher(7)['RESTARTS']));
    const web = (n: number) => out.step(n).table('pod').filter((p) => p['NAME']!.startsWith('pi-web-'));
    // node-2 stops (node-1 runs the crasher; CoreDNS's pods on node-1 and node-2 take 100m each, so node-3 got two pi-web pods)
    const lost = web(7).find((p) => p['NODE'] === 'node-2')!;
    expect(web(7).map((p) => p['NODE']).sort()).toEqual(['node-2', 'node-3', 'node-3']);
    // a minute after node-2 stopped: NotReady (kubectl prints NotReady for a Ready condition that is not True), its pod still listed as Running
    expect(out.step(10).table('node').find((n) => n['NAME'] === 'node-2')).toMatchObject({ STATUS: 'NotReady' });
    expect(web(10).find((p) => p['NAME'] === lost['NAME'])).toMatchObject({ STATUS: 'Running' });
    // five minutes later: evicted (Terminating: the stopped kubelet cannot confirm) and replaced elsewhere
    const evicted = web(12);
    expect(evicted.find((p) => p['NAME'] === lost['NAME'])).toMatchObject({ STATUS: 'Terminating', NODE: 'node-2' });
    const running = evicted.filter((p) => p['STATUS'] === 'Running');
    expect(running).toHaveLength(3);
    expect(running.every((p) => p['NODE'] !== 'node-2')).toBe(true);
    // node-2 back: Ready, the evicted pod gone
    const after = out.step(15);
    expect(after.table('node').map((n) => n['STATUS'])).toEqual(['Ready', 'Ready', 'Ready']);
    expect(names(web(15))).not.toContain(lost['NAME']);
    expect(web(15).map((p) => p['STATUS'])).toEqual(['Running', 'Running', 'Running']);
  });
});

describe('the quickstart scenario (pnpm start)', () => {
  it('is what the start script runs', () => {
    const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start']).toBe('tsx packages/cli/src/main.ts run examples/quickstart/scenario.yaml');
    expect(scripts['example:greeting']).toBe('tsx examples/quickstart/main.ts');
  });

  it('narrates a Deployment scaled to 5 and a silent node whose pods are evicted and replaced, then the node back', async () => {
    const out = await runScenario('../quickstart/scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^== 1\. kubectl apply -f deployment-pi-web\.yaml/);
    expect(out.stdout).toMatch(/^== 3\. node-2 goes silent/m);
    expect(out.step(4).table('deployment.apps')).toMatchObject([{ NAME: 'pi-web', READY: '2/2' }]);
    expect(out.step(8).table('pod').map((p) => p['STATUS'])).toEqual(Array(5).fill('Running'));
    const silent = out.step(12);
    expect(silent.table('node').find((n) => n['NAME'] === 'node-2')).toMatchObject({ STATUS: 'NotReady' });
    const pods = silent.table('pod');
    const evicted = pods.filter((p) => p['NODE'] === 'node-2');
    expect(evicted.length).toBeGreaterThan(0);
    expect(evicted.every((p) => p['STATUS'] === 'Terminating')).toBe(true);
    expect(pods.filter((p) => p['STATUS'] === 'Running' && p['NODE'] !== 'node-2')).toHaveLength(5);
    const back = out.step(16);
    expect(back.table('node').map((n) => n['STATUS'])).toEqual(['Ready', 'Ready', 'Ready']);
    expect(back.table('pod').map((p) => p['STATUS'])).toEqual(Array(5).fill('Running'));
  });
});

describe('walkthrough 11: Ingress, nginx-style', () => {
  let run: ReturnType<typeof runScenario> | undefined;
  const scenario = () => (run ??= runScenario('11-ingress-nginx.scenario.yaml'));
  it("publishes the controller Service's address on every Ingress of class nginx, and warns about the missing TLS Secret until it exists", async () => {
    const out = await scenario();
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const first = out.step(4);
    expect(first.table('ingressclass.networking.k8s.io')).toMatchObject([{ NAME: 'nginx', CONTROLLER: 'k8s.io/ingress-nginx', PARAMETERS: '<none>' }]);
    expect(first.table('ingress.networking.k8s.io')).toMatchObject([
      { NAME: 'order-canary', CLASS: 'nginx', HOSTS: 'shop.example.com', ADDRESS: '192.168.1.240', PORTS: '80' },
      { NAME: 'shop', CLASS: 'nginx', HOSTS: 'shop.example.com', ADDRESS: '192.168.1.240', PORTS: '80, 443' },
    ]);
    expect(first.table('service')).toContainEqual(expect.objectContaining({ NAME: 'ingress-nginx-controller', TYPE: 'LoadBalancer', 'EXTERNAL-IP': '192.168.1.240' }));
    const events = first.table('event').map((e) => `${e['TYPE']} ${e['REASON']} ${e['OBJECT']}: ${e['MESSAGE']}`);
    expect(events).toContain('Normal Sync ingress/shop: Scheduled for sync');
    expect(events).toContain('Warning SSLCertificateError ingress/shop: Error getting SSL certificate "default/shop-tls": local SSL certificate default/shop-tls was not found. Using default certificate');
    expect(out.step(8).table('secret')).toMatchObject([{ NAME: 'shop-tls', TYPE: 'kubernetes.io/tls', DATA: '2' }]);
  });

  it('routes outside traffic through the controller Service and pods by the Ingress rules: paths, the 10% canary, the header rule, the HTTPS redirect, the default backend', async () => {
    const out = await scenario();
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const rows = (n: number) => out.step(n).table('').map((r) => ({ backend: r['BACKEND'], pod: r['POD'], n: Number(r['REQUESTS']) }));
    // HTTP to a host listed under tls: the controller pod answers the 308 itself (the row shows the code)
    expect(rows(10)).toEqual([{ backend: 'service/ingress-nginx-controller', pod: expect.stringMatching(/^ingress-nginx-controller-[a-z0-9]+-[a-z0-9]{5} \(308\)$/), n: 10 }]);
    expect(rows(11)).toEqual([{ backend: 'service/shop', pod: expect.stringMatching(/^shop-/), n: 100 }]);
    expect(rows(12)).toEqual([{ backend: 'service/customer', pod: expect.stringMatching(/^customer-/), n: 100 }]);
    const order = rows(13);
    expect(order.reduce((s, r) => s + r.n, 0)).toBe(1000);
    expect(new Set(order.filter((r) => r.backend === 'service/order').map((r) => r.pod)).size).toBe(2); // both order pods
    const canary = order.filter((r) => r.backend === 'service/order-canary').reduce((s, r) => s + r.n, 0);
    // canary-weight 10 of 100 over 1000 requests: binomial mean 100, sd 9.5; within 4 sd
    expect(canary).toBeGreaterThanOrEqual(62);
    expect(canary).toBeLessThanOrEqual(138);
    expect(rows(14)).toEqual([{ backend: 'service/order-canary', pod: expect.stringMatching(/^order-canary-/), n: 100 }]);
    // a Host no Ingress names, sent to the LoadBalancer address: the controller's default backend
    expect(rows(15)).toEqual([{ backend: 'service/ingress-nginx-controller', pod: expect.stringMatching(/ \(404\)$/), n: 10 }]);
    // the same without curl -k: the fake default certificate is refused, nothing reaches nginx's routing
    expect(rows(16)).toEqual([{ backend: 'service/ingress-nginx-controller', pod: '<SSL certificate problem: self-signed certificate>', n: 10 }]);
    expect(out.step(16).text).not.toContain('(404)');
  });
});

describe('walkthrough 12: LoadBalancer on bare metal (MetalLB)', () => {
  it('gives each LoadBalancer Service its own address from the pool, leaves the one too many pending, and hands a freed address on', async () => {
    const out = await runScenario('12-loadbalancer-metallb.scenario.yaml');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const external = (n: number) => Object.fromEntries(out.step(n).table('service').map((r) => [r['NAME'], r['EXTERNAL-IP']]));
    expect(external(3)).toEqual({ kubernetes: '<none>', 'whoami-web': '<pending>' });
    expect(external(6)).toEqual({ kubernetes: '<none>', 'whoami-web': '192.168.1.240' });
    expect(external(9)).toEqual({ kubernetes: '<none>', 'whoami-web': '192.168.1.240', 'whoami-web-2': '192.168.1.241', 'whoami-web-3': '<pending>' });
    expect(out.step(9).table('event')).toContainEqual(
      expect.objectContaining({ TYPE: 'Warning', REASON: 'AllocationFailed', OBJECT: 'service/whoami-web-3', MESSAGE: 'Failed to allocate IP for "default/whoami-web-3": no available IPs' }),
    );
    expect(external(13)).toEqual({ kubernetes: '<none>', 'whoami-web-2': '192.168.1.241', 'whoami-web-3': '192.168.1.240' });
    expect(out.step(17).table('ipaddresspool.metallb.io')).toMatchObject([{ NAME: 'reserved', 'AUTO ASSIGN': 'false', ADDRESSES: '["10.0.50.0/30"]' }]);
    expect(external(17)['whoami-web-4']).toBe('10.0.50.0');
  });
});

describe('the bad-input walkthrough manifest', () => {
  it('rejects pod-request-pod.yaml (piVersion) naming the file, the object and the field, run alone or from a scenario', async () => {
    const file = join(walkthroughs, 'pod-request-pod.yaml');
    const direct = { stdout: buffer(), stderr: buffer() };
    expect(await main(['run', file], direct)).toBe(1);
    expect(direct.stdout.text).toBe('');
    expect(direct.stderr.text).toBe(`error: ${file} (document 1, Pod "request-pod"): apiVersion not set (found unknown field "piVersion")\n`);
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-walkthrough-'));
    writeFileSync(join(dir, 's.yaml'), `kind: Scenario\nsteps:\n  - apply: ${file}\n  - settle\n`);
    const viaScenario = { stdout: buffer(), stderr: buffer() };
    expect(await main(['run', join(dir, 's.yaml')], viaScenario)).toBe(1);
    expect(viaScenario.stdout.text).toBe('');
    expect(viaScenario.stderr.text).toBe(`error: ${file} (document 1, Pod "request-pod"): apiVersion not set (found unknown field "piVersion")\n`);
  });
});

describe('walkthrough 14: HPA, requests of 10m, 50% target, a total load of 29m', () => {
  it('scales 2 pods carrying 29m in all to ceil(29 / 5) = 6, shown as cpu: 145%/50%, and keeps 6 once the load has spread to 5m a pod', async () => {
    const out = await runScenario('14-hpa-total-load.scenario.yaml');
    expect(out.code).toBe(0);
    const hpa = (n: number) => out.step(n).table('horizontalpodautoscaler.autoscaling')[0]!;
    expect(hpa(7)).toMatchObject({ REFERENCE: 'StatefulSet/web', TARGETS: 'cpu: 145%/50%', MINPODS: '1', MAXPODS: '10', REPLICAS: '6' });
    expect(out.step(7).table('statefulset.apps')[0]!['READY']).toBe('6/6');
    expect(hpa(12)).toMatchObject({ TARGETS: 'cpu: 50%/50%', REPLICAS: '6' });
    const top = out.stdout.split(/^(?=# step )/m).find((p) => p.startsWith('# step 13 (top)'))!;
    // (top lists CoreDNS's pods too)
    expect(top.split('\n').filter((l) => l.startsWith('web-')).map((l) => l.split(/ +/).slice(0, 2).join(' '))).toEqual(['web-0 5m', 'web-1 5m', 'web-2 5m', 'web-3 5m', 'web-4 5m', 'web-5 5m']);
  });
});

describe('kubeloop run examples/walkthroughs (the folder the README points to)', () => {
  it('runs every scenario of the folder in turn, each on a fresh cluster, without applying the manifests they use on their own', async () => {
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', walkthroughs], { stdout, stderr })).toBe(0);
    const headings = stdout.text.split('\n').filter((l) => l.startsWith(`# ${walkthroughs}`));
    expect(headings.map((h) => h.slice(walkthroughs.length + 3))).toEqual([
      '01-replicaset-whoami-web.scenario.yaml',
      '02-deployment-pi-web.scenario.yaml',
      '03-image-pulls.scenario.yaml',
      '04-deployment-pi-proxy-configmap.scenario.yaml',
      '05-daemonset-pi-proxy.scenario.yaml',
      '06-ownership.scenario.yaml',
      '07-statefulset-vs-replicaset.scenario.yaml',
      '08-persistentvolumeclaims.scenario.yaml',
      '09-headless-service-dns.scenario.yaml',
      '10-nodeport.scenario.yaml',
      '11-ingress-nginx.scenario.yaml',
      '12-loadbalancer-metallb.scenario.yaml',
      '13-hpa-arithmetic.scenario.yaml',
      '14-hpa-total-load.scenario.yaml',
      '15-cluster-autoscaler.scenario.yaml',
      '15-vpa.scenario.yaml',
      '16-node-failure.scenario.yaml',
    ]);
    // each prints what it prints alone
    const alone = await runScenario('02-deployment-pi-web.scenario.yaml');
    expect(stdout.text).toContain(alone.stdout);
    // pod-request-pod.yaml (a deliberately bad manifest no scenario applies) is not run
    expect(stderr.text).toBe(`ran 17 scenarios of ${walkthroughs}: 17 succeeded\n`);
  });

  it('runs a folder whose every file is a scenario (as examples/cli/scenarios), whatever the file names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-folder-'));
    writeFileSync(join(dir, 'one.yaml'), 'kind: Scenario\ncluster: {nodes: 1}\nsteps:\n  - echo: first\n');
    writeFileSync(join(dir, 'two.yaml'), 'kind: Scenario\ncluster: {nodes: 1}\nsteps:\n  - echo: second\n');
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', dir], { stdout, stderr })).toBe(0);
    expect(stdout.text).toMatch(new RegExp(`^# .*one\\.yaml\n\nfirst\n[^]*\n# .*two\\.yaml\n\nsecond\n`));
    expect(stderr.text).toBe(`ran 2 scenarios of ${dir}: 2 succeeded\n`);
  });

  it('reports a failing scenario and runs the next, exiting 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-folder-'));
    writeFileSync(join(dir, 'a.scenario.yaml'), 'kind: Scenario\nsteps:\n  - apply: missing.yaml\n');
    writeFileSync(join(dir, 'b.scenario.yaml'), 'kind: Scenario\ncluster: {nodes: 1}\nsteps:\n  - apply: pod.yaml\n  - settle\n  - get: pods\n');
    writeFileSync(join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: app, image: nginx}]}\n');
    const stdout = buffer();
    const stderr = buffer();
    expect(await main(['run', dir], { stdout, stderr })).toBe(1);
    expect(stdout.text).toMatch(/^default +web +1\/1 +Running /m);
    expect(stderr.text).toBe(`error: ${join(dir, 'missing.yaml')}: cannot read file\nran 2 scenarios of ${dir}: 1 succeeded, 1 failed (${join(dir, 'a.scenario.yaml')})\n`);
  });
});

/**
 * Scenarios: a YAML file with the cluster's shape and ordered steps, read and checked whole
 * before anything runs (pure apart from reading the files it names).
 *
 * ```yaml
 * kind: Scenario
 * metadata:
 *   name: node-down
 * cluster:
 *   seed: 7                 # default: --seed, else 1
 *   nodes: 3                # or a list: [{name: big, cpu: "16", memory: 64Gi, labels: {disk: ssd}}]
 * steps:
 *   - apply: web.yaml       # a file, relative to the scenario file
 *   - apply:                # or inline manifests (one object or a list)
 *       apiVersion: v1
 *       kind: Pod
 *       metadata: {name: extra}
 *       spec: {containers: [{name: app, image: nginx}]}
 *   - settle                # until quiet (or `settle: {}`); `settle: {timeout: 2m}` bounds it
 *   - get: pods             # print a table now: one resource, a list, or `all`
 *   - stopNode: node-1
 *   - advance: 2m
 *   - restoreNode: node-1
 *   - patch: {resource: pods, name: extra, patch: {metadata: {labels: {tier: web}}}}
 *   - label: {resource: nodes, name: node-1, labels: {disk: ssd}}   # `null` removes a label
 *   - scale: {resource: deployments, name: web, replicas: 4}
 *   - delete: {resource: pods, name: extra, propagationPolicy: Background}
 *   - delete: {resource: pods, selector: app=web}
 *   - get: [pods, nodes]
 *   - get: {resources: pods, output: wide}   # this get in another format (table, wide, name, json, yaml)
 *   - echo: The node is back.   # a line of narration, printed with the tables
 *   - top: pods             # kubectl top pods (or nodes), from metrics-server's PodMetrics / NodeMetrics
 *   - traffic: {to: "http://web:80/", from: pod/client, requests: 100}   # where 100 requests go (table)
 *   - traffic: {to: "http://node-1:30080/", headers: {X-Canary: always}} # from outside (the default)
 *   - exec: {pod: client, command: nslookup web}   # a command line in a pod; prints what it prints
 * ```
 *
 * `traffic` sends `requests` (default 100) discrete requests to `to` — a Service name (from a
 * pod: through its DNS search path), a ClusterIP, `<node name or IP>:<nodePort>`, a load
 * balancer address — `from: outside` (the default) or `from: pod/<name>` (in `namespace`,
 * default `default`), and prints `TARGET BACKEND POD REQUESTS SHARE`: one row per pod that
 * answered (a redirect or error status after its name: `web-1 (308)`), failures
 * (`<connection refused>`, `<timed out>`, `<could not resolve host: x>`, and over HTTPS a
 * refused certificate: `<SSL certificate problem: self-signed certificate>`, unless the step
 * says `insecure: true`, as `curl -k`) as rows of their own. From outside, only addresses, node names and fully qualified cluster names
 * resolve. `exec` runs `command` as `sh -c` in the pod's first container (`nslookup`, `curl`,
 * `wget`, `hostname`, `echo`, ... through the shell interpreter) and prints its output.
 *
 * `cluster.metricsServer: true` runs a metrics-server (needed by HPAs and `top`).
 * `cluster.cloudProvider: true` makes the cluster a cloud's: a fake cloud provider's service
 * controller gives LoadBalancer Services their addresses instead of MetalLB.
 * `cluster.ingressNginx: true` installs ingress-nginx (Ingresses of class nginx).
 * `cluster.clusterDns` (default true, as in a kind cluster) runs cluster DNS as kubeadm
 * installs it: the `coredns` Deployment behind the Service `kube-system/kube-dns` (10.96.0.10);
 * pods' lookups fail (`;; connection timed out; no servers could be reached`) while it has no
 * ready pod. `false` leaves `kube-system` empty and DNS answering always.
 * `cluster.verticalPodAutoscaler: true` runs the VPA add-on (VerticalPodAutoscalers are then
 * served; it reads the metrics-server). `cluster.nodeGroups` declares node groups of a fake
 * cloud that the Cluster Autoscaler grows and shrinks:
 *
 * ```yaml
 * cluster:
 *   nodes: 1
 *   nodeGroups:
 *     - {name: pool, minSize: 0, maxSize: 3, cpu: "2", memory: 8Gi, bootDelay: 30s, labels: {pool: burst}}
 * ```
 *
 * Resources are named as `kubectl get` accepts them (`pods`, `pod`, `Pod`, `po`,
 * `deployments.apps`); `namespace` defaults to `default` for namespaced kinds.
 *
 * @module
 */
import { dirname, isAbsolute, join } from 'node:path';
import { ResourceRegistry, parseSelector } from '@kubeloop/core';
import type { PropagationPolicy, ResourceDefinition } from '@kubeloop/core';
import { SimCluster, SimClusterError } from '@kubeloop/testing';
import type { NodeGroupSpec as NodeGroupConfig, NodeSpec } from '@kubeloop/testing';
import { parseCliDuration } from './duration.js';
import { InputError, checkManifests, nodeFs, readManifestFile } from './manifests.js';
import type { ManifestFs } from './manifests.js';
import { OUTPUT_FORMATS } from './table.js';
import type { OutputFormat } from './table.js';

/** An object a step acts on. */
export interface StepTarget {
  /** Its resource. */
  readonly resource: ResourceDefinition;
  /** Its namespace (`default` for namespaced kinds unless given; absent for cluster-scoped). */
  readonly namespace?: string | undefined;
  /** Its name. */
  readonly name: string;
}

/** One step of a scenario, checked; `label` names it in messages (`step 3 (scale)`). */
export type ScenarioStep = { readonly label: string } & (
  | { readonly op: 'apply'; readonly source: string; readonly text: string }
  | { readonly op: 'delete'; readonly resource: ResourceDefinition; readonly namespace?: string | undefined; readonly name?: string | undefined; readonly selector?: string | undefined; readonly propagationPolicy?: PropagationPolicy | undefined }
  | ({ readonly op: 'scale'; readonly replicas: number } & StepTarget)
  | ({ readonly op: 'patch'; readonly patch: Record<string, unknown> } & StepTarget)
  | ({ readonly op: 'label'; readonly labels: Readonly<Record<string, string | null>> } & StepTarget)
  | { readonly op: 'advance'; readonly ms: number }
  | { readonly op: 'settle'; readonly timeoutMs?: number | undefined }
  | { readonly op: 'stopNode' | 'restoreNode' | 'removeNode'; readonly node: string }
  | { readonly op: 'addNode'; readonly spec: NodeSpec }
  | { readonly op: 'get'; readonly resources: readonly ResourceDefinition[] | 'all'; readonly output?: OutputFormat | undefined }
  | { readonly op: 'echo'; readonly text: string }
  | { readonly op: 'top'; readonly what: 'pods' | 'nodes' }
  | { readonly op: 'traffic'; readonly to: string; readonly from: 'outside' | { readonly pod: string }; readonly namespace: string; readonly requests: number; readonly headers: Readonly<Record<string, string>>; readonly insecure: boolean }
  | { readonly op: 'exec'; readonly pod: string; readonly namespace: string; readonly command: string }
);

/** A scenario, checked: the cluster's shape and its steps. */
export interface Scenario {
  /** `metadata.name`, if given. */
  readonly name?: string | undefined;
  /** The seed, if the scenario sets one. */
  readonly seed?: number | undefined;
  /** The nodes, if the scenario sets them. */
  readonly nodes?: number | readonly NodeSpec[] | undefined;
  /** Whether the scenario runs a metrics-server (`cluster.metricsServer`). */
  readonly metricsServer?: boolean | undefined;
  /** Whether LoadBalancer addresses come from a fake cloud instead of MetalLB (`cluster.cloudProvider`). */
  readonly cloudProvider?: boolean | undefined;
  /** Whether the cluster runs ingress-nginx (`cluster.ingressNginx`). */
  readonly ingressNginx?: boolean | undefined;
  /** Whether the scenario runs the VPA add-on (`cluster.verticalPodAutoscaler`). */
  readonly verticalPodAutoscaler?: boolean | undefined;
  /** Node groups of a fake cloud, grown and shrunk by the Cluster Autoscaler (`cluster.nodeGroups`). */
  readonly nodeGroups?: readonly NodeGroupConfig[] | undefined;
  /** Whether the cluster runs CoreDNS behind `kube-system/kube-dns` (`cluster.clusterDns`; `kubeloop run` defaults to true). */
  readonly clusterDns?: boolean | undefined;
  /** The steps, in order. */
  readonly steps: readonly ScenarioStep[];
}

const STEP_OPS = ['apply', 'delete', 'scale', 'patch', 'label', 'advance', 'settle', 'stopNode', 'restoreNode', 'removeNode', 'addNode', 'get', 'echo', 'top', 'traffic', 'exec'] as const;
/** What a node spec may say (a SimCluster `NodeSpec`): in `cluster.nodes` and `addNode` steps. */
const NODE_SPEC_FIELDS: readonly string[] = ['name', 'cpu', 'memory', 'pods', 'ephemeralStorage', 'allocatable', 'labels', 'taints', 'podCIDR', 'internalIP'];
const POLICIES: readonly string[] = ['Orphan', 'Background', 'Foreground'];
/** The fields of the cluster block. */
const CLUSTER_FIELDS: readonly string[] = ['seed', 'nodes', 'metricsServer', 'cloudProvider', 'ingressNginx', 'verticalPodAutoscaler', 'nodeGroups', 'clusterDns'];
/** What a node group may say: a runtime-fake `NodeGroupConfig`, its boot delay as a duration. */
const NODE_GROUP_FIELDS: readonly string[] = ['name', 'minSize', 'maxSize', 'cpu', 'memory', 'pods', 'labels', 'taints', 'bootDelay', 'failBoot'];

/** Whether a parsed document is a scenario (`kind: Scenario`). */
export function isScenario(body: Record<string, unknown>): boolean {
  return body['kind'] === 'Scenario';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Checks a scenario document and everything it names: every step's shape, every resource name,
 * every node name, every duration, and every manifest it applies (files read and inline ones
 * checked as `kubeloop run` checks files).
 *
 * @param body - the parsed `kind: Scenario` document.
 * @param source - the scenario file; files named by `apply` steps are relative to it.
 * @throws {@link InputError} naming `source`, the step and the field, or the manifest's file,
 * object and field.
 */
export function parseScenario(body: Record<string, unknown>, source: string, given: ResourceRegistry, fs: ManifestFs = nodeFs, defaultNodes = 3): Scenario {
  let registry = given;
  const fail = (where: string, why: string): never => {
    throw new InputError(`${source} (Scenario${where ? `, ${where}` : ''}): ${why}`);
  };
  const known = new Set(['apiVersion', 'kind', 'metadata', 'cluster', 'steps']);
  for (const k of Object.keys(body)) if (!known.has(k)) fail(k, `unknown field "${k}" (fields: ${[...known].join(', ')})`);
  const cluster = body['cluster'] ?? {};
  if (!isRecord(cluster)) return fail('cluster', 'must be an object with seed and nodes');
  for (const k of Object.keys(cluster)) if (!CLUSTER_FIELDS.includes(k)) fail(`cluster.${k}`, `unknown field "${k}" (fields: ${CLUSTER_FIELDS.join(', ')})`);
  const metricsServer = cluster['metricsServer'];
  if (metricsServer !== undefined && typeof metricsServer !== 'boolean') fail('cluster.metricsServer', `must be true or false, got ${JSON.stringify(metricsServer)}`);
  const cloudProvider = cluster['cloudProvider'];
  if (cloudProvider !== undefined && typeof cloudProvider !== 'boolean') fail('cluster.cloudProvider', `must be true or false, got ${JSON.stringify(cloudProvider)}`);
  const ingressNginx = cluster['ingressNginx'];
  if (ingressNginx !== undefined && typeof ingressNginx !== 'boolean') fail('cluster.ingressNginx', `must be true or false, got ${JSON.stringify(ingressNginx)}`);
  const vpa = cluster['verticalPodAutoscaler'];
  if (vpa !== undefined && typeof vpa !== 'boolean') fail('cluster.verticalPodAutoscaler', `must be true or false, got ${JSON.stringify(vpa)}`);
  const clusterDns = cluster['clusterDns'];
  if (clusterDns !== undefined && typeof clusterDns !== 'boolean') fail('cluster.clusterDns', `must be true or false, got ${JSON.stringify(clusterDns)}`);
  // The add-ons' kinds are served by the cluster: the manifests of the steps may use them
  // (checked against a copy of the registry given, which stays as it was).
  const addOns = SimCluster.addOnResources({ verticalPodAutoscaler: vpa === true }).filter((r) => given.forKind(r.apiVersion, r.kind) === undefined);
  if (addOns.length > 0) {
    registry = new ResourceRegistry();
    for (const r of [...given.all(), ...addOns]) registry.register(r);
  }
  const rawGroups = cluster['nodeGroups'];
  let nodeGroups: NodeGroupConfig[] | undefined;
  if (rawGroups !== undefined) {
    if (!Array.isArray(rawGroups) || !rawGroups.every(isRecord)) return fail('cluster.nodeGroups', 'must be a list of node groups (name, minSize, maxSize, cpu, memory, pods, labels, taints, bootDelay, failBoot)');
    nodeGroups = rawGroups.map((g, i) => {
      const where = `cluster.nodeGroups[${i}]`;
      for (const k of Object.keys(g)) if (!NODE_GROUP_FIELDS.includes(k)) fail(`${where}.${k}`, `unknown field "${k}" (fields: ${NODE_GROUP_FIELDS.join(', ')})`);
      const { bootDelay, ...rest } = g;
      if (typeof rest['name'] !== 'string' || rest['name'] === '') return fail(`${where}.name`, 'must name the group');
      if (typeof rest['maxSize'] !== 'number') return fail(`${where}.maxSize`, 'must be a whole number');
      let bootDelayMs: number | undefined;
      if (bootDelay !== undefined) {
        try {
          bootDelayMs = parseCliDuration(String(bootDelay));
        } catch (e) {
          return fail(`${where}.bootDelay`, (e as Error).message);
        }
      }
      return { ...(rest as unknown as NodeGroupConfig), ...(bootDelayMs === undefined ? {} : { bootDelayMs }) };
    });
    try {
      SimCluster.checkNodeGroups(nodeGroups);
    } catch (e) {
      if (e instanceof SimClusterError) return fail('cluster.nodeGroups', e.message);
      throw e;
    }
  }
  const seed = cluster['seed'];
  if (seed !== undefined && !(Number.isInteger(seed) && (seed as number) >= 0)) fail('cluster.seed', `must be a whole number, got ${JSON.stringify(seed)}`);
  /** A node spec's fields and name, then the spec as the cluster would check it before its kubelet starts. */
  const nodeSpec = (spec: Record<string, unknown>, where: string, taken: readonly string[], hint = ''): NodeSpec => {
    for (const k of Object.keys(spec)) if (!NODE_SPEC_FIELDS.includes(k)) fail(`${where}.${k}`, `unknown field "${k}" (fields: ${NODE_SPEC_FIELDS.join(', ')})`);
    const nodeName = spec['name'];
    if (typeof nodeName !== 'string' || nodeName === '') return fail(`${where}.name`, 'must name the node');
    if (taken.includes(nodeName)) return fail(`${where}.name`, `node "${nodeName}" is already in this cluster${hint}`);
    try {
      SimCluster.checkNodeSpec(spec as unknown as NodeSpec);
    } catch (e) {
      if (e instanceof SimClusterError) return fail(where, e.message);
      throw e;
    }
    return spec as unknown as NodeSpec;
  };
  const nodes = cluster['nodes'];
  const nodeNames: string[] = [];
  if (nodes === undefined) nodeNames.push(...Array.from({ length: defaultNodes }, (_, i) => `node-${i + 1}`));
  else if (Number.isInteger(nodes) && (nodes as number) >= 0) nodeNames.push(...Array.from({ length: nodes as number }, (_, i) => `node-${i + 1}`));
  else if (Array.isArray(nodes) && nodes.every(isRecord)) nodes.forEach((n, i) => nodeNames.push(nodeSpec(n, `cluster.nodes[${i}]`, nodeNames).name));
  else return fail('cluster.nodes', 'must be a whole number of nodes or a list of node specs with a name');
  const rawSteps = body['steps'];
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) return fail('steps', 'must be a non-empty list of steps');
  const meta = body['metadata'];
  const name = isRecord(meta) && typeof meta['name'] === 'string' ? meta['name'] : undefined;
  const steps = rawSteps.map((raw: unknown, i): ScenarioStep => {
    const stepRaw = raw === 'settle' ? { settle: {} } : raw;
    if (!isRecord(stepRaw) || Object.keys(stepRaw).length !== 1) return fail(`steps[${i}]`, `a step is an object with exactly one of: ${STEP_OPS.join(', ')}`);
    const [op, arg] = Object.entries(stepRaw)[0]!;
    const where = `steps[${i}].${op}`;
    const label = `step ${i + 1} (${op})`;
    const resourceOf = (v: unknown, field = 'resource'): ResourceDefinition => {
      const r = typeof v === 'string' ? registry.lookup(v) : undefined;
      return r ?? fail(`${where}.${field}`, `unknown resource ${JSON.stringify(v)}`);
    };
    const target = (a: unknown): StepTarget & { rest: Record<string, unknown> } => {
      if (!isRecord(a)) return fail(where, 'must be an object with resource and name');
      const resource = resourceOf(a['resource']);
      if (typeof a['name'] !== 'string' || a['name'] === '') return fail(`${where}.name`, 'must be set');
      const namespace = typeof a['namespace'] === 'string' ? a['namespace'] : resource.namespaced ? 'default' : undefined;
      return { resource, namespace, name: a['name'], rest: a };
    };
    switch (op) {
      case 'apply': {
        if (typeof arg === 'string') {
          const path = isAbsolute(arg) ? arg : join(dirname(source), arg);
          const text = readManifestFile(path, fs);
          checkManifests(text, path, registry);
          return { label, op, source: path, text };
        }
        if (!isRecord(arg) && !Array.isArray(arg)) return fail(where, 'must be a file name, a manifest or a list of manifests');
        const text = JSON.stringify(Array.isArray(arg) ? { apiVersion: 'v1', kind: 'List', items: arg } : arg);
        const inline = `${source} ${label}`;
        checkManifests(text, inline, registry);
        return { label, op, source: inline, text };
      }
      case 'delete': {
        if (!isRecord(arg)) return fail(where, 'must be an object with resource and name or selector');
        const resource = resourceOf(arg['resource']);
        const { name: n, selector, propagationPolicy } = arg;
        if ((typeof n === 'string') === (typeof selector === 'string')) fail(where, 'needs exactly one of name and selector');
        if (typeof selector === 'string') {
          try {
            parseSelector(selector);
          } catch (e) {
            fail(`${where}.selector`, (e as Error).message);
          }
        }
        if (propagationPolicy !== undefined && !POLICIES.includes(propagationPolicy as string)) fail(`${where}.propagationPolicy`, `must be one of ${POLICIES.join(', ')}`);
        const namespace = typeof arg['namespace'] === 'string' ? arg['namespace'] : resource.namespaced ? 'default' : undefined;
        return { label, op, resource, namespace, name: n as string | undefined, selector: selector as string | undefined, propagationPolicy: propagationPolicy as PropagationPolicy | undefined };
      }
      case 'scale': {
        const t = target(arg);
        if (!t.resource.subresources?.scale) fail(`${where}.resource`, `${t.resource.plural} has no scale subresource`);
        const replicas = t.rest['replicas'];
        if (!Number.isInteger(replicas) || (replicas as number) < 0) fail(`${where}.replicas`, `must be a whole number, got ${JSON.stringify(replicas)}`);
        return { label, op, resource: t.resource, namespace: t.namespace, name: t.name, replicas: replicas as number };
      }
      case 'patch': {
        const t = target(arg);
        const patch = t.rest['patch'];
        if (!isRecord(patch)) return fail(`${where}.patch`, 'must be a merge patch (an object)');
        return { label, op, resource: t.resource, namespace: t.namespace, name: t.name, patch };
      }
      case 'label': {
        const t = target(arg);
        const labels = t.rest['labels'];
        if (!isRecord(labels) || Object.keys(labels).length === 0) return fail(`${where}.labels`, 'must be a map of labels to set (a value of null removes the label)');
        for (const [k, v] of Object.entries(labels)) if (v !== null && typeof v !== 'string') fail(`${where}.labels.${k}`, `must be a string, or null to remove the label, got ${JSON.stringify(v)}`);
        return { label, op, resource: t.resource, namespace: t.namespace, name: t.name, labels: labels as Record<string, string | null> };
      }
      case 'advance':
        try {
          return { label, op, ms: parseCliDuration(String(arg)) };
        } catch (e) {
          return fail(where, (e as Error).message);
        }
      case 'settle': {
        if (arg === null) return { label, op };
        if (!isRecord(arg)) return fail(where, 'write `- settle`, or `- settle: {timeout: 2m}`');
        for (const k of Object.keys(arg)) if (k !== 'timeout') fail(`${where}.${k}`, `unknown option "${k}" (options: timeout)`);
        if (arg['timeout'] === undefined) return { label, op };
        try {
          return { label, op, timeoutMs: parseCliDuration(String(arg['timeout'])) };
        } catch (e) {
          return fail(`${where}.timeout`, (e as Error).message);
        }
      }
      case 'stopNode':
      case 'restoreNode':
      case 'removeNode':
        if (typeof arg !== 'string' || !nodeNames.includes(arg)) return fail(where, `no node ${JSON.stringify(arg)} in this cluster (nodes: ${nodeNames.join(', ') || 'none'})`);
        return { label, op, node: arg };
      case 'addNode': {
        // `addNode: node-4`, or a node spec as in cluster.nodes
        const spec = typeof arg === 'string' ? { name: arg } : arg;
        if (!isRecord(spec)) return fail(where, 'write `- addNode: <name>`, or `- addNode: {name: <name>, cpu: "2", labels: {...}}`');
        const checked = nodeSpec(spec, where, nodeNames, ' (to bring back a stopped or removed node, use restoreNode)');
        nodeNames.push(checked.name);
        return { label, op, spec: checked };
      }
      case 'get': {
        // `get: pods`, `get: [pods, nodes]`, `get: all`, or `get: {resources: pods, output: wide}`
        let what: unknown = arg;
        let output: OutputFormat | undefined;
        if (isRecord(arg)) {
          for (const k of Object.keys(arg)) if (k !== 'resources' && k !== 'output') fail(`${where}.${k}`, `unknown field "${k}" (fields: resources, output)`);
          if (arg['output'] !== undefined && !(OUTPUT_FORMATS as readonly unknown[]).includes(arg['output'])) fail(`${where}.output`, `must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(arg['output'])}`);
          output = arg['output'] as OutputFormat | undefined;
          what = arg['resources'] ?? fail(`${where}.resources`, 'must name a resource, a list of them, or all');
        }
        if (what === 'all') return { label, op, resources: 'all', output };
        const list = Array.isArray(what) ? what : [what];
        return { label, op, resources: list.map((r) => resourceOf(r, 'get')), output };
      }
      case 'echo':
        if (typeof arg !== 'string' || arg.trim() === '') return fail(where, 'must be a line of text');
        return { label, op, text: arg.trim() };
      case 'top':
        if (arg !== 'pods' && arg !== 'nodes') return fail(where, `must be pods or nodes, got ${JSON.stringify(arg)}`);
        return { label, op, what: arg };
      case 'traffic': {
        if (!isRecord(arg)) return fail(where, 'write `- traffic: {to: http://<host>[:port]/<path>, from: outside | pod/<name>, requests: N}`');
        for (const k of Object.keys(arg)) if (!['to', 'from', 'namespace', 'requests', 'headers', 'insecure'].includes(k)) fail(`${where}.${k}`, `unknown field "${k}" (fields: to, from, namespace, requests, headers, insecure)`);
        const to = arg['to'];
        if (typeof to !== 'string' || !/^(https?:\/\/)?[^/\s:]+(:\d+)?(\/\S*)?$/.test(to)) return fail(`${where}.to`, `must be a URL (http://<host>[:port]/<path>), got ${JSON.stringify(to)}`);
        const fromRaw = arg['from'] ?? 'outside';
        let from: 'outside' | { pod: string };
        if (fromRaw === 'outside') from = 'outside';
        else if (typeof fromRaw === 'string' && /^pods?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(fromRaw)) from = { pod: fromRaw.slice(fromRaw.indexOf('/') + 1) };
        else return fail(`${where}.from`, `must be outside or pod/<name>, got ${JSON.stringify(fromRaw)}`);
        const requests = arg['requests'] ?? 100;
        if (!Number.isInteger(requests) || (requests as number) < 1 || (requests as number) > 1_000_000) fail(`${where}.requests`, `must be a whole number from 1 to 1000000, got ${JSON.stringify(requests)}`);
        const headers = arg['headers'] ?? {};
        if (!isRecord(headers) || Object.values(headers).some((v) => typeof v !== 'string')) return fail(`${where}.headers`, 'must be a map of header names to strings');
        const namespace = typeof arg['namespace'] === 'string' ? arg['namespace'] : 'default';
        const insecure = arg['insecure'] ?? false;
        if (typeof insecure !== 'boolean') fail(`${where}.insecure`, `must be true or false, got ${JSON.stringify(insecure)}`);
        return { label, op, to, from, namespace, requests: requests as number, headers: headers as Record<string, string>, insecure: insecure as boolean };
      }
      case 'exec': {
        if (!isRecord(arg)) return fail(where, 'write `- exec: {pod: <name>, command: <command line>}`');
        for (const k of Object.keys(arg)) if (!['pod', 'namespace', 'command'].includes(k)) fail(`${where}.${k}`, `unknown field "${k}" (fields: pod, namespace, command)`);
        if (typeof arg['pod'] !== 'string' || arg['pod'] === '') return fail(`${where}.pod`, 'must name a pod');
        if (typeof arg['command'] !== 'string' || arg['command'].trim() === '') return fail(`${where}.command`, 'must be a command line');
        return { label, op, pod: arg['pod'], namespace: typeof arg['namespace'] === 'string' ? arg['namespace'] : 'default', command: arg['command'] };
      }
      default:
        return fail(`steps[${i}]`, `unknown step "${op}" (steps: ${STEP_OPS.join(', ')})`);
    }
  });
  return {
    name,
    seed: seed as number | undefined,
    nodes: nodes as Scenario['nodes'],
    ...(metricsServer === undefined ? {} : { metricsServer: metricsServer as boolean }),
    ...(cloudProvider === undefined ? {} : { cloudProvider: cloudProvider as boolean }),
    ...(ingressNginx === undefined ? {} : { ingressNginx: ingressNginx as boolean }),
    ...(vpa === undefined ? {} : { verticalPodAutoscaler: vpa as boolean }),
    ...(nodeGroups === undefined ? {} : { nodeGroups }),
    ...(clusterDns === undefined ? {} : { clusterDns: clusterDns as boolean }),
    steps,
  };
}

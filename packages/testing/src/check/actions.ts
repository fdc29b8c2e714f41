/**
 * What a user does to a running cluster, as plain data: the steps of a property test.
 *
 * @module
 */
import { isApiError } from '@kubeloop/core';
import type { Node, PropagationPolicy } from '@kubeloop/core';
import type { SimCluster } from '../sim/cluster.js';
import type { RunContext } from './check.js';

/** A Node taint, as an action sets it. */
export interface TaintSpec {
  /** The taint key. */
  readonly key: string;
  /** Its value (may be empty). */
  readonly value: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/**
 * One user action. Resources are named as `kubectl` names them (`replicasets`, `greetings`);
 * nodes by number (0-based, modulo the node count) so that shrinking keeps actions valid.
 *
 * - `apply`: `kubectl apply` of one object (create, or merge into the live one);
 * - `patch`: a JSON merge patch; `scale`: sets `spec.replicas`;
 * - `delete`: with a propagation policy (the kind's default when absent);
 * - `advance`: lets virtual time pass;
 * - `stopNode` / `restoreNode`: a node's kubelet stops, or a stopped or removed node comes back
 *   (its kubelet registers the Node again);
 * - `removeNode`: a machine leaves the cluster (its kubelet stops and its Node is deleted; see
 *   `SimCluster.removeNode`); `addNode`: a new machine `name` joins (a no-op if a node of that
 *   name exists: bring it back with `restoreNode`);
 * - `labelNode` / `taintNode`: edits a Node's labels or taints (`null` removes the label, or
 *   every taint whose key is under `example.com/`).
 */
export type ClusterAction =
  | { readonly kind: 'apply'; readonly object: Readonly<Record<string, unknown>> }
  | { readonly kind: 'patch'; readonly resource: string; readonly namespace?: string | undefined; readonly name: string; readonly patch: Readonly<Record<string, unknown>> }
  | { readonly kind: 'scale'; readonly resource: string; readonly namespace?: string | undefined; readonly name: string; readonly replicas: number }
  | { readonly kind: 'delete'; readonly resource: string; readonly namespace?: string | undefined; readonly name: string; readonly propagationPolicy?: PropagationPolicy | undefined }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'stopNode'; readonly node: number }
  | { readonly kind: 'restoreNode'; readonly node: number }
  | { readonly kind: 'removeNode'; readonly node: number }
  | { readonly kind: 'addNode'; readonly name: string; readonly labels?: Readonly<Record<string, string>> | undefined }
  | { readonly kind: 'labelNode'; readonly node: number; readonly key: string; readonly value: string | null }
  | { readonly kind: 'taintNode'; readonly node: number; readonly taint: TaintSpec | null };

/** One line per action, as a failure report prints them. */
export function describeAction(a: ClusterAction): string {
  const at = (ns: string | undefined, name: string) => `${ns === undefined ? '' : `${ns}/`}${name}`;
  switch (a.kind) {
    case 'apply': {
      const meta = (a.object['metadata'] ?? {}) as { namespace?: string; name?: string };
      return `apply ${String(a.object['kind'])} ${at(meta.namespace, meta.name ?? '?')} ${JSON.stringify(a.object['spec'] ?? a.object['data'] ?? {})}`;
    }
    case 'patch':
      return `patch ${a.resource} ${at(a.namespace, a.name)} ${JSON.stringify(a.patch)}`;
    case 'scale':
      return `scale ${a.resource} ${at(a.namespace, a.name)} to ${a.replicas}`;
    case 'delete':
      return `delete ${a.resource} ${at(a.namespace, a.name)}${a.propagationPolicy ? ` (${a.propagationPolicy})` : ''}`;
    case 'advance':
      return `advance ${a.ms} ms`;
    case 'stopNode':
      return `stop node #${a.node}`;
    case 'restoreNode':
      return `restore node #${a.node}`;
    case 'removeNode':
      return `remove node #${a.node} (kubelet stopped, Node deleted)`;
    case 'addNode':
      return `add node ${a.name}${a.labels === undefined ? '' : ` ${JSON.stringify(a.labels)}`}`;
    case 'labelNode':
      return `label node #${a.node} ${a.key}=${a.value ?? '(removed)'}`;
    case 'taintNode':
      return a.taint === null ? `untaint node #${a.node}` : `taint node #${a.node} ${a.taint.key}=${a.taint.value}:${a.taint.effect}`;
  }
}

/**
 * Performs a {@link ClusterAction} on `cluster`. An action on an object that does not exist (or
 * whose create races another) is a no-op, as a user's `kubectl` command would simply fail.
 * With a `context` (as `checkCluster` passes it), `advance` actions let time pass through
 * it, so that a crashed controller manager restarts during the step.
 *
 * Errors: anything else the API server rejects (e.g. an invalid object), as thrown.
 */
export async function performAction(cluster: SimCluster, action: ClusterAction, context?: Pick<RunContext<unknown>, 'advance'>): Promise<void> {
  const resource = (name: string) => {
    const def = cluster.server.registry.lookup(name);
    if (def === undefined) throw new Error(`unknown resource ${name}`);
    return def;
  };
  const nodeName = (n: number) => {
    const names = cluster.nodes.kubelets().map((k) => k.nodeName);
    return names.length === 0 ? undefined : names[n % names.length];
  };
  try {
    switch (action.kind) {
      case 'apply':
        await cluster.apply(action.object);
        return;
      case 'patch':
        await cluster.server.patch(resource(action.resource), { namespace: action.namespace, name: action.name }, { type: 'merge', body: action.patch });
        break;
      case 'scale':
        await cluster.server.patch(resource(action.resource), { namespace: action.namespace, name: action.name }, { type: 'merge', body: { spec: { replicas: action.replicas } } });
        break;
      case 'delete':
        await cluster.server.delete(resource(action.resource), { namespace: action.namespace, name: action.name }, action.propagationPolicy === undefined ? undefined : { propagationPolicy: action.propagationPolicy });
        break;
      case 'advance':
        await (context === undefined ? cluster.advance(action.ms) : context.advance(action.ms));
        return;
      case 'stopNode': {
        const name = nodeName(action.node);
        if (name !== undefined) cluster.stopNode(name);
        return;
      }
      case 'restoreNode': {
        const name = nodeName(action.node);
        if (name !== undefined) await cluster.restoreNode(name);
        return;
      }
      case 'removeNode': {
        const name = nodeName(action.node);
        if (name !== undefined) await cluster.removeNode(name);
        return;
      }
      case 'addNode':
        if (cluster.nodes.kubelet(action.name) === undefined) await cluster.addNode({ name: action.name, ...(action.labels === undefined ? {} : { labels: action.labels }) });
        return;
      case 'labelNode': {
        const name = nodeName(action.node);
        if (name !== undefined) await cluster.server.patch(resource('nodes'), { name }, { type: 'merge', body: { metadata: { labels: { [action.key]: action.value } } } });
        break;
      }
      case 'taintNode': {
        const name = nodeName(action.node);
        if (name === undefined) break;
        const node = (await cluster.server.get(resource('nodes'), { name })) as Node;
        const current = node.spec.taints ?? [];
        // Untaint removes the taints users add (keys under example.com/), never the node lifecycle's own.
        const taints = action.taint === null ? current.filter((t) => !t.key.startsWith('example.com/')) : [...current.filter((t) => !(t.key === action.taint!.key && t.effect === action.taint!.effect)), { ...action.taint }];
        await cluster.server.patch(resource('nodes'), { name }, { type: 'merge', body: { spec: { taints } } });
        break;
      }
    }
  } catch (e) {
    if (isApiError(e, 'NotFound', 'AlreadyExists', 'Conflict')) return;
    throw e;
  }
  await cluster.advance(0);
}

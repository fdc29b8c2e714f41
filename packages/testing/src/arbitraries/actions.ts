/**
 * Arbitrary user actions on a running cluster ({@link ClusterAction}s): apply, scale, patch,
 * delete with each propagation policy, template changes, node faults and edits, machines leaving
 * and joining, time passing.
 *
 * @module
 */
import fc from 'fast-check';
import type { ClusterAction } from '../check/actions.js';
import { WORKLOAD_NAMES, daemonSets, deployments, replicaCounts, replicaSets, services, taints } from './objects.js';

/** The workload kinds {@link clusterActions} applies, scales, changes and deletes. */
export type WorkloadKind = 'ReplicaSet' | 'Deployment' | 'DaemonSet' | 'Service';

/** What {@link clusterActions} draws. */
export interface ClusterActionOptions {
  /** Workload kinds (default: ReplicaSet and Deployment). */
  readonly workloads?: readonly WorkloadKind[] | undefined;
  /** Node numbers are 0..nodes-1 (default 3); 0 leaves node actions out. */
  readonly nodes?: number | undefined;
  /** At most this many actions (default 20). */
  readonly maxActions?: number | undefined;
  /** Include node stops and restores (default true). */
  readonly nodeFaults?: boolean | undefined;
  /**
   * Include machines leaving and joining (default false): `removeNode` of a numbered node, and
   * `addNode` of a new one named from {@link ADDED_NODE_NAMES}, sometimes labelled `pool`. As
   * upstream, a removed node's pods go only when the pod garbage collector runs (a SimCluster's
   * default controller manager runs it); without it they stay bound to the missing node.
   */
  readonly nodeMembership?: boolean | undefined;
  /**
   * The workload names actions use (default {@link WORKLOAD_NAMES}: `web`, `api`, `db`); e.g.
   * `['web']` keeps a run to the one workload its setup applied (deleted and re-applied, never
   * joined by others).
   */
  readonly names?: readonly string[] | undefined;
}

const PLURAL: Readonly<Record<WorkloadKind, string>> = { ReplicaSet: 'replicasets', Deployment: 'deployments', DaemonSet: 'daemonsets', Service: 'services' };
const OBJECTS: Readonly<Record<WorkloadKind, (name: fc.Arbitrary<string>) => fc.Arbitrary<Readonly<Record<string, unknown>>>>> = {
  ReplicaSet: replicaSets,
  Deployment: (name) => deployments(name, false),
  DaemonSet: daemonSets,
  Service: services,
};

/** The names of the nodes `addNode` actions add. */
export const ADDED_NODE_NAMES: readonly string[] = Object.freeze(['node-extra-1', 'node-extra-2']);

/** One arbitrary {@link ClusterAction}. */
export function clusterAction(options: ClusterActionOptions = {}): fc.Arbitrary<ClusterAction> {
  const workloads = options.workloads ?? ['ReplicaSet', 'Deployment'];
  const nodes = options.nodes ?? 3;
  const names = options.names ?? WORKLOAD_NAMES;
  if (names.length === 0) throw new RangeError('clusterAction: options.names must name at least one workload');
  const name = fc.constantFrom(...names);
  const node = fc.nat({ max: Math.max(0, nodes - 1) });
  const resource = fc.constantFrom(...workloads.map((k) => PLURAL[k]));
  const scalable = workloads.filter((k) => k === 'ReplicaSet' || k === 'Deployment').map((k) => PLURAL[k]);
  const templated = workloads.filter((k) => k !== 'Service').map((k) => PLURAL[k]);
  const choices: fc.WeightedArbitrary<ClusterAction>[] = [
    { weight: 4, arbitrary: fc.oneof(...workloads.map((k) => OBJECTS[k](name))).map((object): ClusterAction => ({ kind: 'apply', object })) },
    {
      weight: 2,
      arbitrary: fc.record({ resource, name, propagationPolicy: fc.constantFrom(undefined, 'Background' as const, 'Foreground' as const, 'Orphan' as const) }).map((d): ClusterAction => ({ kind: 'delete', namespace: 'default', ...d })),
    },
    { weight: 2, arbitrary: fc.integer({ min: 100, max: 30_000 }).map((ms): ClusterAction => ({ kind: 'advance', ms })) },
  ];
  if (scalable.length > 0) {
    choices.push({ weight: 3, arbitrary: fc.record({ resource: fc.constantFrom(...scalable), name, replicas: replicaCounts(6) }).map((s): ClusterAction => ({ kind: 'scale', namespace: 'default', ...s })) });
  }
  if (templated.length > 0) {
    // A template change: a new pod-template annotation starts a rollout.
    const templateChange = fc.record({ resource: fc.constantFrom(...templated), name, revision: fc.nat({ max: 3 }) }).map(
      ({ resource: r, name, revision }): ClusterAction => ({ kind: 'patch', resource: r, namespace: 'default', name, patch: { spec: { template: { metadata: { annotations: { 'example.com/revision': String(revision) } } } } } }),
    );
    choices.push({ weight: 2, arbitrary: templateChange });
  }
  if (nodes > 0) {
    choices.push(
      { weight: 1, arbitrary: fc.record({ node, key: fc.constantFrom('pool', 'example.com/zone'), value: fc.constantFrom('a', 'b', null) }).map((l): ClusterAction => ({ kind: 'labelNode', ...l })) },
      { weight: 1, arbitrary: fc.record({ node, taint: fc.option(taints(), { nil: null }) }).map((t): ClusterAction => ({ kind: 'taintNode', ...t })) },
    );
    if (options.nodeFaults ?? true) {
      choices.push({ weight: 1, arbitrary: node.map((n): ClusterAction => ({ kind: 'stopNode', node: n })) }, { weight: 1, arbitrary: node.map((n): ClusterAction => ({ kind: 'restoreNode', node: n })) });
    }
    if (options.nodeMembership === true) {
      choices.push(
        { weight: 1, arbitrary: node.map((n): ClusterAction => ({ kind: 'removeNode', node: n })) },
        {
          weight: 1,
          arbitrary: fc
            .record({ name: fc.constantFrom(...ADDED_NODE_NAMES), pool: fc.constantFrom(undefined, 'a', 'b') })
            .map(({ name, pool }): ClusterAction => (pool === undefined ? { kind: 'addNode', name } : { kind: 'addNode', name, labels: { pool } })),
        },
      );
    }
  }
  return fc.oneof(...choices);
}

/** Lists of up to `maxActions` {@link ClusterAction}s; shrinks toward fewer, simpler actions. */
export function clusterActions(options: ClusterActionOptions = {}): fc.Arbitrary<readonly ClusterAction[]> {
  return fc.array(clusterAction(options), { maxLength: options.maxActions ?? 20 });
}

/**
 * What-if scheduling for the Cluster Autoscaler (upstream `simulator/clustersnapshot` and the
 * scheduler-framework `PredicateChecker`): a mutable copy of the cluster's nodes and pods, on
 * which pods are checked with the kube-scheduler's own PreFilter and Filter plugins — the same
 * predicates the scheduler runs, never a second copy of them.
 *
 * @module
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@kubeloop/core';
import { DEFAULT_BINDER, builtinPlugins, defaultProfile } from '../scheduler/defaults.js';
import { buildFramework, filterOnNode } from '../scheduler/framework.js';
import type { Framework, Status } from '../scheduler/framework.js';
import { ClusterIndex, NodeInfo, isTerminal, makeSnapshot, podInfo } from '../scheduler/nodeinfo.js';
import type { NodeInfoView, Snapshot } from '../scheduler/nodeinfo.js';

/** What a {@link ClusterSimulation} starts from. */
export interface SimulationInput {
  readonly nodes: readonly Node[];
  /** Pods; those bound to a node (and not finished) occupy it. */
  readonly pods: readonly Pod[];
  readonly pvcs?: readonly PersistentVolumeClaim[] | undefined;
  readonly pvs?: readonly PersistentVolume[] | undefined;
  readonly storageClasses?: readonly StorageClass[] | undefined;
  readonly namespaces?: ReadonlyMap<string, Readonly<Record<string, string>>> | undefined;
}

let framework: Framework | undefined;

/** The default scheduler profile's filters (its binder left out: the simulation binds nothing). */
function filters(): Framework {
  const profile = defaultProfile();
  framework ??= buildFramework({ ...profile, plugins: profile.plugins.filter((p) => p.name !== DEFAULT_BINDER) }, builtinPlugins());
  return framework;
}

/** The key a {@link NodeInfo} files a pod under (as `podInfo` does). */
function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/**
 * A cluster snapshot that can be changed: nodes added (templates) and removed, pods placed and
 * taken away, each check running the scheduler's filters against the current state.
 *
 * Guarantees: `fits` never changes the simulation; `place` only after the caller checked.
 */
export class ClusterSimulation {
  readonly #input: SimulationInput;
  readonly #index = new ClusterIndex();
  readonly #infos = new Map<string, NodeInfo>();
  #snapshot: Snapshot | undefined;

  /** A simulation of `input`: every node, with the bound pods that have not finished. */
  constructor(input: SimulationInput) {
    this.#input = input;
    for (const n of input.nodes) this.#infos.set(n.metadata.name ?? '', new NodeInfo(n, this.#index));
    for (const p of input.pods) {
      const host = p.spec.nodeName;
      if (host === undefined || host === '' || isTerminal(p)) continue;
      this.#infos.get(host)?.addPod(podInfo(p));
    }
  }

  #snap(): Snapshot {
    this.#snapshot ??= makeSnapshot(this.#infos, this.#index, {
      ...(this.#input.pvcs === undefined ? {} : { pvcs: this.#input.pvcs }),
      ...(this.#input.pvs === undefined ? {} : { pvs: this.#input.pvs }),
      ...(this.#input.storageClasses === undefined ? {} : { storageClasses: this.#input.storageClasses }),
      ...(this.#input.namespaces === undefined ? {} : { namespaces: this.#input.namespaces }),
    });
    return this.#snapshot;
  }

  /** The node names, in order. */
  nodeNames(): string[] {
    return [...this.#infos.keys()];
  }

  /** A node's view (its pods and requested resources). */
  node(name: string): NodeInfoView | undefined {
    return this.#infos.get(name);
  }

  /** Adds a node (e.g. a group's template under a new name). */
  addNode(node: Node): void {
    this.#infos.set(node.metadata.name ?? '', new NodeInfo(node, this.#index));
    this.#snapshot = undefined;
  }

  /** Removes a node with its pods. */
  removeNode(name: string): void {
    const info = this.#infos.get(name);
    if (info === undefined) return;
    for (const key of [...info.pods.keys()]) info.removePod(key);
    info.detach();
    this.#infos.delete(name);
    this.#snapshot = undefined;
  }

  /**
   * Whether `pod` passes the scheduler's PreFilter and Filter plugins on node `name`, as a pod
   * to be scheduled anew: a bound pod is checked without its `spec.nodeName` (it is moving).
   */
  fits(pod: Pod, name: string): Status {
    const info = this.#infos.get(name);
    if (info === undefined) return { code: 'UnschedulableAndUnresolvable', reasons: [`node ${name} not found`] };
    const { nodeName: _bound, ...spec } = pod.spec;
    void _bound;
    return filterOnNode(filters(), pod.spec.nodeName === undefined ? pod : { ...pod, spec }, this.#snap(), info);
  }

  /** Puts `pod` on node `name` (as if bound there). */
  place(pod: Pod, name: string): void {
    this.#infos.get(name)?.addPod(podInfo({ ...pod, spec: { ...pod.spec, nodeName: name } }));
  }

  /** Takes `pod` off node `name`. */
  unplace(pod: Pod, name: string): void {
    this.#infos.get(name)?.removePod(podKey(pod));
  }

  /** The first node of `candidates` (in order) the pod fits on, placing it there; or undefined. */
  placeOnFirstFit(pod: Pod, candidates: readonly string[]): string | undefined {
    for (const name of candidates) {
      if (this.fits(pod, name).code === 'Success') {
        this.place(pod, name);
        return name;
      }
    }
    return undefined;
  }
}

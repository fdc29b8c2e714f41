/**
 * What the Cluster Autoscaler needs from a cloud (upstream `cloudprovider.CloudProvider` and
 * `cloudprovider.NodeGroup`): node groups it can grow and shrink, each with a template of the
 * nodes it would add. runtime-fake's `FakeCloudProvider` implements it for simulated clusters.
 *
 * @module
 */
import type { Node } from '@kubeloop/core';

/**
 * One node group (an autoscaling group, a managed instance group): machines of one shape.
 *
 * Guarantees expected of an implementation: `targetSize()` counts the machines asked for,
 * booting ones included; `minSize ≤ maxSize`; a machine it names in `nodes()` registers a
 * Node of that name once booted.
 */
export interface NodeGroup {
  /** A unique id (upstream `Id()`), what the events, expanders and status name. */
  readonly id: string;
  /** The least number of machines the autoscaler keeps (`MinSize()`). */
  readonly minSize: number;
  /** The most machines the autoscaler asks for (`MaxSize()`). */
  readonly maxSize: number;
  /** How many machines are asked for now, booting ones included (`TargetSize()`). */
  targetSize(): number;
  /**
   * Asks for `delta` (> 0) more machines (`IncreaseSize`); they join as Nodes after the cloud's
   * boot delay.
   *
   * The autoscaler keeps the group within `[minSize, maxSize]`; a provider need not check.
   */
  increaseSize(delta: number): Promise<void>;
  /**
   * Deletes these machines and lowers the target by as many (`DeleteNodes`); their Nodes leave
   * the cluster.
   *
   * Errors: rejects when a name is not a machine of this group.
   */
  deleteNodes(names: readonly string[]): Promise<void>;
  /** The names of the group's machines, booting ones included (`Nodes()`). */
  nodes(): readonly string[];
  /** A Node as a new machine of the group would register it (`TemplateNodeInfo()`). */
  templateNode(): Node;
}

/** A cloud: its node groups (upstream `CloudProvider`). */
export interface CloudProvider {
  /** The provider's name (upstream `Name()`), e.g. `kubeloop`. */
  readonly name: string;
  /** Every node group the autoscaler may act on. */
  nodeGroups(): readonly NodeGroup[];
  /** The group a node belongs to, or undefined for a node the autoscaler must not touch. */
  nodeGroupForNode(node: Node): NodeGroup | undefined;
}

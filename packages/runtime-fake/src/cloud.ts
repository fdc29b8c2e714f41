/**
 * A fake cloud provider: node groups of fake machines that boot after a delay and join the
 * cluster as fake nodes, the shape the Cluster Autoscaler's `CloudProvider` expects.
 *
 * @module
 */
import type { Clock, Node, Taint } from '@kubeloop/core';
import { RuntimeFakeError } from './errors.js';
import type { FakeNodeConfig } from './node.js';
import { buildNode, checkNodeConfig } from './node.js';

/** The label every machine of a fake node group carries: the group's name. */
export const NODE_GROUP_LABEL = 'kubeloop.dev/node-group';

/** How long a fake machine takes from being asked for to registering its Node, by default: 60 s. */
export const DEFAULT_BOOT_DELAY_MS = 60_000;

/** One node group of a {@link FakeCloudProvider}: its bounds and the shape of its machines. */
export interface NodeGroupConfig {
  /** The group's name (a DNS label); its machines are named `<name>-1`, `<name>-2`, … */
  readonly name: string;
  /** The least number of machines (default 0); the cloud starts with this many, already booted. */
  readonly minSize?: number | undefined;
  /** The most machines. */
  readonly maxSize: number;
  /** CPU of each machine (default `4`). */
  readonly cpu?: string | undefined;
  /** Memory of each machine (default `16Gi`). */
  readonly memory?: string | undefined;
  /** Pod capacity of each machine (default 110). */
  readonly pods?: number | undefined;
  /** Labels of the machines' Nodes (besides {@link NODE_GROUP_LABEL}). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Taints the machines register with. */
  readonly taints?: readonly Taint[] | undefined;
  /** Virtual ms from `increaseSize` to the kubelet starting (default {@link DEFAULT_BOOT_DELAY_MS}). */
  readonly bootDelayMs?: number | undefined;
  /**
   * How many of the machines `increaseSize` asks for fail to boot (default 0): the first
   * `failBoot` of them exist in the cloud (they count in the target size and `nodes()`) but
   * their kubelet never starts, so no Node registers — a VM stuck at boot, for the autoscaler's
   * `--max-node-provision-time` and back-off. The machines the group starts with always boot.
   */
  readonly failBoot?: number | undefined;
}

/** How a {@link FakeCloudProvider} reaches the cluster. */
export interface FakeCloudOptions {
  /** The node groups. */
  readonly nodeGroups: readonly NodeGroupConfig[];
  /** The clock boot delays run on. */
  readonly clock: Clock;
  /** Starts a booted machine's kubelet (e.g. `FakeNodesPlugin.addNode`). */
  readonly join: (node: FakeNodeConfig) => Promise<unknown>;
  /** Powers a machine off and deletes its Node. */
  readonly leave: (name: string) => Promise<void>;
  /** Reports a machine that failed to join. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/**
 * One group of fake machines.
 *
 * Invariant: `#machines` holds every machine asked for and not deleted, booting or booted;
 * its size is the target size.
 */
export class FakeNodeGroup {
  /** The group's name. */
  readonly id: string;
  /** The least number of machines. */
  readonly minSize: number;
  /** The most machines. */
  readonly maxSize: number;
  readonly #config: NodeGroupConfig;
  readonly #cloud: FakeCloudOptions;
  readonly #machines = new Map<string, { booted: boolean; cancel?: () => void }>();
  #next = 1;
  #failBootLeft: number;

  /** A group for `config` (checked by {@link FakeCloudProvider}). */
  constructor(config: NodeGroupConfig, cloud: FakeCloudOptions) {
    this.id = config.name;
    this.minSize = config.minSize ?? 0;
    this.maxSize = config.maxSize;
    this.#config = config;
    this.#cloud = cloud;
    this.#failBootLeft = config.failBoot ?? 0;
  }

  /** The machines asked for and not deleted, booting ones included. */
  targetSize(): number {
    return this.#machines.size;
  }

  /** Names of the machines, in the order they were asked for. */
  nodes(): readonly string[] {
    return [...this.#machines.keys()];
  }

  /** Whether the machine has booted (its kubelet was started). */
  isBooted(name: string): boolean {
    return this.#machines.get(name)?.booted ?? false;
  }

  /** The node config of the next machine, and records it (booted or not). */
  #newMachine(booted: boolean): FakeNodeConfig {
    const name = `${this.id}-${this.#next++}`;
    this.#machines.set(name, { booted });
    return this.nodeConfig(name);
  }

  /** The fake node config of a machine of this group named `name`. */
  nodeConfig(name: string): FakeNodeConfig {
    const c = this.#config;
    return {
      name,
      ...(c.cpu === undefined ? {} : { cpu: c.cpu }),
      ...(c.memory === undefined ? {} : { memory: c.memory }),
      ...(c.pods === undefined ? {} : { pods: c.pods }),
      labels: { ...c.labels, [NODE_GROUP_LABEL]: this.id },
      ...(c.taints === undefined ? {} : { taints: [...c.taints] }),
    };
  }

  /** The `minSize` machines the cloud starts with, booted: their configs, to start with the cluster. */
  initialNodes(): FakeNodeConfig[] {
    return Array.from({ length: this.minSize }, () => this.#newMachine(true));
  }

  /**
   * Asks for `delta` more machines: each boots after the group's delay and joins (but for the
   * group's `failBoot` first ones, which never do).
   *
   * `minSize` and `maxSize` are the autoscaler's bounds (as `--nodes=min:max:group` upstream):
   * the cloud itself does not hold to them, as a GCE instance group does not.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` for a delta that is not a positive integer.
   */
  increaseSize(delta: number): Promise<void> {
    if (!Number.isInteger(delta) || delta <= 0) return Promise.reject(new RuntimeFakeError('invalid-node', `size increase must be positive, got ${delta}`));
    for (let i = 0; i < delta; i++) {
      const config = this.#newMachine(false);
      if (this.#failBootLeft > 0) {
        this.#failBootLeft--;
        continue; // stuck at boot: never joins, until deleted
      }
      const timer = this.#cloud.clock.setTimer(this.#config.bootDelayMs ?? DEFAULT_BOOT_DELAY_MS, () => {
        const machine = this.#machines.get(config.name);
        if (machine === undefined) return;
        machine.booted = true;
        this.#cloud.join(config).catch((e: unknown) => this.#cloud.onError?.(e));
      });
      this.#machines.get(config.name)!.cancel = () => timer.cancel();
    }
    return Promise.resolve();
  }

  /**
   * Deletes machines: booting ones are cancelled, booted ones power off and their Nodes go.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` for a name not in the group.
   */
  async deleteNodes(names: readonly string[]): Promise<void> {
    for (const n of names) if (!this.#machines.has(n)) throw new RuntimeFakeError('invalid-node', `node ${n} does not belong to node group ${this.id}`);
    for (const n of names) {
      const machine = this.#machines.get(n)!;
      this.#machines.delete(n);
      if (machine.booted) await this.#cloud.leave(n);
      else machine.cancel?.();
    }
  }

  /** The Node a new machine would register (named `template-node-for-<group>`). */
  templateNode(): Node {
    return buildNode(this.nodeConfig(`template-node-for-${this.id}`), [], this.#cloud.clock.now());
  }
}

/**
 * A cloud of node groups for a simulated cluster: machines asked for boot after a delay and
 * join through `join`; deleted ones power off and leave through `leave`.
 *
 * Guarantees: machine names are never reused; a group starts with `minSize` machines. The
 * bounds are the autoscaler's to keep (see {@link FakeNodeGroup.increaseSize}).
 *
 * Errors: the constructor throws {@link RuntimeFakeError} `invalid-node` for duplicate group
 * names, bounds that are not `0 ≤ minSize ≤ maxSize` integers, or a machine shape the fake
 * kubelet would refuse.
 *
 * @example
 * ```ts
 * const cloud = new FakeCloudProvider({ nodeGroups: [{ name: 'pool', maxSize: 3, cpu: '2' }], clock, join: (n) => nodes.addNode(n), leave });
 * await cloud.nodeGroups()[0]!.increaseSize(1); // `pool-1` registers 60 s later
 * ```
 */
export class FakeCloudProvider {
  /** The provider's name. */
  readonly name = 'kubeloop';
  readonly #groups: FakeNodeGroup[];

  /** A cloud with the given groups (no machine exists until {@link FakeCloudProvider.initialNodes}). */
  constructor(options: FakeCloudOptions) {
    const seen = new Set<string>();
    this.#groups = options.nodeGroups.map((g) => {
      if (seen.has(g.name)) throw new RuntimeFakeError('invalid-node', `duplicate node group name "${g.name}"`);
      seen.add(g.name);
      const min = g.minSize ?? 0;
      if (!Number.isInteger(min) || !Number.isInteger(g.maxSize) || min < 0 || g.maxSize < min) {
        throw new RuntimeFakeError('invalid-node', `invalid node group "${g.name}": need whole numbers 0 ≤ minSize (${min}) ≤ maxSize (${g.maxSize})`);
      }
      if (g.failBoot !== undefined && !(Number.isInteger(g.failBoot) && g.failBoot >= 0)) throw new RuntimeFakeError('invalid-node', `invalid node group "${g.name}": failBoot must be a whole number ≥ 0, got ${g.failBoot}`);
      if (g.bootDelayMs !== undefined && !(g.bootDelayMs >= 0)) throw new RuntimeFakeError('invalid-node', `invalid node group "${g.name}": bootDelayMs must be ≥ 0, got ${g.bootDelayMs}`);
      const group = new FakeNodeGroup(g, options);
      checkNodeConfig(group.nodeConfig(`${g.name}-1`));
      return group;
    });
  }

  /** The groups, in the order configured. */
  nodeGroups(): readonly FakeNodeGroup[] {
    return this.#groups;
  }

  /** The group a Node belongs to, by its {@link NODE_GROUP_LABEL} and name. */
  nodeGroupForNode(node: Node): FakeNodeGroup | undefined {
    const group = this.#groups.find((g) => g.id === node.metadata.labels?.[NODE_GROUP_LABEL]);
    return group?.nodes().includes(node.metadata.name ?? '') === true ? group : undefined;
  }

  /** The machines every group starts with (its `minSize`, booted), to start with the cluster. Call once. */
  initialNodes(): FakeNodeConfig[] {
    return this.#groups.flatMap((g) => g.initialNodes());
  }
}

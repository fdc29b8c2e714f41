/**
 * Installing fake nodes: a core {@link Plugin} that runs one {@link FakeKubelet} per configured
 * node with a manager, and {@link startFakeNode} for tests that want a kubelet without one.
 *
 * @module
 */
import { Nodes, Pods } from '@kubeloop/core';
import type { Client, Clock, Manager, Plugin, Rng, Runnable } from '@kubeloop/core';
import { BehaviorRegistry } from './behavior.js';
import { RuntimeFakeError } from './errors.js';
import type { FakeKubeletOptions } from './kubelet.js';
import { FakeKubelet } from './kubelet.js';
import type { FakeNodeConfig } from './node.js';
import { checkNodeConfig } from './node.js';
import { usageAnnotationsAdmission } from './usage.js';

/** Options of {@link fakeNodesPlugin}. */
export interface FakeNodesOptions {
  /** The nodes; each gets the index of its position for its default addresses unless it sets one. */
  readonly nodes: readonly FakeNodeConfig[];
  /** Container behaviors shared by every node (default: a fresh registry). */
  readonly behaviors?: BehaviorRegistry | undefined;
  /** Runtime settings applied to every node (image sizes, pull timing, preloaded images). */
  readonly runtime?: FakeKubeletOptions['runtime'];
  /** Reports failed API calls of the kubelets. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** The fake-nodes plugin, with access to its kubelets for fault injection. */
export interface FakeNodesPlugin extends Plugin {
  /** The behaviors every node uses; add to it before pods run. */
  readonly behaviors: BehaviorRegistry;
  /** The kubelets built so far (one set per attached manager), in node order. */
  kubelets(): readonly FakeKubelet[];
  /** The kubelet of a node, if built. */
  kubelet(name: string): FakeKubelet | undefined;
  /**
   * A machine joins the running cluster: builds a kubelet for `node` on the manager the nodes
   * run with and starts it; resolves once its Node and Lease are registered. It stops with the
   * others. Unless `node.index` is set, its default addresses follow the nodes before it.
   *
   * Errors: {@link RuntimeFakeError} `invalid-node` when a node of that name exists, when the
   * nodes are not running (no manager started them, or it stopped), or as the node's config is
   * invalid (bad quantity); then as {@link FakeKubelet.start}.
   */
  addNode(node: FakeNodeConfig): Promise<FakeKubelet>;
}

/**
 * A plugin that runs fake nodes with a manager: on `manager.start()` every kubelet registers
 * its Node and Lease and starts running the pods bound to it; on shutdown they stop.
 *
 * Guarantees: node names are unique; kubelets run regardless of leader election (every node has
 * its kubelet); a pod with a malformed `kubeloop.dev/cpu-usage` or `memory-usage` annotation is
 * refused by the API server (`usageAnnotationsAdmission`).
 *
 * Errors: {@link RuntimeFakeError} `invalid-node` for duplicate names (thrown at once).
 *
 * @example
 * ```ts
 * const nodes = fakeNodesPlugin({ nodes: [{ name: 'node-1', cpu: '4', memory: '8Gi' }, { name: 'node-2' }] });
 * new PluginHost({ registry, admission: server }).use(nodes).attach(manager);
 * await manager.start();
 * nodes.kubelet('node-2')?.stop(); // the node dies: its Lease stops being renewed
 * ```
 */
export function fakeNodesPlugin(options: FakeNodesOptions): FakeNodesPlugin {
  const names = new Set<string>();
  for (const n of options.nodes) {
    if (names.has(n.name)) throw new RuntimeFakeError('invalid-node', `duplicate fake node name "${n.name}"`);
    names.add(n.name);
    checkNodeConfig(n);
  }
  const behaviors = options.behaviors ?? new BehaviorRegistry();
  const built: FakeKubelet[] = [];
  /** The nodes of the manager running them now: `addNode` joins these. */
  let running: { readonly manager: Manager; readonly kubelets: FakeKubelet[] } | undefined;
  const kubeletFor = (manager: Manager, node: FakeNodeConfig, index: number): FakeKubelet =>
    new FakeKubelet({ client: manager.client, clock: manager.clock, rng: manager.rng.fork(), node: { index, ...node }, behaviors, runtime: options.runtime, onError: options.onError });
  return {
    name: 'kubeloop.dev/fake-nodes',
    behaviors,
    kubelets: () => [...built],
    kubelet: (name) => built.find((k) => k.nodeName === name),
    async addNode(node) {
      if (running === undefined) throw new RuntimeFakeError('invalid-node', `cannot add node "${node.name}": the fake nodes are not running`);
      if (running.kubelets.some((k) => k.nodeName === node.name)) throw new RuntimeFakeError('invalid-node', `duplicate fake node name "${node.name}"`);
      checkNodeConfig(node);
      const kubelet = kubeletFor(running.manager, node, running.kubelets.length);
      const { kubelets } = running;
      kubelets.push(kubelet);
      built.push(kubelet);
      try {
        await kubelet.start();
      } catch (e) {
        // Not registered (e.g. the API server refused the Node): the machine never joined.
        kubelet.stop();
        kubelets.splice(kubelets.indexOf(kubelet), 1);
        built.splice(built.indexOf(kubelet), 1);
        throw e;
      }
      return kubelet;
    },
    register(api) {
      // The kubelets run the pods bound to their nodes and keep their Nodes' status.
      api.reconciles(Pods);
      api.reconciles(Nodes);
      // Malformed kubeloop.dev/cpu-usage and memory-usage values are refused at the API server.
      api.addAdmissionHook(usageAnnotationsAdmission());
      api.addRunnable((manager: Manager): Runnable => {
        const kubelets = options.nodes.map((node, index) => kubeletFor(manager, node, index));
        built.push(...kubelets);
        return {
          name: 'fake-nodes',
          needLeaderElection: false,
          async start(signal: AbortSignal): Promise<void> {
            running = { manager, kubelets };
            await Promise.all(kubelets.map((k) => k.start()));
            if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            if (running?.kubelets === kubelets) running = undefined;
            // Nodes added meanwhile are in `kubelets` too.
            for (const k of kubelets) k.stop();
            await Promise.all(kubelets.map((k) => k.idle()));
          },
        };
      });
    },
  };
}

/** Options of {@link startFakeNode}. */
export interface StartFakeNodeOptions extends Omit<FakeKubeletOptions, 'client' | 'clock' | 'rng'> {
  /** The API. */
  readonly client: Client;
  /** The clock. */
  readonly clock: Clock;
  /** The randomness. */
  readonly rng: Rng;
}

/**
 * Builds and starts one fake kubelet; resolves once its Node and Lease are registered.
 *
 * Errors: as {@link FakeKubelet.start}.
 *
 * @example
 * ```ts
 * const kubelet = await startFakeNode({ client: server, clock, rng: seededRng(1), node: { name: 'node-1' } });
 * ```
 */
export async function startFakeNode(options: StartFakeNodeOptions): Promise<FakeKubelet> {
  const kubelet = new FakeKubelet(options);
  await kubelet.start();
  return kubelet;
}

/**
 * The traffic simulation as a plugin: kube-proxy and cluster DNS on every node, fed by the
 * Services, EndpointSlices, Nodes and Pods it watches; the network containers' command lines
 * see; the load of `wget`/`curl` loops, as CPU on the pods they reach; and the traffic
 * invariants.
 *
 * @module
 */
import { EndpointSlices, Nodes, Pods, Services } from '@kubeloop/core';
import type { Clock, KubeObject, Manager, Plugin, ResourceDefinition, Rng, Runnable } from '@kubeloop/core';
import type { FakeNodesPlugin } from '../plugin.js';
import type { ShellNetwork } from '../shell/network.js';
import type { ApiServerEndpoint } from './apiserver.js';
import { trafficInvariants } from './invariants.js';
import { TrafficModel } from './model.js';

/** The traffic plugin's name. */
export const TRAFFIC_PLUGIN_NAME = 'kubeloop.dev/traffic';

/** Options of {@link trafficPlugin}. */
export interface TrafficPluginOptions {
  /** The fake nodes: their behaviors get the network, their runtimes the load. */
  readonly nodes: FakeNodesPlugin;
  /** The seeded generator endpoints are picked with. */
  readonly rng: Rng;
  /** The cluster's clock. */
  readonly clock: Clock;
  /** The cluster DNS server's address, when DNS answers only through its Service (the model's `clusterDnsServer`; default: DNS always answers). */
  readonly clusterDnsServer?: string | undefined;
  /** The API server's address and version, so that requests to it are answered (the model's `apiServer`; default: nothing answers there). */
  readonly apiServer?: ApiServerEndpoint | undefined;
}

/** The traffic plugin, with its model (for sending requests and reading counters). */
export interface TrafficPlugin extends Plugin {
  /** The traffic model the plugin keeps up to date. */
  readonly model: TrafficModel;
}

const WATCHED: readonly ResourceDefinition[] = [Services, EndpointSlices, Nodes, Pods] as readonly ResourceDefinition[];

/**
 * The traffic plugin. On the manager's start it watches Services, EndpointSlices, Nodes and
 * Pods (regardless of leader election: kube-proxy runs on every node), keeps the model's view,
 * gives the nodes' behaviors the model's network (per pod), and after every batch of changes
 * recomputes the load flows, setting each backend container's CPU from traffic on its node's
 * runtime (`FakeContainerRuntime.setLoad`, which the kubelet's usage adds to the container's own).
 *
 * Registers the invariants `trafficReachesReadyEndpoints`, `trafficLocalStaysOnNode` and
 * `dnsAnswersReadyEndpoints`.
 */
export function trafficPlugin(options: TrafficPluginOptions): TrafficPlugin {
  const { nodes } = options;
  const model = new TrafficModel({
    rng: options.rng,
    now: () => options.clock.now(),
    clusterDnsServer: options.clusterDnsServer,
    apiServer: options.apiServer,
    onLoad: (pod, container, cpu) => {
      const kubelet = pod.spec.nodeName === undefined ? undefined : nodes.kubelet(pod.spec.nodeName);
      kubelet?.runtime.setLoad(pod.metadata.uid ?? '', container, cpu > 0 ? { cpuMillicores: Math.round(cpu) } : undefined);
    },
  });
  const network: ShellNetwork = {
    http: () => ({ kind: 'unresolved' }),
    resolve: () => [],
    forPod: (pod) => model.shellNetwork(pod),
  };
  return {
    name: TRAFFIC_PLUGIN_NAME,
    model,
    register(api) {
      nodes.behaviors.setNetwork(network);
      for (const inv of trafficInvariants(model)) api.addInvariant(inv);
      api.addRunnable((manager: Manager): Runnable => ({
        name: 'kube-proxy',
        needLeaderElection: false,
        start(signal: AbortSignal): Promise<void> {
          let scheduled = false;
          const refresh = (): void => {
            if (scheduled) return;
            scheduled = true;
            void Promise.resolve().then(() => {
              scheduled = false;
              if (!signal.aborted) model.refreshFlows();
            });
          };
          const subscriptions = new Map<ResourceDefinition, { unsubscribe(): void }>();
          // list + watch (a watch from no revision replays every object as ADDED); a watch that
          // fails is reopened a second later, after forgetting that kind (a relist)
          const watch = (resource: ResourceDefinition): void => {
            model.forget(resource.kind);
            subscriptions.set(resource, manager.client.watch(resource).subscribe({
              next: (event) => {
                if (event.type === 'BOOKMARK') return;
                if (model.observe(event.type, event.object as KubeObject)) refresh();
              },
              error: () => {
                void manager.clock.sleep(1000, signal).then(() => watch(resource), () => undefined);
              },
            }));
          };
          for (const resource of WATCHED) watch(resource);
          return new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              for (const s of subscriptions.values()) s.unsubscribe();
              resolve();
            }, { once: true });
          });
        },
      }));
    },
  };
}

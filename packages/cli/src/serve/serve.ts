/**
 * `kubeloop serve`: a simulated cluster (SimCluster with every built-in controller and fake
 * nodes) whose virtual clock follows the wall clock, served as a Kubernetes API endpoint over
 * HTTPS with a generated CA, a bearer token and a kubeconfig for kubectl, with bearer-token
 * authentication and RBAC (`auth.ts`).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RealClock, followWallClock, seededRng } from '@kubeloop/core';
import { ensureBootstrapPolicy } from '@kubeloop/controllers';
import type { Plugin, WallClockDriver } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { stringify } from 'yaml';
import { SERVED_KUBERNETES_VERSION } from '../version.js';
import { ApiAuth, REVIEW_RESOURCES, parseTokenAuthFile } from './auth.js';
import { ApiHandler } from './handler.js';
import type { PodLogSource } from './log.js';
import type { PodExecSource } from './exec.js';
import { generateServingCertificates } from './tls.js';

export { SERVED_KUBERNETES_VERSION };

/** How {@link startServe} runs. */
export interface ServeOptions {
  /** Fake nodes `node-1` … `node-n` (default 3). */
  readonly nodes?: number | undefined;
  /** Seed of the cluster's random choices (default 1). */
  readonly seed?: number | undefined;
  /** Virtual seconds per wall second (default 1). */
  readonly speed?: number | undefined;
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number | undefined;
  /** Address to listen on (default `127.0.0.1`). */
  readonly address?: string | undefined;
  /** Where to write the kubeconfig; none is written when absent. */
  readonly kubeconfigPath?: string | undefined;
  /** Real milliseconds between two advances of the virtual clock (default 50). */
  readonly tickMs?: number | undefined;
  /** Called with an error that stopped the virtual clock (e.g. a livelock the cluster detected). */
  readonly onClockError?: ((error: unknown) => void) | undefined;
  /** A static token file (kube-apiserver's `--token-auth-file`: `token,user,uid,"group1,group2"` per line): more users. */
  readonly tokenAuthFile?: string | undefined;
  /** Extra plugins installed in the cluster (e.g. one that only adds a custom resource, whose controller runs elsewhere). */
  readonly plugins?: readonly Plugin[] | undefined;
  /**
   * Run a metrics-server, which `kubectl top` and the HPA's resource metrics read (default false:
   * as a fresh kind cluster, which gets one as an add-on).
   */
  readonly metricsServer?: boolean | undefined;
}

/** A running `kubeloop serve`. */
export interface RunningServe {
  /** `https://<address>:<port>`. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** The admin bearer token. */
  readonly token: string;
  /** The CA certificate (PEM) clients trust. */
  readonly caCertPem: string;
  /** The kubeconfig text (also written to `kubeconfigPath` when given). */
  readonly kubeconfig: string;
  /** The simulated cluster behind the endpoint. */
  readonly cluster: SimCluster;
  /** The request handler (open watches, for diagnostics). */
  readonly api: ApiHandler;
  /** Authentication and RBAC (issues ServiceAccount tokens). */
  readonly auth: ApiAuth;
  /** Stops the clock, ends watches, closes the listener and connections, stops the cluster. Idempotent. */
  stop(): Promise<void>;
}

/** A kubeconfig (YAML) for `server` with the CA and the admin `token`, context `kubeloop`, namespace `default`. */
export function kubeconfigFor(server: string, caCertPem: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubeloop', cluster: { server, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [{ name: 'kubeloop-admin', user: { token } }],
    contexts: [{ name: 'kubeloop', context: { cluster: 'kubeloop', user: 'kubeloop-admin', namespace: 'default' } }],
    'current-context': 'kubeloop',
    preferences: {},
  });
}

/** `pods/log` from the fake kubelet of the pod's node (as kube-apiserver asks the node's kubelet). */
function kubeletLogs(cluster: SimCluster): PodLogSource {
  return {
    logs: (pod, container, options) => {
      const kubelet = cluster.nodes.kubelet(pod.spec.nodeName ?? '');
      if (kubelet === undefined) throw new Error(`the kubelet of node "${pod.spec.nodeName ?? ''}" is not running`);
      return kubelet.logs(pod.metadata.namespace ?? '', pod.metadata.name ?? '', container, options);
    },
  };
}

/** `pods/exec` in the fake containers (`SimCluster.exec`); none without traffic. */
function containerExec(cluster: SimCluster): PodExecSource | undefined {
  return cluster.traffic && { exec: (pod, container, argv) => cluster.exec(pod, argv, container)! };
}

/**
 * Starts a simulated cluster and serves it: the virtual clock starts at the wall time and
 * follows it (`speed` times faster), the API is served over HTTPS with a freshly generated CA
 * and serving certificate, every request but the health checks needs the generated token.
 *
 * Errors: the cluster's own (bad node count), and the listener's (`EADDRINUSE`...), after
 * which nothing is left running.
 */
export async function startServe(options: ServeOptions = {}): Promise<RunningServe> {
  const wallNow = new RealClock().now();
  const address = options.address ?? '127.0.0.1';
  const certificates = await generateServingCertificates(wallNow, [address]);
  // CoreDNS in kube-system, as in a kind cluster
  const cluster = await SimCluster.create({ seed: options.seed ?? 1, nodes: options.nodes ?? 3, startMs: wallNow, trace: 'none', plugins: options.plugins, clusterDns: true, metricsServer: options.metricsServer ?? false, kubernetesVersion: SERVED_KUBERNETES_VERSION });
  const token = randomBytes(32).toString('base64url');
  let auth: ApiAuth;
  try {
    const staticTokens = options.tokenAuthFile === undefined ? undefined : parseTokenAuthFile(readFileSync(options.tokenAuthFile, 'utf8'), options.tokenAuthFile);
    // The bootstrap RBAC policy, as kube-apiserver's post-start hook creates it; the
    // aggregation controller fills in admin, edit and view as the clock runs.
    await ensureBootstrapPolicy(cluster.server);
    auth = new ApiAuth({ client: cluster.server, clock: cluster.clock, rng: seededRng(`serviceaccount-tokens:${options.seed ?? 1}`), adminToken: token, staticTokens });
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  const api = new ApiHandler({ client: cluster.server, registry: cluster.server.registry, clock: cluster.clock, token, gate: auth.gate, createOnly: REVIEW_RESOURCES, version: SERVED_KUBERNETES_VERSION, logs: kubeletLogs(cluster), kubelets: (node) => cluster.nodes.kubelet(node), exec: containerExec(cluster) });
  const server = createServer({ cert: certificates.certPem, key: certificates.keyPem }, api.handle);
  server.on('upgrade', api.handleUpgrade);
  // A request that breaks the TLS or HTTP framing is answered by Node and never reaches us.
  server.on('clientError', (_e, socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `https://${host}:${port}`;
  const kubeconfig = kubeconfigFor(url, certificates.caCertPem, token);
  if (options.kubeconfigPath !== undefined) writeFileSync(options.kubeconfigPath, kubeconfig, { mode: 0o600 });
  const driver: WallClockDriver = followWallClock((ms) => cluster.advance(ms), { speed: options.speed ?? 1, tickMs: options.tickMs, onError: options.onClockError });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await driver.stop();
      api.closeWatches();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await cluster.stop();
    })());
  return { url, port, token, caCertPem: certificates.caCertPem, kubeconfig, cluster, api, auth, stop };
}

/**
 * What a fake kubelet registers: the Node object of a configured node, its addresses and pod
 * CIDR, and its conditions (pure).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Node, NodeCondition } from '@kubeloop/core';
import { ApiError, Nodes, formatTime, tryParseQuantity, validateForCreate } from '@kubeloop/core';
import { RuntimeFakeError } from './errors.js';

/** The size and identity of a fake node. */
export interface FakeNodeConfig {
  /** The node's name (also its `kubernetes.io/hostname` label). */
  readonly name: string;
  /** CPU capacity (default `4`). */
  readonly cpu?: string | undefined;
  /** Memory capacity (default `16Gi`). */
  readonly memory?: string | undefined;
  /** Pod capacity (default 110, upstream's `maxPods`). */
  readonly pods?: number | undefined;
  /** Ephemeral storage capacity (default `100Gi`). */
  readonly ephemeralStorage?: string | undefined;
  /** Allocatable resources when they differ from capacity (default: equal to capacity). */
  readonly allocatable?: Readonly<Record<string, string>> | undefined;
  /** Extra labels (merged over the well-known ones). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Taints registered with the node (`--register-with-taints`). */
  readonly taints?: Node['spec']['taints'];
  /** The pod CIDR; default from `index`: `10.1.0.0/24` (index 0), `10.1.1.0/24` (1), …, `10.2.0.0/24` (256). */
  readonly podCIDR?: string | undefined;
  /** The InternalIP; default from `index`: `172.18.0.2` (index 0), `172.18.0.3` (1), … as kind does. */
  readonly internalIP?: string | undefined;
  /** The node's position in its cluster, for default addresses (default 0). */
  readonly index?: number | undefined;
}

/** The kubelet version fake nodes report. */
export const FAKE_KUBELET_VERSION = 'v1.34.0-kubeloop';

/**
 * The default pod CIDR of the node at `index`: `/24`s out of `10.0.0.0/8` starting at
 * `10.1.0.0/24` (index 0), `10.1.1.0/24` (1), …, `10.2.0.0/24` (256) — room for 65 024 nodes.
 *
 * Errors: {@link RuntimeFakeError} `invalid-node` past that.
 */
export function podCIDRFor(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 254 * 256) throw new RuntimeFakeError('invalid-node', `invalid node index ${index}: must be an integer in 0..${254 * 256 - 1}`);
  return `10.${1 + Math.floor(index / 256)}.${index % 256}.0/24`;
}

/** The default InternalIP of the node at `index`: `172.18.0.2` (index 0), `172.18.0.3`, … as kind does. */
export function nodeIPFor(index: number): string {
  const n = index + 2;
  return `172.${18 + Math.floor(n / 65_536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/**
 * The `n`-th pod IP (n ≥ 1) of a `/24` or larger IPv4 CIDR: `.1` is the bridge, so pod `n`
 * gets base + n + 1 (`10.1.0.2` first).
 *
 * Errors: {@link RuntimeFakeError} `invalid-node` when the CIDR is not IPv4 or is exhausted.
 */
export function podIPIn(cidr: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (m === null) throw new RuntimeFakeError('invalid-node', `invalid pod CIDR "${cidr}": only IPv4 CIDRs are supported`);
  const prefix = Number(m[5]);
  const base = ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
  const size = 2 ** (32 - prefix);
  if (n + 1 >= size - 1) throw new RuntimeFakeError('invalid-node', `pod CIDR "${cidr}" has no free address`);
  const ip = base + n + 1;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** Whether `ip` lies in IPv4 `cidr`. */
export function inCIDR(ip: string, cidr: string): boolean {
  const toInt = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const [net, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toInt(net!) / size) * size;
  const x = toInt(ip);
  return x >= start && x < start + size;
}

/**
 * Checks a node's config before its kubelet starts: its quantities, and the Node its kubelet
 * would register as the API server checks a create (name, labels, taints; core's
 * `validateForCreate`). A bad config is refused here rather than by the API server mid-start.
 *
 * Errors: {@link RuntimeFakeError} `invalid-node`, e.g.
 * `invalid node "n": Node "n" is invalid: metadata.labels: Invalid value: "a b": …`.
 */
export function checkNodeConfig(config: FakeNodeConfig): void {
  const node = buildNode(config, [], 0);
  try {
    validateForCreate(Nodes, node);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    throw new RuntimeFakeError('invalid-node', `invalid node "${config.name}": ${e.message}`, { cause: e });
  }
}

/** The node's capacity resource list, validated. */
export function nodeCapacity(config: FakeNodeConfig): Record<string, string> {
  const capacity: Record<string, string> = {
    cpu: config.cpu ?? '4',
    memory: config.memory ?? '16Gi',
    pods: String(config.pods ?? 110),
    'ephemeral-storage': config.ephemeralStorage ?? '100Gi',
  };
  for (const [k, v] of Object.entries({ ...capacity, ...config.allocatable })) {
    const q = tryParseQuantity(v);
    if (q === undefined || q.sign() < 0) throw new RuntimeFakeError('invalid-node', `invalid node "${config.name}": ${k} "${v}" is not a non-negative quantity`);
  }
  return capacity;
}

/** The kubelet's four node conditions, all healthy, keeping transition times that did not change. */
export function healthyNodeConditions(previous: readonly NodeCondition[] | undefined, now: number): NodeCondition[] {
  const spec: [string, 'True' | 'False', string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ];
  const time = formatTime(now);
  return spec.map(([type, status, reason, message]) => {
    const old = previous?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: time, lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : time };
  });
}

/**
 * The node's machine ID (`/etc/machine-id`, `status.nodeInfo.machineID`): 32 hex digits, a
 * digest of the node's name, so the same node has the same ID in every run.
 */
export function machineIDFor(name: string): string {
  return createHash('sha256').update(`kubeloop machine-id ${name}`).digest('hex').slice(0, 32);
}

/**
 * The files a node has that pods' `hostPath` volumes may mount, by absolute path:
 * `/etc/machine-id` (its {@link machineIDFor} and a newline), as a systemd host has.
 */
export function nodeHostFiles(name: string): ReadonlyMap<string, string> {
  return new Map([['/etc/machine-id', `${machineIDFor(name)}\n`]]);
}

/**
 * The Node a kubelet registers for `config` at `now`: labels (`kubernetes.io/hostname`,
 * `kubernetes.io/os=linux`, `kubernetes.io/arch=amd64`, the beta equivalents), pod CIDR,
 * taints, capacity and allocatable, addresses (InternalIP, Hostname), nodeInfo, healthy
 * conditions and the kubelet endpoint.
 *
 * Errors: {@link RuntimeFakeError} `invalid-node` for bad quantities or addresses.
 */
export function buildNode(config: FakeNodeConfig, images: Node['status']['images'], now: number): Node {
  const index = config.index ?? 0;
  const podCIDR = config.podCIDR ?? podCIDRFor(index);
  const capacity = nodeCapacity(config);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': config.name,
        'kubernetes.io/os': 'linux',
        ...config.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR, podCIDRs: [podCIDR], providerID: `kubeloop://${config.name}`, ...(config.taints === undefined ? {} : { taints: [...config.taints] }) },
    status: {
      capacity,
      allocatable: { ...capacity, ...config.allocatable },
      conditions: healthyNodeConditions(undefined, now),
      addresses: [
        { type: 'InternalIP', address: config.internalIP ?? nodeIPFor(index) },
        { type: 'Hostname', address: config.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: machineIDFor(config.name),
        systemUUID: '',
        bootID: '',
        kernelVersion: '6.8.0-kubeloop',
        osImage: 'kubeloop fake node',
        containerRuntimeVersion: 'fake://1.0.0',
        kubeletVersion: FAKE_KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: images ?? [],
    },
  };
}

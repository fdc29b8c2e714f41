/**
 * Host ports as the scheduler's NodePorts plugin and the kubelet's admission both count them
 * (upstream `GetContainerPorts` and `HostPortInfo.CheckConflict`).
 *
 * @module
 */
import type { Pod } from './kinds/pod.js';

/** A host port in use on a node: `hostIP` is `0.0.0.0` when unset (every address). */
export interface HostPort {
  /** The address the port is bound on; `0.0.0.0` for every address. */
  readonly hostIP: string;
  /** `TCP`, `UDP` or `SCTP`. */
  readonly protocol: string;
  /** The port number on the node. */
  readonly port: number;
}

/**
 * The host ports a pod asks for (app containers, `hostPort > 0`), as upstream `GetContainerPorts`.
 * Under `hostNetwork` the API server has defaulted each port's `hostPort` to its `containerPort`.
 * A pod without any (nearly every pod) gets one shared empty array: the kubelet asks for the
 * ports of every pod on its node at each admission.
 */
export function podHostPorts(pod: Pod): readonly HostPort[] {
  let out: HostPort[] | undefined;
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue;
      (out ??= []).push({ hostIP: p.hostIP === undefined || p.hostIP === '' ? '0.0.0.0' : p.hostIP, protocol: p.protocol, port: p.hostPort });
    }
  }
  return out ?? NO_HOST_PORTS;
}

const NO_HOST_PORTS: readonly HostPort[] = Object.freeze([]);

/**
 * Whether two host ports collide: same port and protocol, and the same host IP or either
 * one is `0.0.0.0` (upstream `HostPortInfo.CheckConflict`).
 *
 * @example
 * ```ts
 * portsConflict({ hostIP: '0.0.0.0', protocol: 'TCP', port: 80 }, { hostIP: '10.0.0.1', protocol: 'TCP', port: 80 }); // true
 * portsConflict({ hostIP: '0.0.0.0', protocol: 'TCP', port: 80 }, { hostIP: '0.0.0.0', protocol: 'UDP', port: 80 }); // false
 * ```
 */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0');
}

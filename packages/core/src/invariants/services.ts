/**
 * Invariants of the API server's Service address allocation, stated from the Kubernetes rules
 * (a Service's ClusterIP and NodePorts are its own, and come from the configured ranges) in
 * their own code: they never call the allocator they check.
 *
 * @module
 */
import type { Service } from '../api/kinds/service.js';
import type { Plugin } from '../runtime/plugin.js';
import { invariant, refOf, type Invariant, type InvariantViolation } from './types.js';

/** The ranges the invariants of {@link serviceAddressInvariants} hold Services to. */
export interface ServiceAddressRanges {
  /** The service CIDR (default `10.96.0.0/12`). */
  readonly serviceClusterIPRange?: string | undefined;
  /** The NodePort range, `"min-max"` (default `30000-32767`). */
  readonly serviceNodePortRange?: string | undefined;
}

/** An IPv4 address as a uint32, or `undefined`. */
function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

/** Whether `ip` is a host address of `cidr`: inside it, neither its network nor its broadcast address. */
function hostOf(cidr: string, ip: string): boolean {
  const [net, bits] = cidr.split('/');
  const n = ipv4(net ?? '');
  const a = ipv4(ip);
  if (n === undefined || a === undefined) return false;
  const block = 2 ** (32 - Number(bits));
  return a > n && a < n + block - 1;
}

function name(svc: Service): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
}

/**
 * The two safety invariants of Service addresses:
 * - `serviceClusterIPsUnique`: no two Services hold the same ClusterIP, and each ClusterIP is a
 *   host address of the service CIDR (headless and ExternalName Services hold none);
 * - `serviceNodePortsUnique`: no two Services hold the same NodePort (a port's `nodePort` or a
 *   `healthCheckNodePort`) and each is in the NodePort range; within one Service a number may
 *   serve several ports (TCP and UDP of the same port), as upstream allows.
 */
export function serviceAddressInvariants(ranges: ServiceAddressRanges = {}): readonly Invariant[] {
  const cidr = ranges.serviceClusterIPRange ?? '10.96.0.0/12';
  const portRange = ranges.serviceNodePortRange ?? '30000-32767';
  const [min, max] = portRange.split('-').map(Number) as [number, number];
  const clusterIPs = invariant(
    'serviceClusterIPsUnique',
    `No two Services share a ClusterIP, and every ClusterIP is in the service CIDR ${cidr}.`,
    (state) => {
      const out: InvariantViolation[] = [];
      const holder = new Map<string, Service>();
      for (const svc of state.of<Service>('Service')) {
        if (svc.spec.type === 'ExternalName') continue;
        const ips = new Set([...(svc.spec.clusterIPs ?? []), ...(svc.spec.clusterIP ? [svc.spec.clusterIP] : [])]);
        for (const ip of ips) {
          if (ip === 'None' || ip === '') continue;
          if (!hostOf(cidr, ip)) out.push({ message: `Service ${name(svc)} has ClusterIP ${ip}, outside the service CIDR ${cidr}`, objects: [refOf(svc)] });
          const other = holder.get(ip);
          if (other) out.push({ message: `Services ${name(other)} and ${name(svc)} share ClusterIP ${ip}`, objects: [refOf(svc), refOf(other)] });
          else holder.set(ip, svc);
        }
      }
      return out;
    },
    'safety',
  );
  const nodePorts = invariant(
    'serviceNodePortsUnique',
    `No two Services share a NodePort, and every NodePort is in ${portRange}.`,
    (state) => {
      const out: InvariantViolation[] = [];
      const holder = new Map<number, Service>();
      for (const svc of state.of<Service>('Service')) {
        const ports = new Set<number>();
        for (const p of svc.spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
        if (svc.spec.healthCheckNodePort) ports.add(svc.spec.healthCheckNodePort);
        for (const port of ports) {
          if (port < min || port > max) out.push({ message: `Service ${name(svc)} has NodePort ${port}, outside ${portRange}`, objects: [refOf(svc)] });
          const other = holder.get(port);
          if (other) out.push({ message: `Services ${name(other)} and ${name(svc)} share NodePort ${port}`, objects: [refOf(svc), refOf(other)] });
          else holder.set(port, svc);
        }
      }
      return out;
    },
    'safety',
  );
  return [clusterIPs, nodePorts];
}

/** The name of the plugin {@link serviceAddressesPlugin} returns. */
export const SERVICE_ADDRESSES_PLUGIN_NAME = 'kubeloop.dev/service-addresses';

/**
 * A plugin that states the invariants of the API server's Service address allocation
 * ({@link serviceAddressInvariants}) for the ranges the server was given; it adds nothing else
 * (the allocation is the API server's own, as upstream's).
 */
export function serviceAddressesPlugin(ranges: ServiceAddressRanges = {}): Plugin {
  return {
    name: SERVICE_ADDRESSES_PLUGIN_NAME,
    register(api) {
      for (const i of serviceAddressInvariants(ranges)) api.addInvariant(i);
    },
  };
}

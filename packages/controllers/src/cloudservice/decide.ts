/**
 * The decisions of a cloud provider's service controller (`k8s.io/cloud-provider`
 * `controllers/service`), pure: which Services want a load balancer, and what the fake cloud
 * gives them — the lowest free address of its range, as a deterministic cloud IPAM would.
 *
 * @module
 */
import type { Service } from '@kubeloop/core';

/** The cloud's address range a {@link FakeCloudOptions} defaults to: 203.0.113.0/24 (TEST-NET-3, documentation addresses). */
export const DEFAULT_FAKE_CLOUD_RANGE = '203.0.113.0/24';

/** Options of the fake cloud. */
export interface FakeCloudOptions {
  /** The IPv4 CIDR the cloud hands load balancer addresses out of (default {@link DEFAULT_FAKE_CLOUD_RANGE}). */
  readonly addressRange?: string | undefined;
}

/** Upstream `wantsLoadBalancer`: a LoadBalancer Service without `spec.loadBalancerClass`. */
export function wantsLoadBalancer(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && svc.spec.loadBalancerClass === undefined;
}

function ipValue(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null || m.slice(1).some((p) => Number(p) > 255)) return undefined;
  return m.slice(1).reduce((acc, p) => acc * 256 + Number(p), 0);
}

function ipText(v: number): string {
  return [Math.floor(v / 2 ** 24) % 256, Math.floor(v / 2 ** 16) % 256, Math.floor(v / 256) % 256, v % 256].join('.');
}

/**
 * The addresses of `cidr` a cloud hands out, in order: all but the network address and the
 * broadcast address (a /24 gives .1 to .254).
 *
 * @throws Error when `cidr` is not an IPv4 CIDR.
 */
export function cloudAddresses(cidr: string): { readonly first: number; readonly last: number } {
  const [base, bits] = cidr.split('/');
  const value = ipValue(base ?? '');
  const prefix = Number(bits);
  if (value === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`fake cloud: address range must be an IPv4 CIDR from /8 to /30, got ${JSON.stringify(cidr)}`);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  return { first: network + 1, last: network + size - 2 };
}

/**
 * What the fake cloud's load balancer for `svc` has as its address: the one it already has when
 * it is in the range and nobody else holds it, else the lowest free one; undefined when the
 * range is exhausted.
 */
export function cloudAddressFor(svc: Service, range: { readonly first: number; readonly last: number }, taken: ReadonlySet<string>): string | undefined {
  const held = svc.status.loadBalancer?.ingress?.[0]?.ip;
  const v = held === undefined ? undefined : ipValue(held);
  if (held !== undefined && v !== undefined && v >= range.first && v <= range.last && !taken.has(held)) return held;
  for (let ip = range.first; ip <= range.last; ip++) if (!taken.has(ipText(ip))) return ipText(ip);
  return undefined;
}

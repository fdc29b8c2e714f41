/**
 * Invariants of LoadBalancer addresses, stated from MetalLB's documentation ("IP address
 * sharing", "Address pools") in their own code, independently of the controller's decide.ts
 * and addresses.ts: each returns the violations it finds, naming the Services.
 *
 * @module
 */
import { invariant, refOf } from '@kubeloop/core';
import type { ConfigMap, Invariant, InvariantViolation, Service } from '@kubeloop/core';
import { parse as parseYaml } from 'yaml';
import type { IPAddressPool } from './kinds.js';

/** What the address invariants read. */
export interface LoadBalancerState {
  /** Every Service. */
  readonly services: readonly Service[];
  /** Every IPAddressPool in MetalLB's namespace. */
  readonly pools: readonly IPAddressPool[];
  /** MetalLB's legacy `config` ConfigMap, when it exists. */
  readonly legacyConfig?: ConfigMap | undefined;
}

function shareKey(svc: Service): string {
  const a = svc.metadata.annotations ?? {};
  return a['metallb.io/allow-shared-ip'] ?? a['metallb.universe.tf/allow-shared-ip'] ?? '';
}

function addressesOf(svc: Service): string[] {
  return [...new Set((svc.status.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== ''))];
}

/**
 * No two Services hold the same load balancer address, unless both carry the same non-empty
 * `allow-shared-ip` key and none of their ports (protocol and number) is the same.
 */
export function loadBalancerAddressesUnique(services: readonly Service[]): InvariantViolation[] {
  const byIp = new Map<string, Service[]>();
  for (const svc of services) for (const ip of addressesOf(svc)) byIp.set(ip, [...(byIp.get(ip) ?? []), svc]);
  const out: InvariantViolation[] = [];
  for (const [ip, holders] of byIp) {
    for (let i = 0; i < holders.length; i++) {
      for (let j = i + 1; j < holders.length; j++) {
        const a = holders[i]!;
        const b = holders[j]!;
        const key = shareKey(a);
        const ports = new Set((a.spec.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`));
        const clash = (b.spec.ports ?? []).find((p) => ports.has(`${p.protocol ?? 'TCP'}/${p.port}`));
        if (key === '' || key !== shareKey(b)) out.push({ message: `shares load balancer address ${ip} without a common allow-shared-ip key`, objects: [refOf(b), refOf(a)] });
        else if (clash !== undefined) out.push({ message: `shares load balancer address ${ip} and port ${clash.protocol ?? 'TCP'}/${clash.port}`, objects: [refOf(b), refOf(a)] });
      }
    }
  }
  return out;
}

function ipValue(text: string): number | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d+$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** An address pool's IPv4 entries as [first, last] pairs; IPv6 and malformed entries add none. */
function poolSpans(addresses: readonly string[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const entry of addresses) {
    const dash = entry.indexOf('-');
    if (dash >= 0) {
      const first = ipValue(entry.slice(0, dash));
      const last = ipValue(entry.slice(dash + 1));
      if (first !== undefined && last !== undefined) spans.push([first, last]);
      continue;
    }
    const [base, bits] = entry.split('/');
    const value = ipValue(base ?? '');
    const prefix = Number(bits);
    if (value === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) continue;
    const size = 2 ** (32 - prefix);
    const first = value - (value % size);
    spans.push([first, first + size - 1]);
  }
  return spans;
}

/**
 * Every address a Service without `spec.loadBalancerClass` holds lies in one of MetalLB's
 * pools (an IPAddressPool, or an `address-pools` entry of the legacy ConfigMap), and is not a
 * `.0` or `.255` address of a pool that avoids buggy IPs.
 */
export function loadBalancerAddressesInPools(state: LoadBalancerState): InvariantViolation[] {
  const pools: Array<{ spans: Array<[number, number]>; avoidBuggy: boolean }> = state.pools.map((p) => ({ spans: poolSpans(p.spec.addresses), avoidBuggy: p.spec.avoidBuggyIPs === true }));
  const text = state.legacyConfig?.data?.['config'];
  if (text !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch {
      doc = undefined;
    }
    const entries = (doc as { 'address-pools'?: unknown } | null | undefined)?.['address-pools'];
    if (Array.isArray(entries)) {
      for (const e of entries as Array<Record<string, unknown> | null>) {
        const addresses = Array.isArray(e?.['addresses']) ? (e['addresses'] as unknown[]).map(String) : [];
        pools.push({ spans: poolSpans(addresses), avoidBuggy: e?.['avoid-buggy-ips'] === true });
      }
    }
  }
  const out: InvariantViolation[] = [];
  for (const svc of state.services) {
    if (svc.spec.loadBalancerClass !== undefined) continue;
    for (const ip of addressesOf(svc)) {
      const v = ipValue(ip);
      const inPool = v !== undefined && pools.some((p) => !(p.avoidBuggy && (v % 256 === 0 || v % 256 === 255)) && p.spans.some(([a, b]) => v >= a && v <= b));
      if (!inPool) out.push({ message: `holds load balancer address ${ip}, which no address pool contains`, objects: [refOf(svc)] });
    }
  }
  return out;
}

/** Safety: {@link loadBalancerAddressesUnique} in every state. */
export const loadBalancerAddressesUniqueInvariant: Invariant = invariant(
  'loadBalancerAddressesUnique',
  'No two Services hold the same load balancer address, unless both carry the same allow-shared-ip key and their ports differ.',
  (state) => loadBalancerAddressesUnique(state.of<Service>('Service')),
  'safety',
);

/** Builds the liveness invariant {@link loadBalancerAddressesInPools} over the pools in `namespace`. */
export function loadBalancerAddressesInPoolsInvariant(namespace: string): Invariant {
  return invariant(
    'loadBalancerAddressesInPools',
    "After settling, every address a Service without loadBalancerClass holds is in one of MetalLB's address pools.",
    (state) =>
      loadBalancerAddressesInPools({
        services: state.of<Service>('Service'),
        pools: state.of<IPAddressPool>('IPAddressPool').filter((p) => (p.metadata.namespace ?? '') === namespace),
        legacyConfig: state.get<ConfigMap>('ConfigMap', namespace, 'config'),
      }),
  );
}

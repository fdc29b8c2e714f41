/**
 * MetalLB's controller decisions, pure: the pools its configuration defines (its own
 * `IPAddressPool`s and the legacy `config` ConfigMap), and what one LoadBalancer Service gets
 * given the addresses the others hold — upstream's `convergeBalancer`, `allocateIPs` and the
 * allocator's `Assign` / `Allocate` / `checkSharing`, with their errors and events.
 *
 * An address may be held by two Services only when both carry the same
 * `metallb.universe.tf/allow-shared-ip` key (or `metallb.io/…`), their ports differ (protocol
 * and number) and, with `externalTrafficPolicy: Local`, they select the same pods.
 *
 * @module
 */
import { parse as parseYaml } from 'yaml';
import { matchesLabelSelector } from '@kubeloop/core';
import type { ConfigMap, LabelSelector, Service } from '@kubeloop/core';
import type { AddressRange } from './addresses.js';
import { confusesBuggyFirmwares, formatIPv4, parseAddressEntry, parseIPv4 } from './addresses.js';
import type { IPAddressPool } from './kinds.js';

/** The annotation naming the pool a Service wants its address from (and its deprecated spelling). */
export const ADDRESS_POOL_ANNOTATION = 'metallb.io/address-pool';
/** The deprecated spelling of {@link ADDRESS_POOL_ANNOTATION}, which the seeds use. */
export const DEPRECATED_ADDRESS_POOL_ANNOTATION = 'metallb.universe.tf/address-pool';
/** The annotation listing the addresses a Service wants (comma-separated). */
export const LOAD_BALANCER_IPS_ANNOTATION = 'metallb.io/loadBalancerIPs';
/** The deprecated spelling of {@link LOAD_BALANCER_IPS_ANNOTATION}. */
export const DEPRECATED_LOAD_BALANCER_IPS_ANNOTATION = 'metallb.universe.tf/loadBalancerIPs';
/** The annotation whose equal values let Services share one address. */
export const ALLOW_SHARED_IP_ANNOTATION = 'metallb.io/allow-shared-ip';
/** The deprecated spelling of {@link ALLOW_SHARED_IP_ANNOTATION}, which the seeds use. */
export const DEPRECATED_ALLOW_SHARED_IP_ANNOTATION = 'metallb.universe.tf/allow-shared-ip';
/** The name of the legacy configuration ConfigMap (in MetalLB's namespace), data key `config`. */
export const LEGACY_CONFIG_MAP_NAME = 'config';

/** An address pool as the allocator sees it. */
export interface Pool {
  /** The pool's name (the IPAddressPool's, or the ConfigMap entry's `name`). */
  readonly name: string;
  /** Its IPv4 addresses, in the order they are handed out. */
  readonly ranges: readonly AddressRange[];
  /** Whether addresses are handed out without being asked for (`autoAssign`, default true). */
  readonly autoAssign: boolean;
  /** Skip `.0` and `.255` addresses (`avoidBuggyIPs`). */
  readonly avoidBuggyIPs: boolean;
  /** `spec.serviceAllocation`: the pool serves only these Services; lower priority first. */
  readonly serviceAllocation?: { readonly priority: number; readonly namespaces: readonly string[]; readonly serviceSelectors: readonly LabelSelector[] } | undefined;
}

/** MetalLB's configuration: its pools, and what was wrong with the parts it skipped. */
export interface MetalLBConfig {
  readonly pools: readonly Pool[];
  readonly errors: readonly string[];
}

interface LegacyPool {
  name?: unknown;
  protocol?: unknown;
  addresses?: unknown;
  'auto-assign'?: unknown;
  'avoid-buggy-ips'?: unknown;
}

/**
 * The pools of MetalLB's configuration: every IPAddressPool, then the `address-pools` of the
 * legacy `config` ConfigMap (data key `config`, MetalLB ≤ 0.12's format: `name`, `protocol`,
 * `addresses`, `auto-assign`, `avoid-buggy-ips`) whose names no IPAddressPool takes. Pools are
 * sorted by name, so allocation is deterministic (upstream iterates a Go map). Malformed
 * entries are skipped and reported in `errors`, worded as MetalLB's.
 *
 * @example
 * ```ts
 * // data.config: "address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 192.168.1.240-192.168.1.250\n"
 * metallbConfig([], configMap).pools; // [{ name: 'default', ranges: [11 addresses], autoAssign: true, avoidBuggyIPs: false }]
 * ```
 */
export function metallbConfig(pools: readonly IPAddressPool[], legacy: ConfigMap | undefined): MetalLBConfig {
  const out = new Map<string, Pool>();
  const errors: string[] = [];
  const rangesOf = (name: string, addresses: readonly string[]): AddressRange[] | undefined => {
    const ranges: AddressRange[] = [];
    for (const a of addresses) {
      const parsed = parseAddressEntry(a);
      if (parsed.error !== undefined) {
        errors.push(`parsing address pool ${name}: ${parsed.error}`);
        return undefined;
      }
      if (parsed.range !== undefined) ranges.push(parsed.range);
    }
    return ranges;
  };
  for (const p of pools) {
    const name = p.metadata.name ?? '';
    const ranges = rangesOf(name, p.spec.addresses);
    if (ranges === undefined) continue;
    const alloc = p.spec.serviceAllocation;
    out.set(name, {
      name,
      ranges,
      autoAssign: p.spec.autoAssign,
      avoidBuggyIPs: p.spec.avoidBuggyIPs,
      ...(alloc === undefined ? {} : { serviceAllocation: { priority: alloc.priority ?? 0, namespaces: alloc.namespaces ?? [], serviceSelectors: alloc.serviceSelectors ?? [] } }),
    });
  }
  const text = legacy?.data?.[LEGACY_CONFIG_MAP_NAME];
  if (text !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (error) {
      errors.push(`could not parse config: ${error instanceof Error ? error.message : String(error)}`);
    }
    const entries = (doc as { 'address-pools'?: unknown } | null | undefined)?.['address-pools'];
    if (Array.isArray(entries)) {
      for (const [i, raw] of entries.entries()) {
        const e = (raw ?? {}) as LegacyPool;
        if (typeof e.name !== 'string' || e.name === '') {
          errors.push(`parsing address pool #${i + 1}: missing pool name`);
          continue;
        }
        if (out.has(e.name)) continue;
        const addresses = Array.isArray(e.addresses) ? e.addresses.map(String) : [];
        const ranges = rangesOf(e.name, addresses);
        if (ranges === undefined) continue;
        out.set(e.name, { name: e.name, ranges, autoAssign: e['auto-assign'] !== false, avoidBuggyIPs: e['avoid-buggy-ips'] === true });
      }
    }
  }
  return { pools: [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), errors };
}

/** What an address is held for: the Service, its pool, its ports, its sharing and backend keys. */
export interface Holder {
  /** `namespace/name` of the Service. */
  readonly key: string;
  /** Its ports, `TCP/80`. */
  readonly ports: readonly string[];
  /** Its `allow-shared-ip` key ('' when it does not share). */
  readonly sharing: string;
  /** Its backend key: the selector with `externalTrafficPolicy: Local`, else ''. */
  readonly backend: string;
}

/** The addresses held by other Services: address → holders. */
export type Holdings = ReadonlyMap<number, readonly Holder[]>;

function annotation(svc: Service, stable: string, deprecated: string): string {
  const a = svc.metadata.annotations ?? {};
  return a[stable] ?? a[deprecated] ?? '';
}

/** MetalLB's `SharingKey`: the Service's `allow-shared-ip` annotation ('' when absent). */
export function sharingKey(svc: Service): string {
  return annotation(svc, ALLOW_SHARED_IP_ANNOTATION, DEPRECATED_ALLOW_SHARED_IP_ANNOTATION);
}

/** MetalLB's `k8salloc.Ports` (`TCP/80`, …) and `BackendKey` (the selector with externalTrafficPolicy Local). */
export function holderOf(svc: Service): Holder {
  const selector = Object.entries(svc.spec.selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    key: `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`,
    ports: (svc.spec.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`),
    sharing: sharingKey(svc),
    backend: svc.spec.externalTrafficPolicy === 'Local' ? selector : '',
  };
}

/** Upstream `checkSharing`: why `holder` may not use `ip`, or undefined when it may. */
export function sharingError(ip: number, holder: Holder, holdings: Holdings): string | undefined {
  const others = (holdings.get(ip) ?? []).filter((h) => h.key !== holder.key);
  if (others.length === 0) return undefined;
  const existing = others[0]!;
  let keyError: string | undefined;
  if (existing.sharing === '') keyError = 'existing service does not allow sharing';
  else if (holder.sharing === '') keyError = 'new service does not allow sharing';
  else if (existing.sharing !== holder.sharing) keyError = `sharing key "${holder.sharing}" does not match existing sharing key "${existing.sharing}"`;
  else if (existing.backend !== holder.backend) keyError = `backend key "${holder.backend}" does not match existing sharing key "${existing.backend}"`;
  if (keyError !== undefined) return `can't change sharing key for "${holder.key}", address also in use by ${others.map((o) => o.key).join(',')}`;
  for (const port of holder.ports) {
    if (others.some((o) => o.ports.includes(port))) return `port ${port} is already in use on "${formatIPv4(ip)}"`;
  }
  return undefined;
}

function poolServes(pool: Pool, svc: Service): boolean {
  const a = pool.serviceAllocation;
  if (a === undefined) return true;
  if (a.namespaces.length > 0 && !a.namespaces.includes(svc.metadata.namespace ?? '')) return false;
  if (a.serviceSelectors.length > 0) return a.serviceSelectors.some((s) => matchesLabelSelector(s, svc.metadata.labels));
  return true;
}

function inPool(pool: Pool, ip: number): boolean {
  if (pool.avoidBuggyIPs && confusesBuggyFirmwares(ip)) return false;
  return pool.ranges.some((r) => ip >= r.first && ip <= r.last);
}

/** Upstream `poolFor`: the first pool (by name) holding `ip`. */
export function poolFor(pools: readonly Pool[], ip: number): Pool | undefined {
  return pools.find((p) => inPool(p, ip));
}

/** `["192.168.1.240"]`, as Go's `%q` prints a slice of addresses. */
function quoteIps(ips: readonly string[]): string {
  return `[${ips.map((ip) => JSON.stringify(ip)).join(' ')}]`;
}

/** Upstream `Assign`: why `ip` cannot be given to the Service, or the pool it comes from. */
function assign(pools: readonly Pool[], svc: Service, holder: Holder, ip: number, holdings: Holdings): { pool: Pool } | { error: string } {
  const pool = poolFor(pools, ip);
  if (pool === undefined) return { error: `${quoteIps([formatIPv4(ip)])} is not allowed in config` };
  if (!poolServes(pool, svc)) return { error: `pool ${pool.name} not compatible for ip assignment` };
  const err = sharingError(ip, holder, holdings);
  return err === undefined ? { pool } : { error: err };
}

/** Upstream `getIPFromCIDR` over a pool: the first address the Service may use. */
function freeIn(pool: Pool, holder: Holder, holdings: Holdings): number | undefined {
  for (const r of pool.ranges) {
    for (let ip = r.first; ip <= r.last; ip++) {
      if (pool.avoidBuggyIPs && confusesBuggyFirmwares(ip)) continue;
      if (sharingError(ip, holder, holdings) === undefined) return ip;
    }
  }
  return undefined;
}

/** An event the controller records on the Service. */
export interface ServiceEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * What the controller does with one Service:
 * - `ignore`: another load balancer implementation's (its `loadBalancerClass`);
 * - `clear`: it holds no address (not a LoadBalancer, no pool configured, no cluster IP, or the
 *   allocation failed, with the `events` saying why) — its `status.loadBalancer` is emptied;
 * - `assign`: it holds `ip` from `pool` (`events` has `IPAllocated` when it is new).
 */
export type ServiceDecision =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'clear'; readonly events: readonly ServiceEvent[] }
  | { readonly kind: 'assign'; readonly ip: string; readonly pool: string; readonly events: readonly ServiceEvent[] };

/**
 * MetalLB's `filterByLoadBalancerClass`: with the controller's class '' (the default) it
 * serves only Services without `spec.loadBalancerClass`; with a class, only that class.
 */
export function servesClass(svc: Service, controllerClass: string): boolean {
  const cls = svc.spec.loadBalancerClass;
  return cls === undefined ? controllerClass === '' : cls === controllerClass;
}

/** Upstream `getDesiredLbIPs`: the addresses the Service asks for, or why they are invalid. */
function desiredIps(svc: Service): { ips: number[] } | { error: string } {
  const annotated = annotation(svc, LOAD_BALANCER_IPS_ANNOTATION, DEPRECATED_LOAD_BALANCER_IPS_ANNOTATION);
  const specIp = svc.spec.loadBalancerIP ?? '';
  if (annotated === '' && specIp === '') return { ips: [] };
  if (annotated !== '' && specIp !== '') return { error: `service can not have both ${LOAD_BALANCER_IPS_ANNOTATION} and svc.Spec.LoadBalancerIP` };
  if (annotated !== '') {
    const ips: number[] = [];
    for (const part of annotated.split(',')) {
      const ip = parseIPv4(part.trim());
      if (ip === undefined) return { error: `invalid ${LOAD_BALANCER_IPS_ANNOTATION}: ${JSON.stringify(annotated)}` };
      ips.push(ip);
    }
    if (ips.length > 1) return { error: `more than one address ${quoteIps(ips.map(formatIPv4))} for a single-stack service` };
    return { ips };
  }
  const ip = parseIPv4(specIp);
  return ip === undefined ? { error: `invalid spec.loadBalancerIP ${JSON.stringify(specIp)}` } : { ips: [ip] };
}

/**
 * Upstream `convergeBalancer` for one Service, given the configured `pools` and the addresses
 * the other Services hold (`holdings`, which must not list this Service).
 *
 * Guarantees: an address decided is in a pool that serves the Service, and no other holder of
 * it is incompatible (see {@link sharingError}); a Service that holds a valid address keeps
 * it; a requested address (`spec.loadBalancerIP`, the `loadBalancerIPs` annotation) or pool
 * (the `address-pool` annotation) is honoured or the allocation fails; otherwise the lowest
 * free address of the first pool that has one (pools that serve it by `serviceAllocation`
 * first, by priority, then every `autoAssign` pool without one, by name).
 *
 * Events, as MetalLB's: Normal `IPAllocated` `Assigned IP ["192.168.1.240"]`; Warning
 * `AllocationFailed` `Failed to allocate IP for "default/web": no available IPs`; Warning
 * `LoadBalancerFailed` `invalid requested loadbalancer IPs: …`; Normal `ClearAssignment` when
 * the held address no longer fits the configuration.
 */
export function decideService(svc: Service, pools: readonly Pool[], holdings: Holdings, controllerClass = ''): ServiceDecision {
  if (svc.spec.type === 'LoadBalancer' && !servesClass(svc, controllerClass)) return { kind: 'ignore' };
  if (svc.spec.type !== 'LoadBalancer') return { kind: 'clear', events: [] };
  if (pools.length === 0) return { kind: 'clear', events: [] };
  if ((svc.spec.clusterIPs ?? []).length === 0 && (svc.spec.clusterIP ?? '') === '') return { kind: 'clear', events: [] };
  const key = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
  const holder = holderOf(svc);
  const events: ServiceEvent[] = [];
  const desiredPool = annotation(svc, ADDRESS_POOL_ANNOTATION, DEPRECATED_ADDRESS_POOL_ANNOTATION);
  const desired = desiredIps(svc);
  const held = (svc.status.loadBalancer?.ingress ?? []).map((i) => parseIPv4(i.ip ?? '')).filter((ip): ip is number => ip !== undefined);
  if (held.length > 0) {
    const ip = held[0]!;
    const kept = assign(pools, svc, holder, ip, holdings);
    if ('error' in kept) {
      events.push({ type: 'Normal', reason: 'ClearAssignment', message: `current IP for ${JSON.stringify(key)} not allowed by config, will attempt for new IP assignment: ${kept.error}` });
    } else if ('error' in desired) {
      return { kind: 'clear', events: [{ type: 'Warning', reason: 'LoadBalancerFailed', message: `invalid requested loadbalancer IPs: ${desired.error}` }] };
    } else if ((desiredPool === '' || kept.pool.name === desiredPool) && (desired.ips.length === 0 || desired.ips[0] === ip)) {
      return { kind: 'assign', ip: formatIPv4(ip), pool: kept.pool.name, events };
    }
  }
  const failed = (error: string): ServiceDecision => ({ kind: 'clear', events: [...events, { type: 'Warning', reason: 'AllocationFailed', message: `Failed to allocate IP for ${JSON.stringify(key)}: ${error}` }] });
  const allocated = (ip: number, pool: Pool): ServiceDecision => ({
    kind: 'assign',
    ip: formatIPv4(ip),
    pool: pool.name,
    events: [...events, { type: 'Normal', reason: 'IPAllocated', message: `Assigned IP ${quoteIps([formatIPv4(ip)])}` }],
  });
  if ('error' in desired) return failed(desired.error);
  if (desired.ips.length > 0) {
    const ip = desired.ips[0]!;
    const r = assign(pools, svc, holder, ip, holdings);
    if ('error' in r) return failed(r.error);
    if (desiredPool !== '' && r.pool.name !== desiredPool) {
      return failed(`requested loadBalancer IP(s) ${quoteIps([formatIPv4(ip)])} is not compatible with requested address pool ${desiredPool}`);
    }
    return allocated(ip, r.pool);
  }
  if (desiredPool !== '') {
    const pool = pools.find((p) => p.name === desiredPool);
    if (pool === undefined) return failed(`unknown pool ${JSON.stringify(desiredPool)}`);
    if (!poolServes(pool, svc)) return failed(`pool ${pool.name} not compatible for ip assignment`);
    const ip = freeIn(pool, holder, holdings);
    return ip === undefined ? failed(`no available IPs in pool ${pool.name}`) : allocated(ip, pool);
  }
  const pinned = pools
    .filter((p) => p.serviceAllocation !== undefined && p.autoAssign && poolServes(p, svc))
    .sort((a, b) => {
      const pa = a.serviceAllocation!.priority;
      const pb = b.serviceAllocation!.priority;
      if (pa > 0 && pb > 0) return pa - pb;
      return pa === 0 && pb > 0 ? 1 : pa > 0 && pb === 0 ? -1 : 0;
    });
  const open = pools.filter((p) => p.serviceAllocation === undefined && p.autoAssign);
  for (const pool of [...pinned, ...open]) {
    const ip = freeIn(pool, holder, holdings);
    if (ip !== undefined) return allocated(ip, pool);
  }
  return failed('no available IPs');
}

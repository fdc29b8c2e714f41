/**
 * Service addresses, as upstream's Service REST storage allocates them
 * (`pkg/registry/core/service/storage/alloc.go` over `ipallocator` and `portallocator`):
 * a ClusterIP from the service CIDR and NodePorts from the NodePort range, given on create and
 * on a type change, kept while the Service keeps its type, and free again once no stored
 * Service holds them.
 *
 * Unlike upstream's bitmaps, what is allocated is not kept anywhere of its own: it is read from
 * the stored Services, followed through the storage's watch (so it cannot drift from them, and
 * a server restarted on the same storage, or another server on it, knows it at once, as
 * upstream's repair loop eventually does), plus the values of creates still in flight. Releasing is therefore implicit: a deleted Service, or one
 * whose new type no longer needs an address or port, holds nothing.
 *
 * Dynamic choices follow upstream's random scan with an offset: the first addresses (ports) of
 * a range are the static band, which users ask for by number (`10.96.0.10` for cluster DNS);
 * a dynamic allocation picks a random start in the upper band, scans it, and only when it is
 * full scans the static band. For `10.96.0.0/12` the static band is the first 256 addresses
 * (`10.96.0.1`–`10.96.1.0`); for ports 30000–32767 it is 30000–30085.
 *
 * @module
 */
import { ApiError, invalid, type FieldError } from '../../api/errors.js';
import type { Service } from '../../api/kinds/service.js';
import { seededRng } from '../../rng/seeded.js';
import type { Rng } from '../../rng/rng.js';
import type { Storage } from '../storage.js';

/** The service CIDR a default API server allocates ClusterIPs from (kube-apiserver's default). */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';

/** The NodePort range a default API server allocates from (`--service-node-port-range`). */
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

/**
 * A contiguous range of allocatable values as offsets from `base`: for a CIDR, the addresses
 * between the network and broadcast addresses (upstream's bitmap allocator excludes both); for
 * ports, each port of the range.
 */
export interface AllocationRange {
  /** The range as configured, for messages (`10.96.0.0/12`, `30000-32767`). */
  readonly text: string;
  /** The first allocatable value (an IPv4 address as a uint32, or a port). */
  readonly base: number;
  /** How many values can be allocated. */
  readonly size: number;
  /** How many values, from `base` on, form the static band that dynamic allocation avoids. */
  readonly staticBand: number;
}

/** The ranges a {@link ServiceAllocator} allocates from. */
export interface ServiceRanges {
  /** ClusterIPs. */
  readonly clusterIPs: AllocationRange;
  /** NodePorts (and health check NodePorts). */
  readonly nodePorts: AllocationRange;
}

/** An IPv4 address in dotted form as a uint32; `undefined` when it is not one. */
export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** A uint32 as a dotted IPv4 address. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Upstream's `calculateRangeOffset`: the size of the static band, `size / step` clamped to
 * `[min, max]`, none for ranges smaller than `min`. Worked example: `10.96.0.0/12` has 2^20
 * addresses, 2^20 / 16 = 65536, clamped to 256; ports 30000–32767 are 2768, 2768 / 32 = 86.
 */
function staticBandOf(size: number, min: number, max: number, step: number): number {
  if (size < min) return 0;
  return Math.max(min, Math.min(max, Math.floor(size / step)));
}

/**
 * The ClusterIP range of a service CIDR (IPv4 only): its addresses but the network and
 * broadcast ones. Throws a `TypeError` when `cidr` is not an IPv4 CIDR with a prefix of 8–30.
 */
export function clusterIPRange(cidr: string): AllocationRange {
  const [address, prefixText] = cidr.split('/');
  const ip = parseIPv4(address ?? '');
  const prefix = Number(prefixText);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new TypeError(`invalid service CIDR ${JSON.stringify(cidr)}: an IPv4 CIDR with a prefix between /8 and /30 is expected`);
  }
  const total = 2 ** (32 - prefix);
  const network = ip - (ip % total);
  if (network !== ip) throw new TypeError(`invalid service CIDR ${JSON.stringify(cidr)}: host bits are set`);
  return { text: cidr, base: network + 1, size: total - 2, staticBand: staticBandOf(total, 16, 256, 16) };
}

/** The NodePort range of `"min-max"` (inclusive). Throws a `TypeError` when it is not one. */
export function nodePortRange(range: string): AllocationRange {
  const m = /^(\d+)-(\d+)$/.exec(range);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max > 65535 || max < min) throw new TypeError(`invalid NodePort range ${JSON.stringify(range)}: "min-max" within 1-65535 is expected`);
  const size = max - min + 1;
  return { text: range, base: min, size, staticBand: staticBandOf(size, 16, 128, 32) };
}

/** Whether `value` (a uint32 address or a port) is allocatable in `range`. */
export function inRange(range: AllocationRange, value: number): boolean {
  return value >= range.base && value < range.base + range.size;
}

/**
 * Upstream's random scan with an offset: a random start in the upper band, scanned round to
 * its end; then the static band the same way. `undefined` when every value is taken.
 */
export function allocateNext(range: AllocationRange, taken: (value: number) => boolean, rng: Rng): number | undefined {
  const scan = (from: number, count: number): number | undefined => {
    if (count <= 0) return undefined;
    const start = rng.int(count);
    for (let i = 0; i < count; i++) {
      const v = range.base + from + ((start + i) % count);
      if (!taken(v)) return v;
    }
    return undefined;
  };
  return scan(range.staticBand, range.size - range.staticBand) ?? scan(0, range.staticBand);
}

/** What stored Services hold: ClusterIPs (dotted) and NodePorts (health check ones included). */
export interface ServiceHoldings {
  /** The ClusterIPs held. */
  readonly clusterIPs: ReadonlySet<string>;
  /** The NodePorts held. */
  readonly nodePorts: ReadonlySet<number>;
}

/** The ClusterIPs a Service holds (none for ExternalName and headless Services). */
export function heldClusterIPs(svc: Service): string[] {
  if (svc.spec.type === 'ExternalName') return [];
  const ips = svc.spec.clusterIPs ?? (svc.spec.clusterIP ? [svc.spec.clusterIP] : []);
  return ips.filter((ip) => ip !== '' && ip !== 'None');
}

/** The NodePorts a Service holds: its ports' `nodePort`s and its `healthCheckNodePort`. */
export function heldNodePorts(svc: Service): number[] {
  const out: number[] = [];
  if (svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer') {
    for (const p of svc.spec.ports ?? []) if (p.nodePort !== undefined && p.nodePort !== 0 && !out.includes(p.nodePort)) out.push(p.nodePort);
  }
  const hc = svc.spec.healthCheckNodePort;
  if (hc !== undefined && hc !== 0 && needsHealthCheck(svc) && !out.includes(hc)) out.push(hc);
  return out;
}

/** Upstream's `NeedsHealthCheck`: a LoadBalancer Service with `externalTrafficPolicy: Local`. */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

/** What `services` hold together. */
export function holdingsOf(services: Iterable<Service>): ServiceHoldings {
  const clusterIPs = new Set<string>();
  const nodePorts = new Set<number>();
  for (const s of services) {
    for (const ip of heldClusterIPs(s)) clusterIPs.add(ip);
    for (const p of heldNodePorts(s)) nodePorts.add(p);
  }
  return { clusterIPs, nodePorts };
}

const ALLOCATED = 'provided IP is already allocated';
const PORT_ALLOCATED = 'provided port is already allocated';

/**
 * Gives `svc` (to be created, or updated from `old`) the addresses and ports it needs, as
 * upstream's `allocateCreate` / `allocateUpdate`; pure: returns a new Service and leaves its
 * arguments alone.
 *
 * - ClusterIP: a Service that is neither ExternalName nor headless (`clusterIP: None`) and has
 *   none yet (on create, or on a change from ExternalName) gets the address it asked for, or
 *   a random one (`rng`); `clusterIP` and `clusterIPs` are set, `ipFamilies: [IPv4]` and
 *   `ipFamilyPolicy: SingleStack` defaulted. An ExternalName Service loses its IP family
 *   fields.
 * - NodePorts: each port of a NodePort or LoadBalancer Service without a `nodePort` gets one
 *   (the same one for the same `port` number, as upstream), except on a LoadBalancer with
 *   `allocateLoadBalancerNodePorts: false`; requested ones are honoured when free.
 * - `healthCheckNodePort`: given to a LoadBalancer Service with `externalTrafficPolicy: Local`.
 *
 * `others` is what every other Service holds (the Service's own stored values excluded).
 *
 * Errors (upstream's): a requested ClusterIP that is not an IPv4 address → 422 on
 * `spec.clusterIPs[0]`; outside the range or taken → 422 on `spec.clusterIPs` (`failed to
 * allocate IP x: ...`); a requested NodePort taken → 422 on `spec.ports[i].nodePort`
 * (`provided port is already allocated`); a taken health check port, or a full range → 500
 * InternalError.
 */
export function allocateService(svc: Service, old: Service | undefined, others: ServiceHoldings, ranges: ServiceRanges, rng: Rng): Service {
  const spec = { ...svc.spec };
  const name = svc.metadata.name ?? '';
  const fail = (e: FieldError): never => {
    throw invalid('Service', '', name, [e]);
  };

  // ClusterIPs.
  if (spec.type === 'ExternalName') {
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  } else {
    const hadIP = old !== undefined && old.spec.type !== 'ExternalName' && heldClusterIPs(old).length > 0;
    const requested = spec.clusterIP ?? '';
    if (requested !== 'None' && !(hadIP && requested !== '')) {
      const ips = requested === '' ? [] : (spec.clusterIPs ?? [requested]);
      let ip: string;
      if (requested === '') {
        const range = ranges.clusterIPs;
        const next = allocateNext(range, (v) => others.clusterIPs.has(formatIPv4(v)), rng);
        if (next === undefined) throw new ApiError('InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
        ip = formatIPv4(next);
      } else {
        const n = parseIPv4(requested);
        if (n === undefined) fail({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: requested, detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' });
        else if (!inRange(ranges.clusterIPs, n)) {
          fail({
            type: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            value: ips,
            detail: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${ranges.clusterIPs.text}`,
          });
        } else if (others.clusterIPs.has(requested)) {
          fail({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: ips, detail: `failed to allocate IP ${requested}: ${ALLOCATED}` });
        }
        ip = requested;
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } else if (requested === 'None') {
      spec.clusterIPs = ['None'];
    }
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }

  // NodePorts: those the Service held before stay its own.
  const own = new Set(old ? heldNodePorts(old) : []);
  const claimed = new Set<number>();
  const taken = (p: number): boolean => others.nodePorts.has(p) || claimed.has(p);
  const claim = (p: number): void => void claimed.add(p);
  const nextPort = (what: string): number => {
    const p = allocateNext(ranges.nodePorts, (v) => taken(v) || own.has(v), rng);
    if (p === undefined) throw new ApiError('InternalError', `Internal error occurred: failed to allocate a ${what}: range is full`);
    claim(p);
    return p;
  };
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && spec.ports) {
    const allocate = spec.type === 'NodePort' || spec.allocateLoadBalancerNodePorts !== false;
    const byPort = new Map<number, number>();
    // Requested ports first, so that a port number's request wins over a dynamic pick.
    spec.ports.forEach((p, i) => {
      if (p.nodePort === undefined || p.nodePort === 0) return;
      if (!claimed.has(p.nodePort)) {
        if (others.nodePorts.has(p.nodePort)) fail({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: PORT_ALLOCATED });
        claim(p.nodePort);
      }
      if (!byPort.has(p.port)) byPort.set(p.port, p.nodePort);
    });
    spec.ports = spec.ports.map((p) => {
      if ((p.nodePort !== undefined && p.nodePort !== 0) || !allocate) return p;
      const reuse = byPort.get(p.port);
      const nodePort = reuse ?? nextPort('nodePort');
      byPort.set(p.port, nodePort);
      return { ...p, nodePort };
    });
  }
  if (needsHealthCheck({ ...svc, spec })) {
    const hc = spec.healthCheckNodePort;
    const held = old !== undefined && needsHealthCheck(old) ? old.spec.healthCheckNodePort : undefined;
    if (hc === undefined || hc === 0) spec.healthCheckNodePort = nextPort('HealthCheck NodePort');
    else if (hc !== held) {
      if (taken(hc)) throw new ApiError('InternalError', `Internal error occurred: failed to allocate requested HealthCheck NodePort ${hc}: ${PORT_ALLOCATED}`);
      claim(hc);
    }
  }
  return { ...svc, spec };
}

/** A key of a stored Service, `namespace/name`. */
function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** What the allocator reads of a storage: its watch of Services. */
export type ServiceSource = Pick<Storage, 'watch'>;

/** A multiset of values, counted (two Services may briefly hold one value in a lagging view). */
class Counted<T> {
  readonly #counts = new Map<T, number>();
  add(values: Iterable<T>, delta: 1 | -1): void {
    for (const v of values) {
      const n = (this.#counts.get(v) ?? 0) + delta;
      if (n <= 0) this.#counts.delete(v);
      else this.#counts.set(v, n);
    }
  }
  has(v: T): boolean {
    return this.#counts.has(v);
  }
}

/**
 * What stored Services hold, kept from the storage's watch of Services (initial state, then
 * every change), as upstream's repair loop reads them from an informer: derived from the stored
 * objects, never from the allocator's own decisions. It starts again (from a fresh initial
 * state) when the watch ends or fails.
 */
class StoredHoldings {
  readonly #source: ServiceSource;
  // Invariant: while `#live`, `#byKey` is the watch's view of every stored Service, and
  // `#ips`/`#ports` count exactly the values of the Services in `#byKey`.
  #live = false;
  #byKey = new Map<string, Service>();
  #ips = new Counted<string>();
  #ports = new Counted<number>();

  constructor(source: ServiceSource) {
    this.#source = source;
  }

  /** The stored Service at `key`, as the watch last showed it. */
  get(key: string): Service | undefined {
    this.#follow();
    return this.#byKey.get(key);
  }

  /** Whether a stored Service other than the one at `except` holds ClusterIP `ip`. */
  holdsIP(ip: string, except: Service | undefined): boolean {
    this.#follow();
    return this.#ips.has(ip) && !(except !== undefined && heldClusterIPs(except).includes(ip) && !this.#heldByAnother(except, (s) => heldClusterIPs(s).includes(ip)));
  }

  /** Whether a stored Service other than the one at `except` holds NodePort `port`. */
  holdsPort(port: number, except: Service | undefined): boolean {
    this.#follow();
    return this.#ports.has(port) && !(except !== undefined && heldNodePorts(except).includes(port) && !this.#heldByAnother(except, (s) => heldNodePorts(s).includes(port)));
  }

  // Rare: only when the Service being written itself holds the value.
  #heldByAnother(self: Service, holds: (s: Service) => boolean): boolean {
    const key = keyOf(self.metadata.namespace, self.metadata.name);
    for (const [k, s] of this.#byKey) if (k !== key && holds(s)) return true;
    return false;
  }

  #follow(): void {
    if (this.#live) return;
    this.#live = true;
    const byKey = new Map<string, Service>();
    const ips = new Counted<string>();
    const ports = new Counted<number>();
    [this.#byKey, this.#ips, this.#ports] = [byKey, ips, ports];
    const stop = (): void => {
      if (this.#byKey === byKey) this.#live = false;
    };
    this.#source.watch({ resource: 'services' }).subscribe({
      next: (e) => {
        if (e.type === 'BOOKMARK' || this.#byKey !== byKey) return;
        const svc = e.object as Service;
        const key = keyOf(svc.metadata.namespace, svc.metadata.name);
        const before = byKey.get(key);
        if (before) {
          ips.add(heldClusterIPs(before), -1);
          ports.add(heldNodePorts(before), -1);
        }
        if (e.type === 'DELETED') byKey.delete(key);
        else {
          byKey.set(key, svc);
          ips.add(heldClusterIPs(svc), 1);
          ports.add(heldNodePorts(svc), 1);
        }
      },
      error: stop,
      complete: stop,
    });
  }
}

/**
 * The API server's allocator of Service addresses: {@link allocateService} around what the
 * stored Services hold (followed through the storage's watch) and what creates not yet seen
 * there hold.
 *
 * Guarantees: no two Services created through one server hold the same ClusterIP or NodePort,
 * also over a storage whose watch lags behind its writes (a created Service's values are held
 * until the watch shows it). Allocation costs O(1) expected per value while the range is not
 * nearly full, whatever the number of Services. Randomness comes from the Service's own
 * `metadata.uid` (itself drawn from the server's injected RNG), so the same run allocates the
 * same way and allocating draws nothing from the server's RNG.
 *
 * Caveats: only creates are held while in flight; an update that allocates (a change of type)
 * races a create as upstream's would without its bitmap, and the invariants catch it.
 */
export class ServiceAllocator {
  readonly #ranges: ServiceRanges;
  readonly #stored: StoredHoldings;
  // Invariant: each entry is a created Service the watch may not show yet, by `namespace/name`;
  // `revision` is its written revision once the create has settled.
  readonly #pending = new Map<string, { readonly svc: Service; revision?: number }>();

  /** Allocates from `ranges` around what the Services stored in `source` hold. */
  constructor(ranges: ServiceRanges, source: ServiceSource) {
    this.#ranges = ranges;
    this.#stored = new StoredHoldings(source);
  }

  /** The ranges allocated from. */
  get ranges(): ServiceRanges {
    return this.#ranges;
  }

  /**
   * {@link allocateService} for `svc` (updated from `old`, or created when `old` is absent),
   * around every other Service, stored or in flight.
   */
  allocate(svc: Service, old: Service | undefined): Service {
    const self = keyOf(svc.metadata.namespace, svc.metadata.name);
    const pending: Service[] = [];
    for (const [k, p] of this.#pending) {
      if (p.revision !== undefined && Number(this.#stored.get(k)?.metadata.resourceVersion ?? -1) >= p.revision) {
        this.#pending.delete(k); // the watch has shown it
      } else if (k !== self) pending.push(p.svc);
    }
    const inFlight = holdingsOf(pending);
    const stored = this.#stored.get(self);
    const others: ServiceHoldings = {
      clusterIPs: { has: (ip: string) => inFlight.clusterIPs.has(ip) || this.#stored.holdsIP(ip, stored) } as ReadonlySet<string>,
      nodePorts: { has: (port: number) => inFlight.nodePorts.has(port) || this.#stored.holdsPort(port, stored) } as ReadonlySet<number>,
    };
    return allocateService(svc, old, others, this.#ranges, seededRng(`${svc.metadata.uid ?? self}/${svc.metadata.resourceVersion ?? ''}`));
  }

  /**
   * Holds the values of `svc`, being created, while `written` (the create) is in flight, and
   * after it until the storage's watch shows it (or {@link ServiceAllocator.forget}); a failed
   * create holds nothing.
   */
  hold<T extends { readonly metadata: { readonly resourceVersion?: string | undefined } }>(svc: Service, written: Promise<T>): Promise<T> {
    const key = keyOf(svc.metadata.namespace, svc.metadata.name);
    const entry: { readonly svc: Service; revision?: number } = { svc };
    this.#pending.set(key, entry);
    written.then(
      (stored) => {
        entry.revision = Number(stored.metadata.resourceVersion ?? 0);
      },
      () => {
        if (this.#pending.get(key) === entry) this.#pending.delete(key);
      },
    );
    return written;
  }

  /** Stops holding what the create of `namespace/name` held: the Service has been deleted. */
  forget(namespace: string, name: string): void {
    this.#pending.delete(keyOf(namespace, name));
  }
}

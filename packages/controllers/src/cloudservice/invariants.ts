/**
 * Invariants of a cloud's LoadBalancer Services, stated from the Kubernetes documentation
 * ("Service", type LoadBalancer: "the cloud provider's load balancer … is published in the
 * Service's `.status.loadBalancer` field"; "a Service of type LoadBalancer with
 * `spec.loadBalancerClass` is ignored by the cloud provider"; changing the type away from
 * LoadBalancer deletes the load balancer) and upstream's `pkg/controller/service`, in their own
 * code, independently of the controller's decide.ts: each returns the violations it finds,
 * naming the Services.
 *
 * The fake cloud gives each load balancer one address of its range and never shares one;
 * a load balancer's address is its Service's `status.loadBalancer.ingress`, so a released load
 * balancer is a Service whose status no longer shows it.
 *
 * @module
 */
import { invariant, refOf } from '@kubeloop/core';
import type { Invariant, InvariantViolation, Service } from '@kubeloop/core';

/** The addresses a cloud hands out: `first` to `last` inclusive, as numbers. */
interface CloudRange {
  readonly first: number;
  readonly last: number;
  readonly text: string;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The usable addresses of an IPv4 CIDR: all but its network and broadcast addresses. */
function usable(cidr: string): CloudRange {
  const [base, bits] = cidr.split('/');
  const value = ipv4(base ?? '');
  const prefix = Number(bits);
  if (value === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`cloud load balancer invariants: ${JSON.stringify(cidr)} is not an IPv4 CIDR from /8 to /30`);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  return { first: network + 1, last: network + size - 2, text: cidr };
}

function held(svc: Service): string[] {
  return (svc.status.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter((a) => a !== '');
}

/** Whether the cloud serves `svc`: type LoadBalancer and no `spec.loadBalancerClass` (another implementation's Service otherwise). */
function cloudServes(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && (svc.spec.loadBalancerClass ?? '') === '';
}

const inRange = (range: CloudRange, ip: string): boolean => {
  const v = ipv4(ip);
  return v !== undefined && v >= range.first && v <= range.last;
};

/**
 * Once settled, every Service of type LoadBalancer without `loadBalancerClass` shows its load
 * balancer in `status.loadBalancer.ingress` — unless every address of the cloud's range
 * (`cidr`, network and broadcast addresses excluded) is held by another Service, where a cloud
 * would fail to create one (`SyncLoadBalancerFailed`) and the Service stays `<pending>`.
 */
export function cloudLoadBalancersProvisioned(services: readonly Service[], cidr: string): InvariantViolation[] {
  const range = usable(cidr);
  const taken = new Set(services.flatMap((s) => held(s).filter((ip) => inRange(range, ip))));
  const free = range.last - range.first + 1 - taken.size;
  return services
    .filter((s) => cloudServes(s) && held(s).length === 0 && free > 0)
    .map((s) => ({ message: `is a LoadBalancer without an address while ${free} of the cloud's ${range.last - range.first + 1} addresses in ${range.text} are free`, objects: [refOf(s)] }));
}

/**
 * Once settled, a Service that is not of type LoadBalancer shows no load balancer in
 * `status.loadBalancer`: changing a Service's type away from LoadBalancer deletes its cloud load
 * balancer and clears the status (upstream `needsCleanup` → `EnsureLoadBalancerDeleted`, then
 * the status patched to an empty `loadBalancer`).
 */
export function cloudLoadBalancersReleased(services: readonly Service[]): InvariantViolation[] {
  return services
    .filter((s) => s.spec.type !== 'LoadBalancer' && held(s).length > 0)
    .map((s) => ({ message: `is of type ${s.spec.type ?? 'ClusterIP'} and still shows load balancer [${held(s).join(', ')}]`, objects: [refOf(s)] }));
}

/**
 * Every load balancer address a Service without `loadBalancerClass` shows is one of the cloud's
 * (in `cidr`, neither its network nor its broadcast address).
 */
export function cloudLoadBalancerAddressesInRange(services: readonly Service[], cidr: string): InvariantViolation[] {
  const range = usable(cidr);
  const out: InvariantViolation[] = [];
  for (const s of services) {
    if ((s.spec.loadBalancerClass ?? '') !== '') continue;
    for (const ip of held(s)) if (!inRange(range, ip)) out.push({ message: `shows load balancer address ${ip}, which is not one of the cloud's addresses in ${range.text}`, objects: [refOf(s)] });
  }
  return out;
}

/**
 * No two Services without `loadBalancerClass` show the same load balancer address: a cloud load
 * balancer, and so its address, belongs to one Service, and this cloud shares none (unlike
 * MetalLB's `allow-shared-ip`, which it does not read).
 */
export function cloudLoadBalancerAddressesUnique(services: readonly Service[]): InvariantViolation[] {
  const first = new Map<string, Service>();
  const out: InvariantViolation[] = [];
  for (const s of services) {
    if ((s.spec.loadBalancerClass ?? '') !== '') continue;
    for (const ip of new Set(held(s))) {
      const other = first.get(ip);
      if (other === undefined) first.set(ip, s);
      else out.push({ message: `shows load balancer address ${ip}, which ${other.metadata.namespace ?? ''}/${other.metadata.name ?? ''} shows too`, objects: [refOf(s), refOf(other)] });
    }
  }
  return out;
}

/**
 * The invariants of a cloud's LoadBalancer Services over the cloud's address range `cidr`:
 * `cloudLoadBalancersProvisioned`, `cloudLoadBalancersReleased` and
 * `cloudLoadBalancerAddressesInRange` (liveness: once settled) and
 * `cloudLoadBalancerAddressesUnique` (safety: in every state).
 *
 * @throws Error when `cidr` is not an IPv4 CIDR from /8 to /30.
 */
export function cloudLoadBalancerInvariants(cidr: string): Invariant[] {
  usable(cidr);
  return [
    invariant(
      'cloudLoadBalancersProvisioned',
      "After settling, every Service of type LoadBalancer without loadBalancerClass shows its cloud load balancer's address in status.loadBalancer.ingress, unless the cloud has no address left.",
      (state) => cloudLoadBalancersProvisioned(state.of<Service>('Service'), cidr),
    ),
    invariant(
      'cloudLoadBalancersReleased',
      'After settling, a Service whose type is no longer LoadBalancer has had its cloud load balancer deleted: status.loadBalancer shows none.',
      (state) => cloudLoadBalancersReleased(state.of<Service>('Service')),
    ),
    invariant(
      'cloudLoadBalancerAddressesInRange',
      "After settling, every load balancer address of a Service without loadBalancerClass is one of the cloud's addresses.",
      (state) => cloudLoadBalancerAddressesInRange(state.of<Service>('Service'), cidr),
    ),
    invariant(
      'cloudLoadBalancerAddressesUnique',
      'No two Services without loadBalancerClass show the same load balancer address: a cloud load balancer belongs to one Service.',
      (state) => cloudLoadBalancerAddressesUnique(state.of<Service>('Service')),
      'safety',
    ),
  ];
}

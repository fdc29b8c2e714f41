/**
 * What quota counts (upstream `pkg/quota/v1/evaluator/core` and the generic object-count
 * evaluator), as pure functions shared by the ResourceQuota admission hook and the quota
 * controller: an object's usage, which of a quota's resources an object of a kind can use,
 * whether a quota's scopes select an object, the pod constraints, and upstream's formatting.
 *
 * @module
 */
import { parseQuantity, parseTime, podLimits, podRequests, tryParseQuantity } from '@kubeloop/core';
import type { KubeObject, PersistentVolumeClaim, Pod, Quantity, ResourceDefinition, ResourceQuota, Service } from '@kubeloop/core';

/** A resource list in quota units: resource name → quantity. */
export type QuotaUsage = Map<string, Quantity>;

const ONE = parseQuantity('1');
const ZERO = parseQuantity('0');

/** The quota resources of pods besides extended and hugepages ones (upstream `podResources`). */
const POD_RESOURCES: ReadonlySet<string> = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);

/**
 * The quota resources a pod must request explicitly in every container when a quota tracks
 * them (upstream's `validationSet`, kept for backward compatibility).
 */
const MUST_SPECIFY: ReadonlySet<string> = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** Resource names the API owns (no domain, or a `kubernetes.io` one): not extended resources. */
function isNativeResource(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return true;
  const domain = name.slice(0, slash);
  return domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io');
}

/** `count/<resource>[.<group>]`: the object-count quota name of a kind (upstream `ObjectCountQuotaResourceNameFor`). */
export function objectCountName(resource: ResourceDefinition): string {
  return `count/${resource.resource}`;
}

/** The legacy object-count names upstream still honours, by resource. */
const LEGACY_COUNT: Readonly<Record<string, string>> = {
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

/**
 * Whether a quota resource name can be used by objects of `resource` (upstream's evaluators'
 * `MatchingResources`): the kind's object count, its legacy count name, and for pods the
 * compute resources, `hugepages-*` and extended `requests.*` names; for Services the node-port
 * and load-balancer counts; for claims the requested storage, also per storage class.
 */
export function tracks(resource: ResourceDefinition, name: string): boolean {
  if (name === objectCountName(resource)) return true;
  if (LEGACY_COUNT[resource.resource] === name) return true;
  switch (resource.resource) {
    case 'pods':
      return POD_RESOURCES.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || (name.startsWith('requests.') && !isNativeResource(name.slice('requests.'.length)));
    case 'services':
      return name === 'services.loadbalancers' || name === 'services.nodeports';
    case 'persistentvolumeclaims':
      return name === 'requests.storage' || (name.includes(STORAGE_CLASS_SUFFIX) && (name.endsWith('/requests.storage') || name.endsWith('/persistentvolumeclaims')));
    default:
      return false;
  }
}

function add(to: QuotaUsage, name: string, q: Quantity): void {
  const had = to.get(name);
  to.set(name, had === undefined ? q : had.add(q));
}

function quantity(text: string | undefined): Quantity | undefined {
  return text === undefined ? undefined : tryParseQuantity(text);
}

/** Sums, per resource name, a list of resource lists (`requests` or `limits`). */
function sumLists(lists: readonly (Readonly<Record<string, string>> | undefined)[]): QuotaUsage {
  const out: QuotaUsage = new Map();
  for (const list of lists) {
    for (const [name, text] of Object.entries(list ?? {})) {
      const q = quantity(text);
      if (q !== undefined) add(out, name, q);
    }
  }
  return out;
}

/** A container's or pod's compute usage from its requests and limits (upstream `podComputeUsageHelper`). */
function computeUsage(requests: QuotaUsage, limits: QuotaUsage): QuotaUsage {
  const out: QuotaUsage = new Map([['pods', ONE]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = requests.get(r);
    if (request !== undefined) {
      out.set(r, request);
      out.set(`requests.${r}`, request);
    }
    const limit = limits.get(r);
    if (limit !== undefined) out.set(`limits.${r}`, limit);
  }
  for (const [name, request] of requests) {
    if (name.startsWith('hugepages-')) {
      out.set(name, request);
      out.set(`requests.${name}`, request);
    } else if (!isNativeResource(name)) {
      out.set(`requests.${name}`, request);
    }
  }
  return out;
}

/**
 * Whether a pod still uses its compute quota (upstream `QuotaV1Pod`): not once it has finished
 * (`Succeeded`, `Failed`), nor once its deletion grace period has passed beyond its
 * `deletionTimestamp`.
 */
export function podChargedAt(pod: Pod, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deletion = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (deletion !== undefined && grace !== undefined && now > parseTime(deletion) + grace * 1000) return false;
  return true;
}

/**
 * What `object` (of `resource`) counts against quota at `now` (upstream evaluators' `Usage`):
 * its object count always; for a pod still charged, `pods` and its compute requests and limits;
 * for a Service, `services` and its load balancer and node ports; for a claim, its storage
 * request, also under its storage class; for ConfigMaps, Secrets, ReplicationControllers and
 * ResourceQuotas, their legacy count names too.
 */
export function quotaUsage(resource: ResourceDefinition, object: KubeObject, now: number): QuotaUsage {
  const out: QuotaUsage = new Map([[objectCountName(resource), ONE]]);
  const legacy = LEGACY_COUNT[resource.resource];
  if (legacy !== undefined) out.set(legacy, ONE);
  switch (resource.resource) {
    case 'pods': {
      const pod = object as Pod;
      if (!podChargedAt(pod, now)) break;
      for (const [name, q] of computeUsage(podRequests(pod), podLimits(pod))) out.set(name, q);
      break;
    }
    case 'services': {
      const spec = (object as Service).spec;
      const type = spec.type ?? 'ClusterIP';
      out.set('services.loadbalancers', type === 'LoadBalancer' ? ONE : ZERO);
      const nodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false) ? (spec.ports ?? []).length : 0;
      out.set('services.nodeports', parseQuantity(String(nodePorts)));
      break;
    }
    case 'persistentvolumeclaims': {
      const claim = object as PersistentVolumeClaim;
      const storage = quantity(claim.spec.resources?.requests?.['storage']);
      const className = claim.spec.storageClassName;
      if (storage !== undefined) out.set('requests.storage', storage);
      if (className !== undefined && className !== null && className !== '') {
        out.set(`${className}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, ONE);
        if (storage !== undefined) out.set(`${className}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
      }
      break;
    }
  }
  return out;
}

/** A quota's scope selectors: its `scopes` (each as `Exists`) and its `scopeSelector`'s expressions. */
function scopeSelectors(quota: ResourceQuota): { scopeName: string; operator: string; values?: readonly string[] | undefined }[] {
  return [...(quota.spec.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })), ...(quota.spec.scopeSelector?.matchExpressions ?? [])];
}

/** Whether a pod is BestEffort: no container or init container requests or limits cpu or memory (upstream `GetPodQOS`). */
function isBestEffort(pod: Pod): boolean {
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    for (const list of [c.resources?.requests, c.resources?.limits]) {
      for (const [name, text] of Object.entries(list ?? {})) {
        if ((name === 'cpu' || name === 'memory') && !(quantity(text)?.isZero() ?? true)) return false;
      }
    }
  }
  return true;
}

function crossNamespaceAffinity(pod: Pod): boolean {
  const a = pod.spec.affinity;
  const terms = [
    ...(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
    ...(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
  ];
  return terms.some((t) => (t.namespaces ?? []).length > 0 || t.namespaceSelector !== undefined);
}

function podMatchesScope(pod: Pod, selector: { scopeName: string; operator: string; values?: readonly string[] | undefined }): boolean {
  switch (selector.scopeName) {
    case 'Terminating':
      return (pod.spec.activeDeadlineSeconds ?? -1) >= 0;
    case 'NotTerminating':
      return !((pod.spec.activeDeadlineSeconds ?? -1) >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return crossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const name = pod.spec.priorityClassName ?? '';
      switch (selector.operator) {
        case 'Exists':
          return name !== '';
        case 'DoesNotExist':
          return name === '';
        case 'In':
          return name !== '' && (selector.values ?? []).includes(name);
        case 'NotIn':
          return name === '' || !(selector.values ?? []).includes(name);
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

/**
 * Whether `quota`'s scopes select `object` (upstream `generic.Matches`, scope part): a quota
 * without scopes selects every object; a scoped one selects only pods, each scope by its rule
 * (`Terminating`: `activeDeadlineSeconds` set; `BestEffort`: no cpu or memory requests or
 * limits; `PriorityClass`: by `priorityClassName`; `CrossNamespacePodAffinity`: an affinity
 * term naming namespaces).
 */
export function scopesSelect(quota: ResourceQuota, resource: ResourceDefinition, object: KubeObject): boolean {
  const selectors = scopeSelectors(quota);
  if (selectors.length === 0) return true;
  if (resource.resource !== 'pods') return false;
  return selectors.every((s) => podMatchesScope(object as Pod, s));
}

/**
 * The pod constraint of quota (upstream pod evaluator `Constraints`): when a quota tracks cpu or
 * memory requests or limits, every container and init container must state them. Returns
 * upstream's reason, `must specify limits.cpu for: app; requests.memory for: app,sidecar`, or
 * `undefined` when nothing is missing.
 */
export function podConstraintViolation(pod: Pod, tracked: readonly string[]): string | undefined {
  const required = tracked.filter((n) => MUST_SPECIFY.has(n));
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const has = computeUsage(sumLists([c.resources?.requests]), sumLists([c.resources?.limits]));
    for (const r of required) {
      if (has.has(r)) continue;
      let names = missing.get(r);
      if (names === undefined) missing.set(r, (names = new Set()));
      names.add(c.name);
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/** Upstream's `prettyPrint` of a resource list: `name=quantity` pairs sorted by name, comma-joined. */
export function formatUsage(usage: QuotaUsage, names: readonly string[]): string {
  return [...names]
    .sort()
    .map((n) => `${n}=${(usage.get(n) ?? ZERO).toString()}`)
    .join(',');
}

/**
 * The usage of `names` by `objects` (all of one kind, in the quota's namespace) that the
 * quota's scopes select: what the quota controller writes into `status.used`.
 */
export function usageOf(quota: ResourceQuota, resource: ResourceDefinition, objects: readonly KubeObject[], names: readonly string[], now: number): QuotaUsage {
  const out: QuotaUsage = new Map(names.map((n) => [n, ZERO]));
  for (const o of objects) {
    if (!scopesSelect(quota, resource, o)) continue;
    const usage = quotaUsage(resource, o, now);
    for (const n of names) {
      const q = usage.get(n);
      if (q !== undefined) add(out, n, q);
    }
  }
  return out;
}

/**
 * The LimitRanger admission plugin's rules (upstream `plugin/pkg/admission/limitranger`), as pure
 * functions of a namespace's LimitRanges and one object:
 *
 * - {@link applyContainerDefaults}: a new pod's containers get the `default` limits and
 *   `defaultRequest` requests of `type: Container` items for the resources they leave unset,
 *   and the pod says so in its `kubernetes.io/limit-ranger` annotation;
 * - {@link podLimitViolations}: each container against the `min`, `max` and
 *   `maxLimitRequestRatio` of `type: Container` items, the pod as a whole (its effective
 *   requests and limits) against `type: Pod` items;
 * - {@link claimLimitViolations}: a claim's `requests` against `type: PersistentVolumeClaim`
 *   items.
 *
 * Messages are upstream's, word for word in form: `maximum cpu usage per Container is 800m, but
 * limit is 1500m`. Resource names are taken in sorted order (upstream walks Go maps, whose order
 * is random).
 *
 * @module
 */
import { parseQuantity, podLimits, podRequests, tryParseQuantity } from '@kubeloop/core';
import type { Container, LimitRange, LimitRangeItem, PersistentVolumeClaim, Pod, Quantity, ResourceQuantities } from '@kubeloop/core';

/** The annotation a pod gets when LimitRanger set some of its requests or limits. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type ResourceList = Readonly<Record<string, string>>;

/** Upstream `resource.MaxMilliValue`: the largest value whose thousandths fit in an int64. */
const MAX_MILLI_VALUE = 9_223_372_036_854_775n;
const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_UNIT = 1_000_000_000n;

/** `n / d` rounded away from zero, as upstream's `Value` and `MilliValue`. */
function scaled(q: Quantity, d: bigint): bigint {
  const n = q.nanoValue();
  const whole = n / d;
  return n % d === 0n ? whole : n > 0n ? whole + 1n : whole - 1n;
}

/**
 * Upstream `requestLimitEnforcedValues`: the three amounts as integers, in thousandths when none
 * is too large for that, else in whole units. A missing amount counts as zero.
 */
function enforcedValues(request: Quantity | undefined, limit: Quantity | undefined, enforced: Quantity): [bigint, bigint, bigint] {
  const zero = parseQuantity('0');
  const qs = [request ?? zero, limit ?? zero, enforced];
  const units = qs.map((q) => scaled(q, NANOS_PER_UNIT));
  if (units.every((v) => v <= MAX_MILLI_VALUE)) {
    const millis = qs.map((q) => scaled(q, NANOS_PER_MILLI));
    return [millis[0]!, millis[1]!, millis[2]!];
  }
  return [units[0]!, units[1]!, units[2]!];
}

function minConstraint(kind: string, name: string, enforcedText: string, request: Quantity | undefined, limit: Quantity | undefined): string | undefined {
  const enforced = parseQuantity(enforcedText);
  const [req, lim, min] = enforcedValues(request, limit, enforced);
  if (request === undefined) return `minimum ${name} usage per ${kind} is ${enforced.toString()}.  No request is specified`;
  if (req < min) return `minimum ${name} usage per ${kind} is ${enforced.toString()}, but request is ${request.toString()}`;
  if (limit !== undefined && lim < min) return `minimum ${name} usage per ${kind} is ${enforced.toString()}, but limit is ${limit.toString()}`;
  return undefined;
}

function maxConstraint(kind: string, name: string, enforcedText: string, request: Quantity | undefined, limit: Quantity | undefined): string | undefined {
  const enforced = parseQuantity(enforcedText);
  const [req, lim, max] = enforcedValues(request, limit, enforced);
  if (limit === undefined) return `maximum ${name} usage per ${kind} is ${enforced.toString()}.  No limit is specified`;
  if (lim > max) return `maximum ${name} usage per ${kind} is ${enforced.toString()}, but limit is ${limit.toString()}`;
  if (request !== undefined && req > max) return `maximum ${name} usage per ${kind} is ${enforced.toString()}, but request is ${request.toString()}`;
  return undefined;
}

/** Upstream `maxRequestConstraint`: for claims, whose limits are not the user's to state. */
function maxRequestConstraint(kind: string, name: string, enforcedText: string, request: Quantity | undefined): string | undefined {
  const enforced = parseQuantity(enforcedText);
  const [req, , max] = enforcedValues(request, undefined, enforced);
  if (request === undefined) return `maximum ${name} usage per ${kind} is ${enforced.toString()}.  No request is specified`;
  if (req > max) return `maximum ${name} usage per ${kind} is ${enforced.toString()}, but request is ${request.toString()}`;
  return undefined;
}

function ratioConstraint(kind: string, name: string, enforcedText: string, request: Quantity | undefined, limit: Quantity | undefined): string | undefined {
  const enforced = parseQuantity(enforcedText);
  const [req, lim] = enforcedValues(request, limit, enforced);
  if (request === undefined || req === 0n) return `${name} max limit to request ratio per ${kind} is ${enforced.toString()}, but no request is specified or request is 0`;
  if (limit === undefined || lim === 0n) return `${name} max limit to request ratio per ${kind} is ${enforced.toString()}, but no limit is specified or limit is 0`;
  const ratio = Number(lim) / Number(req);
  const small = scaled(enforced, NANOS_PER_UNIT) <= MAX_MILLI_VALUE;
  const observed = small ? ratio * 1000 : ratio;
  const allowed = Number(small ? scaled(enforced, NANOS_PER_MILLI) : scaled(enforced, NANOS_PER_UNIT));
  if (observed > allowed) return `${name} max limit to request ratio per ${kind} is ${enforced.toString()}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

const sortedEntries = (list: ResourceList | undefined): [string, string][] => Object.entries(list ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function quantities(list: ResourceList | undefined): ResourceQuantities {
  const out: ResourceQuantities = new Map();
  for (const [name, text] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(text);
    if (q !== undefined) out.set(name, q);
  }
  return out;
}

/** One item's `min`, `max` and `maxLimitRequestRatio` against requests and limits. */
function checkItem(item: LimitRangeItem, requests: ResourceQuantities, limits: ResourceQuantities): string[] {
  const out: string[] = [];
  const push = (message: string | undefined): void => void (message !== undefined && out.push(message));
  for (const [name, min] of sortedEntries(item.min)) push(minConstraint(item.type, name, min, requests.get(name), limits.get(name)));
  for (const [name, max] of sortedEntries(item.max)) push(maxConstraint(item.type, name, max, requests.get(name), limits.get(name)));
  for (const [name, ratio] of sortedEntries(item.maxLimitRequestRatio)) push(ratioConstraint(item.type, name, ratio, requests.get(name), limits.get(name)));
  return out;
}

/**
 * What a new pod's containers get from `ranges` (upstream `defaultContainerResourceRequirements`
 * and `mergePodResourceRequirements`, run for each LimitRange in turn): for each container and
 * init container, the `default` limits and `defaultRequest` requests of a range's
 * `type: Container` items for the resources it leaves unset (within one range a later item's
 * value for a resource replaces an earlier one's; across ranges the first to set it wins).
 *
 * Returns the pod with those set and the annotation `kubernetes.io/limit-ranger: LimitRanger
 * plugin set: cpu, memory request for container app; memory limit for container app` (as
 * upstream, the last range that set something writes it), or `undefined` when nothing was
 * missing. Guarantees: `pod` is not changed.
 */
export function applyContainerDefaults(pod: Pod, ranges: readonly LimitRange[]): Pod | undefined {
  let out = pod;
  for (const range of ranges) out = applyRangeDefaults(out, range) ?? out;
  return out === pod ? undefined : out;
}

function applyRangeDefaults(pod: Pod, range: LimitRange): Pod | undefined {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const item of range.spec.limits) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest);
    Object.assign(limits, item.default);
  }
  const notes: string[] = [];
  const merge = (c: Container, what: string): Container => {
    const setRequests = Object.keys(requests).filter((n) => c.resources?.requests?.[n] === undefined).sort();
    const setLimits = Object.keys(limits).filter((n) => c.resources?.limits?.[n] === undefined).sort();
    if (setRequests.length === 0 && setLimits.length === 0) return c;
    const resources = { ...c.resources };
    if (setRequests.length > 0) {
      notes.push(`${setRequests.join(', ')} request for ${what} ${c.name}`);
      resources.requests = { ...c.resources?.requests, ...Object.fromEntries(setRequests.map((n) => [n, requests[n]!])) };
    }
    if (setLimits.length > 0) {
      notes.push(`${setLimits.join(', ')} limit for ${what} ${c.name}`);
      resources.limits = { ...c.resources?.limits, ...Object.fromEntries(setLimits.map((n) => [n, limits[n]!])) };
    }
    return { ...c, resources };
  };
  const containers = pod.spec.containers.map((c) => merge(c, 'container'));
  const initContainers = pod.spec.initContainers?.map((c) => merge(c, 'init container'));
  if (notes.length === 0) return undefined;
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations: { ...pod.metadata.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` } },
    spec: { ...pod.spec, containers, ...(initContainers === undefined ? {} : { initContainers }) },
  };
}

/**
 * Why `ranges` forbid `pod` (upstream `PodValidateLimitFunc`), in upstream's order: per item,
 * each container then each init container against a `type: Container` item, or the pod's
 * effective requests and limits (core's `podRequests` / `podLimits`) against a `type: Pod`
 * item. Empty when it is allowed.
 */
export function podLimitViolations(pod: Pod, ranges: readonly LimitRange[]): string[] {
  const out: string[] = [];
  for (const range of ranges) {
    for (const item of range.spec.limits) {
      if (item.type === 'Container') {
        for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) out.push(...checkItem(item, quantities(c.resources?.requests), quantities(c.resources?.limits)));
      } else if (item.type === 'Pod') {
        out.push(...checkItem(item, podRequests(pod), podLimits(pod)));
      }
    }
  }
  return out;
}

/**
 * Why `ranges` forbid `claim` (upstream `PersistentVolumeClaimValidateLimitFunc`): its
 * `spec.resources.requests` against each `type: PersistentVolumeClaim` item's `min` and `max`
 * (a claim's limits are not checked). Empty when it is allowed.
 */
export function claimLimitViolations(claim: PersistentVolumeClaim, ranges: readonly LimitRange[]): string[] {
  const out: string[] = [];
  const requests = quantities(claim.spec.resources?.requests);
  for (const range of ranges) {
    for (const item of range.spec.limits) {
      if (item.type !== 'PersistentVolumeClaim') continue;
      for (const [name, min] of sortedEntries(item.min)) {
        const message = minConstraint(item.type, name, min, requests.get(name), undefined);
        if (message !== undefined) out.push(message);
      }
      for (const [name, max] of sortedEntries(item.max)) {
        const message = maxRequestConstraint(item.type, name, max, requests.get(name));
        if (message !== undefined) out.push(message);
      }
    }
  }
  return out;
}

/**
 * Upstream's aggregate error text: one message as it is; several, de-duplicated, as
 * `[first, second]`.
 */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

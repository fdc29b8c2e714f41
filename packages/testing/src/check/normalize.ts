/**
 * Normalised cluster state, for differential runs: two runs that converged to the same result
 * compare equal although their uids, resource versions, timestamps and generated names differ.
 *
 * @module
 */
import type { KubeObject } from '@kubeloop/core';
import type { ClusterState, Violation } from '../invariants/types.js';

const DROPPED = new Set(['uid', 'resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'deletionTimestamp', 'observedGeneration', 'containerID', 'imageID', 'podIP', 'podIPs', 'hostIP', 'hostIPs', 'startedAt', 'finishedAt']);

function strip(value: unknown, generated: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => strip(v, generated));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (DROPPED.has(key) || /(Time|Timestamp)$/.test(key)) continue;
      out[key] = strip((value as Record<string, unknown>)[key], generated);
    }
    return out;
  }
  if (typeof value === 'string') return generated.get(value) ?? value;
  return value;
}

/**
 * An object with what differs between equivalent runs removed: uids, resource versions,
 * generations, timestamps (keys ending in `Time` or `Timestamp`), container ids and pod IPs;
 * and every name made from a `generateName` replaced by `<generateName>*` wherever it appears.
 */
export function normalizeObject(object: KubeObject, generated: ReadonlyMap<string, string> = new Map()): unknown {
  return strip(object, generated);
}

/** The generated names of a state (name → `generateName*`), for {@link normalizeObject}. */
export function generatedNames(state: ClusterState): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of state.kinds) {
    for (const o of state.of(kind)) {
      const prefix = o.metadata.generateName;
      const name = o.metadata.name;
      if (prefix && name?.startsWith(prefix)) out.set(name, `${prefix}*`);
    }
  }
  return out;
}

/**
 * The differences between two states over `kinds`, compared as multisets of normalised objects;
 * each difference is a violation naming the objects only one side has.
 */
export function diffStates(a: ClusterState, b: ClusterState, kinds: readonly string[]): Violation[] {
  const out: Violation[] = [];
  const ga = generatedNames(a);
  const gb = generatedNames(b);
  for (const kind of kinds) {
    const left = a.of(kind).map((o) => ({ o, text: JSON.stringify(normalizeObject(o, ga)) }));
    const right = b.of(kind).map((o) => ({ o, text: JSON.stringify(normalizeObject(o, gb)) }));
    const counts = new Map<string, number>();
    for (const r of right) counts.set(r.text, (counts.get(r.text) ?? 0) + 1);
    const onlyLeft = left.filter((l) => {
      const n = counts.get(l.text) ?? 0;
      if (n === 0) return true;
      counts.set(l.text, n - 1);
      return false;
    });
    const onlyRight = right.filter((r) => (counts.get(r.text) ?? 0) > 0 && (counts.set(r.text, counts.get(r.text)! - 1), true));
    for (const { o, text } of onlyLeft) out.push({ message: `with faults only: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`, objects: [{ kind, namespace: o.metadata.namespace, name: o.metadata.name ?? '' }] });
    for (const { o, text } of onlyRight) out.push({ message: `without faults only: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`, objects: [{ kind, namespace: o.metadata.namespace, name: o.metadata.name ?? '' }] });
  }
  return out;
}

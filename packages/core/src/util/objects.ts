/**
 * Plain-JSON object helpers used on the store's hot path: deep freeze, deep equality and
 * path access. Internal.
 *
 * @module
 */

/** A JSON-like value as stored objects hold them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Freezes `value` and everything reachable from it, in place, and returns it. Objects that are
 * already frozen are assumed frozen all the way down (the store only freezes whole trees), so
 * shared frozen subtrees are not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  freezeTree(value as object);
  return value;
}

/**
 * Freezes children first (skipping frozen subtrees), then the node. Hot path: plain loops.
 *
 * On the way it flattens the strings it meets: a string built by concatenation (a uid, a
 * message, a timestamp) is a rope of pieces in V8, often several times the size of the flat
 * string, and a frozen object keeps it for as long as the object lives.
 */
function freezeTree(node: object): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (typeof child === 'string') flatten(child);
      else if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) freezeTree(child);
    }
  } else {
    // `for…in`, not `Object.keys`: no array of keys per object (every write freezes a few dozen
    // objects), and about twice as fast on the plain objects stored here, whose prototype has
    // no enumerable key.
    const record = node as Record<string, unknown>;
    for (const key in record) {
      const child = record[key];
      if (typeof child === 'string') flatten(child);
      else if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) freezeTree(child);
    }
  }
  Object.freeze(node);
}

/** Read by nothing: keeps the engine from dropping {@link flatten}'s character read. */
let flattenSink = 0;

/**
 * Makes V8 store `text` as one flat string, in place, and returns it: reading a character of a
 * concatenated string (a rope) flattens it, and its pieces can then be collected. Strings too
 * short to be ropes (under 13 characters) are left alone.
 *
 * @example `flatten(HEX[a] + HEX[b] + '-' + …)` keeps a 36-character uid in about 70 bytes rather than 490.
 */
export function flatten(text: string): string {
  if (text.length >= 13) flattenSink = (flattenSink + text.charCodeAt(0)) & 0xff;
  return text;
}

/** Structural equality of JSON-like values (key order ignored; `undefined` members ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let na = 0;
  for (const key in ra) {
    if (ra[key] === undefined) continue;
    na++;
    if (!deepEqual(ra[key], rb[key])) return false;
  }
  let nb = 0;
  for (const key in rb) if (rb[key] !== undefined) nb++;
  return na === nb;
}

/** Reads a dotted path (`spec.replicas`) from an object; `undefined` if any step is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Returns a copy of `obj` with the dotted `path` set to `value` (copying only along the path). */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const base = (obj ?? {}) as Record<string, unknown>;
  if (head === undefined) return obj;
  return {
    ...base,
    [head]: rest.length === 0 ? value : setPath(base[head], rest.join('.'), value),
  } as T;
}

/** A deep mutable copy of a JSON-like value (what a caller edits before writing back). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Template hashes (upstream `controller.ComputeHash`): the `pod-template-hash` of a
 * Deployment's ReplicaSets and the names of DaemonSet ControllerRevisions. Upstream hashes a
 * Go-specific dump of the template with FNV-32a; here the template is dumped as canonical JSON
 * (keys sorted), so hashes are stable across runs and key orders but differ from a real
 * cluster's. The encoding is upstream's: the 32-bit value in decimal, each digit mapped to
 * `rand.SafeEncodeString`'s alphabet (no vowels, no look-alikes).
 *
 * @module
 */

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A JSON rendering with object keys sorted and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as Record<string, unknown>)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Upstream `rand.SafeEncodeString`: each character mapped into a vowel-free alphabet. */
export function safeEncodeString(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The hash of a pod template, salted with the owner's `collisionCount` when set (upstream
 * `ComputeHash`): e.g. `5d8f7c9b6` — the suffix of a Deployment's ReplicaSet name and the
 * value of its `pod-template-hash` label.
 */
export function computeHash(template: unknown, collisionCount?: number | undefined): string {
  let text = canonicalJson(template);
  if (collisionCount !== undefined && collisionCount !== null) text += `#${collisionCount >>> 0}`;
  return safeEncodeString(String(fnv32a(text)));
}

/**
 * Taints and tolerations as the scheduler, the kubelet, the DaemonSet controller and the node
 * lifecycle controller all apply them (upstream `component-helpers/scheduling/corev1`
 * `FindMatchingUntoleratedTaint` and `Toleration.ToleratesTaint`).
 *
 * @module
 */
import type { Taint, Toleration } from './kinds/pod.js';

/**
 * Whether a toleration tolerates a taint (upstream `ToleratesTaint`): an empty effect matches
 * every effect, an empty key every key (with `Exists`); operator `Exists` ignores the value,
 * `Equal` (or empty) needs equal values.
 *
 * @example
 * ```ts
 * toleratesTaint({ key: 'dedicated', operator: 'Exists' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }); // true
 * toleratesTaint({ key: 'dedicated', value: 'db' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }); // false
 * ```
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  const op = t.operator ?? '';
  if (op === 'Exists') return true;
  if (op === '' || op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/**
 * The first taint with one of `effects` that no toleration tolerates, if any (upstream
 * `FindMatchingUntoleratedTaint` with an effect filter).
 */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!effects.includes(taint.effect)) continue;
    if (!(tolerations ?? []).some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

/**
 * Deletion finalizers and propagation policies (upstream's `deletionFinalizersForGarbageCollection`
 * in `registry/generic/registry/store.go`): which of the garbage collector's two finalizers an
 * object carries after a delete request.
 *
 * @module
 */
import type { KubeObject } from '../../api/meta.js';
import type { DeleteOptions } from '../../client/types.js';

/** Finalizer that makes a Foreground deletion wait for blocking dependents (handled by the GC). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** Finalizer that makes an Orphan deletion release dependents first (handled by the GC). */
export const ORPHAN_FINALIZER = 'orphan';

/**
 * The finalizers an object carries after a delete with `policy`, on the first delete and on
 * later ones alike: `Orphan` sets `orphan` (and drops `foregroundDeletion`), `Foreground` the
 * reverse, `Background` drops both, no policy keeps what is there. Other finalizers stay.
 */
export function finalizersAfterDelete(current: readonly string[] | undefined, policy: DeleteOptions['propagationPolicy']): Set<string> {
  const finalizers = new Set(current ?? []);
  switch (policy) {
    case 'Orphan':
      finalizers.add(ORPHAN_FINALIZER);
      finalizers.delete(FOREGROUND_FINALIZER);
      break;
    case 'Foreground':
      finalizers.add(FOREGROUND_FINALIZER);
      finalizers.delete(ORPHAN_FINALIZER);
      break;
    case 'Background':
      finalizers.delete(ORPHAN_FINALIZER);
      finalizers.delete(FOREGROUND_FINALIZER);
      break;
    default:
      break;
  }
  return finalizers;
}

/** Whether `finalizers` are exactly the object's finalizers (in any order). */
export function sameFinalizers(object: KubeObject, finalizers: ReadonlySet<string>): boolean {
  const before = object.metadata.finalizers ?? [];
  return before.length === finalizers.size && before.every((f) => finalizers.has(f));
}

/** `object` with `finalizers` as its finalizers; the field is left out when there are none. */
export function withFinalizers(object: KubeObject, finalizers: ReadonlySet<string>): KubeObject {
  const { finalizers: _old, ...metadata } = object.metadata;
  return { ...object, metadata: finalizers.size > 0 ? { ...metadata, finalizers: [...finalizers] } : metadata };
}

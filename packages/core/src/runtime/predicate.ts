/**
 * Predicates: which informer events are worth a reconcile (controller-runtime's
 * `pkg/predicate`). A predicate only filters; mapping an event to request keys is the
 * handler's job.
 *
 * ## Resyncs pass
 *
 * A resync delivers every cached object as `update` with `old === object`. It is not a change,
 * it is the level-triggered repair loop, so every *change* predicate here
 * ({@link generationChanged}, {@link labelsChanged}, {@link annotationsChanged},
 * {@link resourceVersionChanged}) lets it through. A custom predicate sees the resync as it is
 * and decides for itself ({@link isResync} tells it apart).
 *
 * @example
 * ```ts
 * controllerFor(manager, Deployments)
 *   .for(Deployments, { predicates: [or(generationChanged, labelsChanged)] })
 *   .complete(reconciler);
 * ```
 *
 * @module
 */
import type { KubeObject } from '../api/meta.js';
import type { InformerEvent } from '../informer/store.js';

/**
 * Decides whether an informer event should reach the handler. Must be pure, fast and must not
 * throw (it runs on the informer's delivery path).
 */
export type Predicate<T extends KubeObject = KubeObject> = (event: InformerEvent<T>) => boolean;

/** Whether an event is a resync (an `update` whose `old` is the very same object). */
export function isResync<T extends KubeObject>(event: InformerEvent<T>): boolean {
  return event.type === 'update' && event.old === event.object;
}

/**
 * A predicate from one function per event type (controller-runtime's `predicate.Funcs`); a
 * missing function lets its events through.
 */
export function predicateFuncs<T extends KubeObject = KubeObject>(funcs: {
  readonly create?: (object: T) => boolean;
  readonly update?: (old: T, object: T) => boolean;
  readonly delete?: (object: T, tombstone: boolean) => boolean;
}): Predicate<T> {
  return (event) => {
    switch (event.type) {
      case 'add':
        return funcs.create?.(event.object) ?? true;
      case 'update':
        return funcs.update?.(event.old, event.object) ?? true;
      case 'delete':
        return funcs.delete?.(event.object, event.tombstone === true) ?? true;
    }
  };
}

/** An update predicate that lets adds, deletes and resyncs through. */
function onUpdate(changed: (old: KubeObject, object: KubeObject) => boolean): Predicate {
  return (event) => event.type !== 'update' || event.old === event.object || changed(event.old, event.object);
}

/**
 * Passes updates whose `metadata.generation` changed, i.e. spec changes; drops status-only and
 * metadata-only writes (controller-runtime's `GenerationChangedPredicate`). Adds, deletes and
 * resyncs pass.
 *
 * Caveats: kinds whose generation is never set (both undefined) are treated as unchanged, so
 * every update of them is dropped; as upstream, combine with {@link labelsChanged} or
 * {@link annotationsChanged} when those matter.
 */
export const generationChanged: Predicate = onUpdate((old, object) => old.metadata.generation !== object.metadata.generation);

/** Passes updates whose `metadata.labels` changed (controller-runtime's `LabelChangedPredicate`). */
export const labelsChanged: Predicate = onUpdate((old, object) => !sameRecord(old.metadata.labels, object.metadata.labels));

/** Passes updates whose `metadata.annotations` changed (`AnnotationChangedPredicate`). */
export const annotationsChanged: Predicate = onUpdate(
  (old, object) => !sameRecord(old.metadata.annotations, object.metadata.annotations),
);

/** Passes updates whose `metadata.resourceVersion` changed (`ResourceVersionChangedPredicate`). */
export const resourceVersionChanged: Predicate = onUpdate(
  (old, object) => old.metadata.resourceVersion !== object.metadata.resourceVersion,
);

/** Passes an event when every predicate does (true for none). */
export function and<T extends KubeObject>(...predicates: readonly Predicate<T>[]): Predicate<T> {
  return (event) => predicates.every((p) => p(event));
}

/** Passes an event when at least one predicate does (false for none). */
export function or<T extends KubeObject>(...predicates: readonly Predicate<T>[]): Predicate<T> {
  return (event) => predicates.some((p) => p(event));
}

/** Passes an event when `predicate` does not. Note: `not(generationChanged)` drops resyncs. */
export function not<T extends KubeObject>(predicate: Predicate<T>): Predicate<T> {
  return (event) => !predicate(event);
}

function sameRecord(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (a![k] !== b?.[k]) return false;
  return true;
}

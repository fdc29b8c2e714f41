/**
 * Informers: watcher → reflector → indexed cache, with handler events and a shared factory.
 *
 * - {@link watcher}: list then watch, forever, as an explicit state machine ({@link watcherStep}).
 * - {@link CacheWriter} / {@link CacheReader} / {@link reflector}: the cache, one writer, many readers.
 * - {@link Informer}: the three assembled, with handler events, resync and catch-up.
 * - {@link SharedInformerFactory}: one informer per resource and selection per process.
 *
 * @module
 */

// The watcher
// `step` is exported as `watcherStep`: at the package root a bare `step` would say nothing.
export { watcher, step as watcherStep, initialWatcherState, backoffDelay, isExpired } from './watcher.js';
export type { WatcherEvent, WatcherState, WatcherInput, WatcherOutput, WatcherOptions, BackoffPolicy } from './watcher.js';

// The cache
export { CacheWriter, reflector, NAMESPACE_INDEX, CONTROLLER_UID_INDEX, LABEL_INDEX, orphanIndexKey } from './store.js';
export type { CacheReader, CacheOptions, IndexFunc, InformerEvent } from './store.js';

// The informer and its factory
export { Informer } from './informer.js';
export type { InformerOptions } from './informer.js';
export { SharedInformerFactory } from './factory.js';
export type { SharedInformerFactoryOptions, InformerSelection } from './factory.js';

// Errors
export { InformerError } from './errors.js';
export type { InformerErrorCode } from './errors.js';

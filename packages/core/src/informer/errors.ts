/**
 * The one error type of the informer module.
 *
 * @module
 */

/**
 * Why an informer operation was refused:
 * - `indexer-conflict`: an indexer with that name is already registered (built-in names
 *   included);
 * - `indexer-after-start`: indexers must be registered before the cache receives its first
 *   event;
 * - `unknown-index`: `byIndex` was asked for an index that is not registered;
 * - `stopped`: the informer (or factory) was stopped and cannot be started again.
 */
export type InformerErrorCode = 'indexer-conflict' | 'indexer-after-start' | 'unknown-index' | 'stopped';

/**
 * A misuse of an informer, cache or factory. These are programming errors, thrown
 * synchronously; failures of the API server never surface as an `InformerError` (the watcher
 * retries them).
 */
export class InformerError extends Error {
  /** What went wrong. */
  readonly code: InformerErrorCode;

  constructor(code: InformerErrorCode, message: string) {
    super(message);
    this.name = 'InformerError';
    this.code = code;
  }
}

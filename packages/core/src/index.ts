/**
 * @kubeloop/core — the API machinery: object model and schemas, the in-memory API server,
 * the client, informers, the workqueue, the controller runtime, the clock and the plugin API.
 *
 * @packageDocumentation
 */
export * from './api/errors.js';
export * from './api/meta.js';
export * from './api/registry.js';
export * from './api/validation.js';
export * from './clock/clock.js';
export * from './rng/rng.js';
export * from './client/types.js';
export * from './runtime/reconciler.js';

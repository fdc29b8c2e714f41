/**
 * @kubeloop/core/testing — test support for code built on kubeloop's core: small custom kinds,
 * an API server on a virtual clock, a fake {@link Client} with fault injection, and the run
 * counts of property tests. Not part of the package root: import it from
 * `@kubeloop/core/testing`.
 *
 * Deliberately not in the generated API reference (the package's `typedoc.json` documents only
 * `src/index.ts`): the reference is for building controllers; these are fakes and fixtures for
 * tests, documented here in their TSDoc.
 *
 * @packageDocumentation
 */

// An API server with custom kinds, for controller-runtime tests
export { GadgetSchema, Gadgets, WidgetSchema, Widgets, gadget, testCluster, widget } from './cluster.js';
export type { Gadget, TestCluster, Widget } from './cluster.js';

// A fake client for informer tests
export { FakeClient, Notes, note } from './fake-client.js';
export type { Note } from './fake-client.js';

// Kinds for the API server's own tests
export { ScalableWidgetSchema, ScalableWidgets, TestNamespaces, rejection, testRegistry } from './store-kinds.js';
export type { ScalableWidget } from './store-kinds.js';

// Run counts of property tests
export { deep, runs } from './budget.js';

// Storage backends: the contract every Storage implementation must pass, and a slow, lagging
// backend that shows what the API server must not assume of one
export { storageContract } from './storage-contract.js';
export type { StorageContractOptions } from './storage-contract.js';
export { SlowStorage, turns } from './slow-storage.js';

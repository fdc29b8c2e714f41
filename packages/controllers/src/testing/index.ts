/**
 * @kubeloop/controllers/testing — test support for the reference controllers: terse builders
 * of nodes and pods with the API server's defaults applied. Not part of the package root:
 * import it from `@kubeloop/controllers/testing`.
 *
 * Deliberately not in the generated API reference (the package's `typedoc.json` documents only
 * `src/index.ts`): the reference is for building controllers; these are fakes and fixtures for
 * tests, documented here in their TSDoc.
 *
 * @packageDocumentation
 */

// Nodes and pods
export { makeNode, makePod } from './fixtures.js';
export type { NodeSpecInput, PodSpecInput } from './fixtures.js';

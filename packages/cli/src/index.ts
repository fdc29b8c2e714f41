/**
 * @kubeloop/cli — the `kubeloop` command: run Kubernetes manifests on a simulated cluster on
 * virtual time and print the result like `kubectl get`.
 *
 * `kubeloop run` takes manifest files and directories, or one scenario file (`kind: Scenario`:
 * the cluster's shape and ordered steps; see {@link parseScenario} for the format).
 *
 * The command is a thin orchestrator over pure pieces that are exported for reuse and tests:
 * duration parsing, manifest collection and checking, and the `kubectl get`-style printer.
 *
 * @packageDocumentation
 */

// The command
export { main } from './command.js';
export { ADVANCE_STEP_MS, OUTPUT_FORMATS, formatState, run } from './run.js';
export type { OutputFormat, RunOptions } from './run.js';
export type { CliIo, Writer } from './io.js';

// Manifests
export { InputError, MANIFEST_EXTENSIONS, checkManifests, collectManifestFiles, loadManifestFiles, nodeFs, readManifestFile } from './manifests.js';
export type { ManifestFile, ManifestFs } from './manifests.js';

// Scenarios
export { isScenario, parseScenario } from './scenario.js';
export type { Scenario, ScenarioStep, StepTarget } from './scenario.js';

// Durations and tables
export { humanDuration } from './duration.js';
export { KINDS_NOT_TABULATED, buildTables, formatTables, jobCompletions, jobStatus, nodeStatus, ownerOf, podStatus } from './table.js';
export type { Table, TableOptions } from './table.js';

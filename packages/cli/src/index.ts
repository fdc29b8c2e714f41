/**
 * @kubeloop/cli — the `kubeloop` command: run Kubernetes manifests on a simulated cluster on
 * virtual time and print the result like `kubectl get`.
 *
 * `kubeloop run` takes manifest files and directories, or one scenario file (`kind: Scenario`:
 * the cluster's shape and ordered steps; see {@link parseScenario} for the format).
 *
 * The command is a thin orchestrator over pure pieces; the scenario format and the
 * `kubectl get`-style printer are exported for reuse.
 *
 * @packageDocumentation
 */

// The command
export { main } from './command.js';
export { OUTPUT_FORMATS, formatState, run } from './run.js';
export type { OutputFormat, RunOptions } from './run.js';
export type { CliIo, Writer } from './io.js';
export { InputError, nodeFs } from './manifests.js';
export type { ManifestFs } from './manifests.js';

// Scenarios
export { isScenario, parseScenario } from './scenario.js';
export type { Scenario, ScenarioStep, StepTarget } from './scenario.js';

// The `kubectl get`-style printer
export { KINDS_NOT_TABULATED, buildTables, formatNames, formatTables, sortEvents } from './table.js';
export type { Table, TableOptions } from './table.js';
export { DEFAULT_PRINTER, PRINTERS, nodeStatus, podStatus, printerFor } from './printers.js';
export type { KindPrinter, PrintContext, TableCell, TableColumnDefinition } from './printers.js';

// `kubeloop serve`: the simulated cluster as a Kubernetes API endpoint for kubectl
export { SERVED_KUBERNETES_VERSION, kubeconfigFor, startServe } from './serve/serve.js';
export type { RunningServe, ServeOptions } from './serve/serve.js';
export { ApiHandler, MAX_REQUEST_BODY_BYTES } from './serve/handler.js';
export type { ApiHandlerOptions, VersionInfo } from './serve/handler.js';
export type { CreateOnlyResource } from './serve/discovery.js';
export type { PodLogLine, PodLogSource } from './serve/log.js';
export type { PodExecSource } from './serve/exec.js';
export { PROMETHEUS_TEXT, nodeProxy } from './serve/node-proxy.js';
export type { KubeletSource, ProxiedKubelet, ProxyReply } from './serve/node-proxy.js';
export { ADMIN_USER, ApiAuth, REVIEW_RESOURCES, SERVICE_ACCOUNT_ISSUER, TOKEN_REQUEST_DEFAULT_SECONDS, TokenFileError, parseTokenAuthFile, requestAttributes } from './serve/auth.js';
export type { ApiAuthOptions, GateReply } from './serve/auth.js';

/**
 * @kubeloop/testing — testing kubeloop controllers against a whole simulated cluster.
 *
 * So far: {@link SimCluster}, an in-memory cluster (API server, kube-scheduler, fake nodes and
 * your plugins) on a virtual clock, with `apply`, `advance`, `settle`, node faults and an
 * ordered, deterministic trace of every change.
 *
 * @packageDocumentation
 */

// The simulated cluster
export { DEFAULT_CONTROLLER_PLUGINS, DEFAULT_QUIET_MS, DEFAULT_SETTLE_MAX_MS, SETTLE_PROGRESS_STEP_MS, SimCluster } from './sim/cluster.js';
export type { ApplyInput, ControllerManagerOptions, NodeSpec, SettleOptions, SimClusterOptions } from './sim/cluster.js';
export { SimClusterError } from './sim/errors.js';
export type { SimClusterErrorCode } from './sim/errors.js';

// What "quiet" means, and the trace
export { describeBusy, isHeartbeat, podSettled, podState } from './sim/quiet.js';
export type { BusyReport } from './sim/quiet.js';
export type { TraceEntry } from './sim/trace.js';

// Faults
export { expireWatches } from './faults/watch.js';

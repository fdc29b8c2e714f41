/**
 * What the Cluster Autoscaler knows of its node groups' health between loops (upstream
 * `clusterstate.ClusterStateRegistry` and `utils/backoff`), as pure functions over plain data:
 * the readiness of each group's machines (ready, not started, unready, unregistered, long
 * unregistered), whether a group is healthy, and the exponential back-off a group gets after a
 * failed scale-up.
 *
 * @module
 */
import type { Node } from '@kubeloop/core';
import { parseTime } from '@kubeloop/core';

/** Upstream's `--max-node-provision-time` default: 15 min for a machine asked for to register. */
export const DEFAULT_MAX_NODE_PROVISION_MS = 15 * 60_000;
/** Upstream's `MaxNodeStartupTime`: a registered node NotReady for less than this since its creation is "not started", not unready. */
export const MAX_NODE_STARTUP_MS = 15 * 60_000;
/** Upstream's `--initial-node-group-backoff-duration` default: 5 min. */
export const DEFAULT_INITIAL_NODE_GROUP_BACKOFF_MS = 5 * 60_000;
/** Upstream's `--max-node-group-backoff-duration` default: 30 min. */
export const DEFAULT_MAX_NODE_GROUP_BACKOFF_MS = 30 * 60_000;
/** Upstream's `--node-group-backoff-reset-timeout` default: 3 h after the last failure the back-off starts over. */
export const DEFAULT_NODE_GROUP_BACKOFF_RESET_MS = 3 * 60 * 60_000;
/** Upstream's `--ok-total-unready-count` default. */
export const DEFAULT_OK_TOTAL_UNREADY_COUNT = 3;
/** Upstream's `--max-total-unready-percentage` default. */
export const DEFAULT_MAX_TOTAL_UNREADY_PERCENTAGE = 45;

/** Upstream's skipped-group reason for a group in back-off (`BackoffReason`). */
export const BACKOFF_REASON = 'in backoff after failed scale-up';
/** Upstream's skipped-group reason for an unhealthy group (`NotReadyReason`). */
export const NOT_READY_REASON = 'not ready for scale-up';

// ─── Back-off ───────────────────────────────────────────────────────────────

/** Why a group is backed off (upstream `cloudprovider.InstanceErrorInfo`, as the status shows it). */
export interface BackoffError {
  /** E.g. `timeout` for machines that did not register within the provision time. */
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** A group's back-off (upstream `exponentialBackoffInfo`). */
export interface BackoffEntry extends BackoffError {
  /** The length of the current back-off. */
  readonly durationMs: number;
  /** Scale-up of the group is off until then (exclusive). */
  readonly untilMs: number;
  /** When the last failure was registered. */
  readonly lastFailedMs: number;
}

/** The back-off's durations (upstream flags). */
export interface BackoffConfig {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
}

/**
 * A failed scale-up of a group at `now` (upstream `exponentialBackoff.Backoff`): the first
 * failure backs the group off for `initialMs`; a failure after the back-off ran out doubles the
 * last duration, up to `maxMs`; a failure while still backed off (concurrent scale-ups failing)
 * starts over at `initialMs`, as upstream's code does. With the defaults: 5, 10, 20, 30, 30 min.
 */
export function backoffGroup(previous: BackoffEntry | undefined, now: number, config: BackoffConfig, error: BackoffError): BackoffEntry {
  let durationMs = config.initialMs;
  if (previous !== undefined && previous.untilMs < now) durationMs = Math.min(2 * previous.durationMs, config.maxMs);
  return { durationMs, untilMs: now + durationMs, lastFailedMs: now, ...error };
}

/** Whether `entry` keeps the group from scaling up at `now` (upstream `IsBackedOff`). */
export function isBackedOff(entry: BackoffEntry | undefined, now: number): boolean {
  return entry !== undefined && entry.untilMs > now;
}

/** Whether the entry is stale at `now`: its last failure is older than the reset timeout (upstream `RemoveStaleBackoffData`). */
export function isStaleBackoff(entry: BackoffEntry, now: number, config: BackoffConfig): boolean {
  return entry.lastFailedMs + config.resetMs < now;
}

// ─── Readiness ──────────────────────────────────────────────────────────────

/** Whether a Node's Ready condition is True. */
export function isNodeReady(node: Node): boolean {
  return (node.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** How a group's machines stand (upstream `clusterstate.Readiness`, as names). */
export interface Readiness {
  readonly ready: readonly string[];
  /** Registered, NotReady, created less than {@link MAX_NODE_STARTUP_MS} ago. */
  readonly notStarted: readonly string[];
  /** Registered, NotReady, older than that: broke down after starting. */
  readonly unready: readonly string[];
  /** Machines of the cloud without a Node, for less than the provision time. */
  readonly unregistered: readonly string[];
  /** Machines of the cloud without a Node for longer than the provision time. */
  readonly longUnregistered: readonly string[];
}

/**
 * Classifies a group's machines at `now` (upstream `updateReadinessStats`): each registered
 * Node as ready, not started or unready; each machine without a Node as unregistered or, once
 * `unregisteredSince` + `maxNodeProvisionMs` has passed, long unregistered.
 */
export function groupReadiness(machines: readonly string[], nodes: ReadonlyMap<string, Node>, unregisteredSince: ReadonlyMap<string, number>, now: number, maxNodeProvisionMs: number): Readiness {
  const r = { ready: [] as string[], notStarted: [] as string[], unready: [] as string[], unregistered: [] as string[], longUnregistered: [] as string[] };
  for (const name of machines) {
    const node = nodes.get(name);
    if (node === undefined) {
      const since = unregisteredSince.get(name) ?? now;
      (since + maxNodeProvisionMs < now ? r.longUnregistered : r.unregistered).push(name);
      continue;
    }
    if (isNodeReady(node)) r.ready.push(name);
    else if (parseTime(node.metadata.creationTimestamp ?? '') + MAX_NODE_STARTUP_MS > now) r.notStarted.push(name);
    else r.unready.push(name);
  }
  return r;
}

/** The machines registered and started (upstream `provisioned` = registered − not started). */
export function provisioned(r: Readiness): number {
  return r.ready.length + r.unready.length;
}

/**
 * Whether a group is healthy (upstream `IsNodeGroupHealthy`): the nodes missing from what it
 * should have ready — target size, less long-unregistered machines and the machines of a
 * scale-up in progress — are within the tolerated count (3) or percentage (45 %) of its
 * registered nodes.
 *
 * Worked example: target 5, none long unregistered, no scale-up in progress, 1 ready: 4
 * unjustified unready > 3 and > 45 % of 1: unhealthy.
 */
export function isGroupHealthy(r: Readiness, targetSize: number, scaleUpIncrease: number, okUnready = DEFAULT_OK_TOTAL_UNREADY_COUNT, maxUnreadyPercentage = DEFAULT_MAX_TOTAL_UNREADY_PERCENTAGE): boolean {
  const minNodes = targetSize - r.longUnregistered.length - scaleUpIncrease;
  const registered = r.ready.length + r.unready.length + r.notStarted.length;
  if (registered === 0) return true; // no nodes yet: target 0 or scaling up from 0
  const unjustified = Math.max(0, minNodes - r.ready.length);
  return !(unjustified > okUnready && unjustified > (maxUnreadyPercentage / 100) * registered);
}

/** A duration as Go's `time.Duration` prints it: `15m0s`, `1h2m3s`, `45s`, `1.5s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

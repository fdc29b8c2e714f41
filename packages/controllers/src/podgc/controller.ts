/**
 * The pod garbage collector (upstream `pkg/controller/podgc`): a periodic pass that
 * force-deletes pods nobody else will ever finish deleting — pods bound to a node that no
 * longer exists, terminating pods on out-of-service nodes, terminating pods that were never
 * scheduled — and the oldest finished pods beyond the threshold.
 *
 * @module
 */
import { Nodes, Pods, formatTime, isApiError, objectKey } from '@kubeloop/core';
import type { Manager, Pod, Runnable } from '@kubeloop/core';
import {
  DEFAULT_TERMINATED_POD_GC_THRESHOLD,
  POD_GC_CHECK_PERIOD_MS,
  POD_GC_QUARANTINE_MS,
  failedStatus,
  podsOnMissingNodes,
  terminatedToDelete,
  terminatingOnOutOfServiceNodes,
  unscheduledTerminating,
} from './decide.js';

/** Options of the pod garbage collector, named after kube-controller-manager's flags. */
export interface PodGcOptions {
  /** `--terminated-pod-gc-threshold` (default 12 500; 0 disables collecting finished pods). */
  readonly terminatedPodGcThreshold?: number | undefined;
  /** How often a pass runs, ms (default 20 000, upstream's `gcCheckPeriod`). */
  readonly checkPeriodMs?: number | undefined;
  /** How long a node must be missing before its pods go, ms (default 40 000, upstream's `quarantineTime`). */
  readonly quarantineMs?: number | undefined;
}

/**
 * The pod garbage collector as a runnable on a manager (leader only, as upstream).
 *
 * Guarantees: a pod is collected for a missing node only after the node was missing from the
 * cache for the whole quarantine *and* a live read confirms it is gone, so a slow informer never
 * costs a pod; a pod that had not finished is first marked `Failed` with the
 * `DisruptionTarget` condition (reason `DeletionByPodGC`), then force-deleted (grace period 0).
 * Each pass starts over from the caches: a failed write is retried on the next pass.
 */
export class PodGarbageCollector implements Runnable {
  /** For diagnostics. */
  readonly name = 'pod-garbage-collector';
  /** Runs only on the leader. */
  readonly needLeaderElection = true;
  readonly #manager: Manager;
  readonly #threshold: number;
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  /** Node name → when the pass first found it missing. */
  readonly #missingSince = new Map<string, number>();
  #lastError: unknown;

  /** A collector on `manager`'s caches and client. */
  constructor(manager: Manager, options: PodGcOptions = {}) {
    this.#manager = manager;
    this.#threshold = options.terminatedPodGcThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.#periodMs = options.checkPeriodMs ?? POD_GC_CHECK_PERIOD_MS;
    this.#quarantineMs = options.quarantineMs ?? POD_GC_QUARANTINE_MS;
  }

  /** Runs a pass every period until `signal` aborts, once the caches have synced. */
  async start(signal: AbortSignal): Promise<void> {
    const pods = this.#manager.cache(Pods);
    const nodes = this.#manager.cache(Nodes);
    while (!signal.aborted) {
      try {
        await this.#manager.clock.sleep(this.#periodMs, signal);
      } catch {
        break;
      }
      if (!(pods.hasSynced() && nodes.hasSynced())) continue;
      try {
        await this.collect();
        this.#lastError = undefined;
      } catch (error) {
        this.#lastError = error;
      }
    }
  }

  /** The error of the last pass, if it failed. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** One pass (upstream `gc`); exposed for tests. */
  async collect(): Promise<void> {
    const pods = this.#manager.cache(Pods).list();
    const nodes = this.#manager.cache(Nodes).list();
    const now = this.#manager.clock.now();

    for (const pod of terminatedToDelete(pods, this.#threshold)) await this.#forceDelete(pod);
    for (const pod of terminatingOnOutOfServiceNodes(pods, nodes)) await this.#markAndDelete(pod, 'PodGC: node is out of service', now);

    const missing = podsOnMissingNodes(pods, nodes);
    for (const name of [...this.#missingSince.keys()]) if (!missing.has(name)) this.#missingSince.delete(name);
    for (const [node, onNode] of [...missing].sort(([a], [b]) => a.localeCompare(b))) {
      const since = this.#missingSince.get(node);
      if (since === undefined) {
        this.#missingSince.set(node, now);
        continue;
      }
      if (now - since < this.#quarantineMs) continue;
      if (await this.#nodeExists(node)) {
        this.#missingSince.delete(node);
        continue;
      }
      for (const pod of onNode) await this.#markAndDelete(pod, 'PodGC: node no longer exists', now);
    }

    for (const pod of unscheduledTerminating(pods)) await this.#forceDelete(pod);
  }

  async #nodeExists(name: string): Promise<boolean> {
    try {
      await this.#manager.client.get(Nodes, { name });
      return true;
    } catch (error) {
      if (isApiError(error, 'NotFound')) return false;
      throw error;
    }
  }

  async #markAndDelete(pod: Pod, message: string, now: number): Promise<void> {
    const status = failedStatus(pod, message, formatTime(now));
    try {
      if (status !== undefined) await this.#manager.client.updateStatus(Pods, { ...pod, status });
    } catch (error) {
      if (isApiError(error, 'NotFound')) return;
      if (!isApiError(error, 'Conflict')) throw error;
      // A conflict: someone else wrote the pod; deleting it is still right (upstream deletes anyway).
    }
    await this.#forceDelete(pod);
  }

  async #forceDelete(pod: Pod): Promise<void> {
    try {
      await this.#manager.client.delete(Pods, objectKey(pod), { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } });
    } catch (error) {
      if (isApiError(error, 'NotFound') || isApiError(error, 'Conflict')) return;
      throw error;
    }
  }
}

/**
 * Container probes as a state machine: the kubelet's prober worker, advanced by a pure
 * {@link stepProbe} with what the simulated container answered.
 *
 * @module
 */
import type { Probe } from '@kubeloop/core';
import type { ContainerBehavior } from './behavior.js';

/** The three probe kinds. */
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/** The outcome the prober reports: upstream's initial values are failure (readiness), success (liveness), unknown (startup). */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** One probe's state for one container instance. */
export interface ProbeState {
  /** The result in force. */
  readonly result: ProbeResult;
  /** Consecutive successes since the last failure. */
  readonly successes: number;
  /** Consecutive failures since the last success. */
  readonly failures: number;
  /** When the next probe runs (ms). */
  readonly nextAt: number;
}

/** The state of a new container's probe: first run after `initialDelaySeconds`. */
export function initialProbeState(kind: ProbeKind, probe: Probe, startedAt: number): ProbeState {
  const result: ProbeResult = kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
  return { result, successes: 0, failures: 0, nextAt: startedAt + (probe.initialDelaySeconds ?? 0) * 1000 };
}

/**
 * One probe run at `now` that observed `observed`: counts consecutive outcomes and flips the
 * result once `successThreshold` successes or `failureThreshold` failures are reached; the next
 * run is `periodSeconds` later.
 *
 * Guarantees: pure; the result only changes at a threshold.
 *
 * @example
 * ```ts
 * // failureThreshold 3: two failures keep a liveness probe passing, the third fails it
 * let s = initialProbeState('liveness', probe, 0);
 * s = stepProbe(s, probe, 'failure', 0); s = stepProbe(s, probe, 'failure', 10_000); // result 'success'
 * s = stepProbe(s, probe, 'failure', 20_000);                                       // result 'failure'
 * ```
 */
export function stepProbe(state: ProbeState, probe: Probe, observed: 'success' | 'failure', now: number): ProbeState {
  const nextAt = now + Math.max(1, probe.periodSeconds) * 1000;
  if (observed === 'success') {
    const successes = state.successes + 1;
    return { result: successes >= Math.max(1, probe.successThreshold) ? 'success' : state.result, successes, failures: 0, nextAt };
  }
  const failures = state.failures + 1;
  return { result: failures >= Math.max(1, probe.failureThreshold) ? 'failure' : state.result, successes: 0, failures, nextAt };
}

/**
 * What a simulated container answers to a probe `elapsedMs` after its start, by its behavior:
 * startup fails before `startupMs`, readiness fails before `notReadyForMs`, liveness fails from
 * `livenessFailAfterMs` on; everything else succeeds.
 */
export function probeAnswer(kind: ProbeKind, behavior: ContainerBehavior, elapsedMs: number): 'success' | 'failure' {
  switch (kind) {
    case 'startup':
      return elapsedMs >= (behavior.startupMs ?? 0) ? 'success' : 'failure';
    case 'readiness':
      return elapsedMs >= (behavior.notReadyForMs ?? 0) ? 'success' : 'failure';
    case 'liveness':
      return behavior.livenessFailAfterMs !== undefined && elapsedMs >= behavior.livenessFailAfterMs ? 'failure' : 'success';
  }
}

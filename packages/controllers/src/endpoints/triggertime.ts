/**
 * The trigger time tracker (upstream `pkg/controller/util/endpoint.TriggerTimeTracker`): when
 * did the earliest change that a sync of a Service is about to publish happen? That time goes
 * into the `endpoints.kubernetes.io/last-change-trigger-time` annotation, from which upstream
 * measures network programming latency.
 *
 * @module
 */
import { parseTime } from '@kubeloop/core';
import type { Pod, Service } from '@kubeloop/core';
import { podReadyCondition } from '../shared/index.js';

interface ServiceState {
  /** The trigger time of each pod (by name) seen at the last sync. */
  readonly pods: ReadonlyMap<string, number>;
  /** The Service's trigger time at the last sync. */
  readonly service: number | undefined;
}

/** A pod's trigger time: its `Ready` condition's `lastTransitionTime` (ms), if any. */
export function podTriggerTime(pod: Pod): number | undefined {
  const t = podReadyCondition(pod)?.lastTransitionTime;
  return t === undefined || t === null || t === '' ? undefined : parseTime(t);
}

/** A Service's trigger time: its `creationTimestamp` (ms), if any. */
export function serviceTriggerTime(service: Service): number | undefined {
  const t = service.metadata.creationTimestamp;
  return t === undefined || t === null || t === '' ? undefined : parseTime(t);
}

/**
 * Remembers, per Service, the trigger times seen at its last sync, and tells each new sync the
 * earliest trigger time that changed since (upstream `ComputeEndpointLastChangeTriggerTime`):
 * a pod whose Ready condition moved, a new pod, or a new Service. Undefined when nothing with
 * a trigger time changed (e.g. only a pod was deleted): the annotation is then removed.
 *
 * Guarantees: one instance per controller; keyed by `namespace/name`. Not thread-shared state
 * in any sense that matters here — reconciles of one Service never overlap.
 */
export class TriggerTimeTracker {
  readonly #states = new Map<string, ServiceState>();

  /** The earliest changed trigger time for this sync of `service` over its selected `pods`. */
  compute(key: string, service: Service, pods: readonly Pod[]): number | undefined {
    const old = this.#states.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      podTimes.set(pod.metadata.name ?? '', t);
      const before = old?.pods.get(pod.metadata.name ?? '');
      if (before === undefined || t > before) min = min === undefined ? t : Math.min(min, t);
    }
    const st = serviceTriggerTime(service);
    if (st !== undefined && (old?.service === undefined || st > old.service)) min = min === undefined ? st : Math.min(min, st);
    this.#states.set(key, { pods: podTimes, service: st });
    return min;
  }

  /** Forgets a deleted Service. */
  delete(key: string): void {
    this.#states.delete(key);
  }
}

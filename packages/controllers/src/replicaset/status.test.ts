/**
 * The ReplicaSet status, pinned by worked examples against upstream's `calculateReplicaStatus` and
 * `updateReplicaSetStatus` (`replica_set_utils.go`).
 */
import { describe, expect, it } from 'vitest';
import { PodSchema, formatTime } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { FAILED_CREATE, FAILED_DELETE, REPLICA_FAILURE, calculateReplicaStatus, nextAvailabilityCheck, replicaStatusUpToDate } from './status.js';
import type { StatusInput } from './status.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function pod(name: string, labels: Record<string, string>, readyAt?: number): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels },
    spec: { containers: [{ name: 'app', image: 'nginx' }], nodeName: 'n1' },
    status: { phase: 'Running', ...(readyAt === undefined ? {} : { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(readyAt) }] }) },
  });
}

const input = (o: Partial<StatusInput> = {}): StatusInput => ({
  status: { replicas: 0 },
  replicas: 3,
  minReadySeconds: 0,
  templateLabels: { app: 'web', tier: 'fe' },
  ...o,
});

describe('calculateReplicaStatus (upstream calculateReplicaStatus)', () => {
  it('counts replicas, fully labeled, ready and available pods (the worked example)', () => {
    const pods = [pod('a', { app: 'web', tier: 'fe' }, NOW - 50_000), pod('b', { app: 'web' }, NOW - 5_000), pod('c', { app: 'web', tier: 'fe', extra: 'x' })];
    const status = calculateReplicaStatus(input({ minReadySeconds: 10 }), pods, undefined, NOW);
    expect(status).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 });
    expect(nextAvailabilityCheck(pods, 10, NOW)).toBe(5_001);
  });

  it.each([
    { minReadySeconds: 0, readyFor: 0, available: 1 },
    { minReadySeconds: 10, readyFor: 9_000, available: 0 },
    { minReadySeconds: 10, readyFor: 10_000, available: 0 }, // strictly more than minReadySeconds
    { minReadySeconds: 10, readyFor: 11_000, available: 1 },
  ])('minReadySeconds $minReadySeconds, ready for $readyFor ms → $available available', ({ minReadySeconds, readyFor, available }) => {
    const status = calculateReplicaStatus(input({ minReadySeconds, replicas: 1 }), [pod('a', { app: 'web', tier: 'fe' }, NOW - readyFor)], undefined, NOW);
    expect(status.availableReplicas).toBe(available);
    expect(status.readyReplicas).toBe(1);
  });

  it('adds ReplicaFailure FailedCreate with the error as message when creates failed (fewer pods than replicas)', () => {
    const status = calculateReplicaStatus(input(), [pod('a', { app: 'web' })], new Error('pods "web-x" is forbidden: exceeded quota: pods'), NOW);
    expect(status.conditions).toEqual([{ type: REPLICA_FAILURE, status: 'True', reason: FAILED_CREATE, message: 'pods "web-x" is forbidden: exceeded quota: pods', lastTransitionTime: formatTime(NOW) }]);
  });

  it('adds ReplicaFailure FailedDelete when deletes failed (more pods than replicas)', () => {
    const pods = [pod('a', {}), pod('b', {})];
    const status = calculateReplicaStatus(input({ replicas: 1 }), pods, new Error('boom'), NOW);
    expect(status.conditions?.[0]).toMatchObject({ type: REPLICA_FAILURE, reason: FAILED_DELETE, message: 'boom' });
  });

  it('leaves an existing ReplicaFailure alone while failures go on (upstream sets it only when absent)', () => {
    const existing = { type: REPLICA_FAILURE, status: 'True' as const, reason: FAILED_CREATE, message: 'first', lastTransitionTime: formatTime(NOW - 60_000) };
    const status = calculateReplicaStatus(input({ status: { replicas: 1, conditions: [existing] } }), [pod('a', {})], new Error('second'), NOW);
    expect(status.conditions).toEqual([existing]);
  });

  it('removes ReplicaFailure after a sync without errors, keeping other conditions', () => {
    const other = { type: 'Other', status: 'True' as const };
    const failure = { type: REPLICA_FAILURE, status: 'True' as const, reason: FAILED_CREATE };
    const status = calculateReplicaStatus(input({ status: { replicas: 1, conditions: [other, failure] } }), [], undefined, NOW);
    expect(status.conditions).toEqual([other]);
  });

  it('keeps observedGeneration as it was (it is set when writing)', () => {
    expect(calculateReplicaStatus(input({ status: { replicas: 2, observedGeneration: 4 } }), [], undefined, NOW).observedGeneration).toBe(4);
  });
});

describe('replicaStatusUpToDate (upstream updateReplicaSetStatus skips the write)', () => {
  const current = { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 3 };
  it.each([
    { name: 'nothing changed', next: { ...current }, generation: 3, upToDate: true },
    { name: 'a new generation', next: { ...current }, generation: 4, upToDate: false },
    { name: 'readyReplicas changed', next: { ...current, readyReplicas: 2 }, generation: 3, upToDate: false },
    { name: 'availableReplicas changed', next: { ...current, availableReplicas: 0 }, generation: 3, upToDate: false },
    { name: 'fullyLabeledReplicas changed', next: { ...current, fullyLabeledReplicas: 1 }, generation: 3, upToDate: false },
    { name: 'a condition appeared', next: { ...current, conditions: [{ type: REPLICA_FAILURE, status: 'True' as const }] }, generation: 3, upToDate: false },
  ])('$name → up to date: $upToDate', ({ next, generation, upToDate }) => {
    expect(replicaStatusUpToDate(current, next, generation)).toBe(upToDate);
  });
});

describe('nextAvailabilityCheck', () => {
  it('is the soonest time a ready pod becomes available, none when minReadySeconds is 0 or none waits', () => {
    const pods = [pod('a', {}, NOW - 2_000), pod('b', {}, NOW - 8_000), pod('c', {}), pod('d', {}, NOW - 60_000)];
    expect(nextAvailabilityCheck(pods, 10, NOW)).toBe(2_001);
    expect(nextAvailabilityCheck(pods, 0, NOW)).toBeUndefined();
    expect(nextAvailabilityCheck([pod('d', {}, NOW - 60_000)], 10, NOW)).toBeUndefined();
  });
});

/**
 * The Deployment invariants on hand-built states: each holds on a healthy state and names the
 * Deployment and the numbers when broken.
 */
import { describe, expect, it } from 'vitest';
import { clusterState, formatRef, parseTime } from '@kubeloop/core';
import type { Deployment, Pod, ReplicaSet } from '@kubeloop/core';
import {
  conditionTransitions,
  conditionsAfterSettle,
  historyCleanupOldestFirstInvariant,
  noNewReplicaSetWhilePausedInvariant,
  podTemplateHashConsistent,
  proportionalScaling,
  replicaSetAnnotationsAfterSettle,
  revisionChanges,
  revisionHistoryKept,
  rolloutBounds,
  singleActiveReplicaSetAfterSettle,
  statusMatches,
} from './invariants.js';
import type { DeploymentState } from './invariants.js';

const template = (version: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: `nginx:${version}` }] } });

function dep(replicas: number, version = '1', status: Deployment['status'] = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: template(version),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status,
  } as unknown as Deployment;
}

function rs(name: string, replicas: number, version: string, ready = replicas): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true }] },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { ...template(version), metadata: { labels: { app: 'web', 'pod-template-hash': name } } } },
    status: { replicas, readyReplicas: ready, availableReplicas: ready },
  } as unknown as ReplicaSet;
}

function pods(owner: string, count: number, ready: boolean): Pod[] {
  return Array.from(
    { length: count },
    (_, i) =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${owner}-${i}`, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] },
        spec: { containers: [] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
      }) as unknown as Pod,
  );
}

const state = (deployments: Deployment[], replicaSets: ReplicaSet[], podList: Pod[]): DeploymentState => ({ deployments, replicaSets, pods: podList, nowMs: 0 });

describe('rolloutBounds', () => {
  it('holds at 4 replicas with maxSurge 1 / maxUnavailable 1: 5 pods, 3 available', () => {
    expect(rolloutBounds(state([dep(4, '2')], [rs('a', 3, '1'), rs('b', 2, '2', 0)], [...pods('a', 3, true), ...pods('b', 2, false)]))).toEqual([]);
  });
  it('names the Deployment with 6 pods (> 4 + 1) and 2 available (< 4 − 1)', () => {
    const v = rolloutBounds(state([dep(4, '2')], [rs('a', 2, '1'), rs('b', 4, '2', 0)], [...pods('a', 2, true), ...pods('b', 4, false)]));
    expect(v.map((x) => [formatRef(x.objects[0]!), x.message])).toEqual([
      ['Deployment default/web', '6 active pods, more than replicas 4 + maxSurge 1'],
      ['Deployment default/web', '2 available pods, fewer than replicas 4 − maxUnavailable 1'],
    ]);
  });
});

describe('rolloutBounds counting ready pods', () => {
  // minReadySeconds 10, 4 replicas, maxUnavailable 1; now is 5 s after the new pods became ready.
  const slow = { ...dep(4, '2'), spec: { ...dep(4, '2').spec, minReadySeconds: 10 } } as Deployment;
  const readySince = (list: Pod[], time: string) => list.map((p) => ({ ...p, status: { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: time }] } }) as Pod);
  const podList = [...readySince(pods('a', 2, true), '2026-01-01T00:00:00Z'), ...readySince(pods('b', 2, true), '2026-01-01T00:01:00Z')];
  const at = { ...state([slow], [rs('a', 2, '1'), rs('b', 2, '2')], podList), nowMs: parseTime('2026-01-01T00:01:05Z') };
  it('counts available pods by default: 2 of 4 pods have been ready for 10 s, fewer than 4 − 1', () => {
    expect(rolloutBounds(at).map((v) => v.message)).toEqual(['2 available pods, fewer than replicas 4 − maxUnavailable 1']);
  });
  it('counts ready pods with availabilityCounts: ready, as upstream keeps the bound mid-rollout: 4 ready pods', () => {
    expect(rolloutBounds(at, { availabilityCounts: 'ready' })).toEqual([]);
    const oneReady = { ...at, pods: [podList[0]!, ...pods('b', 3, false)] };
    expect(rolloutBounds(oneReady, { availabilityCounts: 'ready' }).map((v) => v.message)).toEqual(['1 ready pods, fewer than replicas 4 − maxUnavailable 1']);
  });
});

describe('singleActiveReplicaSetAfterSettle', () => {
  it('holds with one ReplicaSet at the latest template owning all pods', () => {
    expect(singleActiveReplicaSetAfterSettle(state([dep(2, '2')], [rs('a', 0, '1'), rs('b', 2, '2')], pods('b', 2, true)))).toEqual([]);
  });
  it('names two ReplicaSets with pods, and a ReplicaSet with pods at an old template', () => {
    expect(singleActiveReplicaSetAfterSettle(state([dep(2, '2')], [rs('a', 1, '1'), rs('b', 1, '2')], [...pods('a', 1, true), ...pods('b', 1, true)]))[0]?.message).toBe(
      '2 ReplicaSets with pods (a, b), 2 with replicas > 0',
    );
    expect(singleActiveReplicaSetAfterSettle(state([dep(2, '2')], [rs('a', 2, '1')], pods('a', 2, true)))[0]?.message).toBe("ReplicaSet a with pods is not at the Deployment's template");
  });
});

describe('statusMatches', () => {
  it("holds when the status adds up the ReplicaSets' and names each field that does not", () => {
    const good = { observedGeneration: 1, replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 };
    expect(statusMatches(state([dep(3, '2', good)], [rs('a', 1, '1'), rs('b', 2, '2')], []))).toEqual([]);
    const bad = statusMatches(state([dep(3, '2', { ...good, updatedReplicas: 3, observedGeneration: 0 })], [rs('a', 1, '1'), rs('b', 2, '2')], []));
    expect(bad.map((v) => v.message)).toEqual(['status.observedGeneration is 0, expected 1', 'status.updatedReplicas is 3, expected 2']);
  });
});

describe('conditionsAfterSettle', () => {
  const complete = { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 };
  const available = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' } as const;
  const done = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' } as const;
  const withConditions = (d: Deployment, conditions: object[], spec: object = {}) => ({ ...d, spec: { ...d.spec, ...spec }, status: { ...d.status, conditions } }) as unknown as Deployment;
  const check = (d: Deployment) => conditionsAfterSettle(state([d], [rs('b', 3, '2')], [])).map((v) => v.message);

  it('holds on a complete rollout: Available True, Progressing NewReplicaSetAvailable', () => {
    expect(check(withConditions(dep(3, '2', complete), [available, done]))).toEqual([]);
  });
  it('names an Available condition that disagrees with replicas − maxUnavailable (3 − 1 = 2, 1 available)', () => {
    const d = withConditions(dep(3, '2', { ...complete, availableReplicas: 1 }), [available, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }]);
    expect(check(d)).toEqual(['Deployment default/web has Available condition Available True MinimumReplicasAvailable at 1 available of 3 (maxUnavailable 1), expected False MinimumReplicasUnavailable']);
  });
  it('asks for ProgressDeadlineExceeded on an incomplete rollout, DeploymentPaused when paused, and nothing without a deadline', () => {
    const stuck = withConditions(dep(3, '2', { ...complete, updatedReplicas: 2 }), [available, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }]);
    expect(check(stuck)).toEqual(['Deployment default/web has Progressing condition Progressing True ReplicaSetUpdated, expected Progressing False ProgressDeadlineExceeded']);
    expect(check(withConditions(dep(3, '2', complete), [available, done], { paused: true }))).toEqual([
      'Deployment default/web has Progressing condition Progressing True NewReplicaSetAvailable, expected Progressing Unknown DeploymentPaused',
    ]);
    expect(check(withConditions(dep(3, '2', complete), [available, done], { progressDeadlineSeconds: 2_147_483_647 }))).toEqual([
      'Deployment default/web has Progressing condition Progressing True NewReplicaSetAvailable, expected none',
    ]);
    // Paused, then the deadline removed: upstream keeps the DeploymentPaused condition while paused.
    const pausedCondition = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused' };
    expect(check(withConditions(dep(3, '2', complete), [available, pausedCondition], { progressDeadlineSeconds: 2_147_483_647, paused: true }))).toEqual([]);
    expect(check(withConditions(dep(3, '2', complete), [available, pausedCondition], { progressDeadlineSeconds: 2_147_483_647 }))).toEqual([
      'Deployment default/web has Progressing condition Progressing Unknown DeploymentPaused, expected none',
    ]);
  });
  it('names a ReplicaFailure condition no ReplicaSet has, and a condition type twice', () => {
    const d = withConditions(dep(3, '2', complete), [available, done, { type: 'ReplicaFailure', status: 'True' }, available]);
    expect(check(d)).toEqual([
      'Deployment default/web has two conditions of one type: Available, Progressing, ReplicaFailure, Available',
      'Deployment default/web has a ReplicaFailure condition while no ReplicaSet has one',
    ]);
  });
});

describe('conditionTransitions', () => {
  const at = (time: string) => ({ lastUpdateTime: time, lastTransitionTime: time });
  const version = (status: Deployment['status'], spec: object = {}): Deployment => ({ ...dep(3, '2', status), spec: { ...dep(3, '2').spec, ...spec } }) as Deployment;
  const progressing = (status: 'True' | 'False' | 'Unknown', reason: string, time: string) => ({ type: 'Progressing', status, reason, ...at(time) });
  const counts = { observedGeneration: 1, replicas: 4, updatedReplicas: 2, readyReplicas: 4, availableReplicas: 4, unavailableReplicas: 0 };
  const updated = progressing('True', 'ReplicaSetUpdated', '2026-01-01T00:00:00Z');
  const check = (before: Deployment, after: Deployment) => conditionTransitions([before], [{ type: 'MODIFIED', object: after }]).map((v) => v.message);

  it('accepts ProgressDeadlineExceeded 600 s after the last progress, and NewReplicaSetAvailable on a complete rollout', () => {
    const before = version({ ...counts, conditions: [updated] });
    expect(check(before, version({ ...counts, conditions: [progressing('False', 'ProgressDeadlineExceeded', '2026-01-01T00:10:00Z')] }))).toEqual([]);
    const complete = { ...counts, replicas: 3, updatedReplicas: 3, availableReplicas: 3 };
    expect(check(before, version({ ...complete, conditions: [progressing('True', 'NewReplicaSetAvailable', '2026-01-01T00:00:30Z')] }))).toEqual([]);
  });
  it('names ProgressDeadlineExceeded before the deadline and on a paused Deployment', () => {
    const before = version({ ...counts, conditions: [updated] });
    expect(check(before, version({ ...counts, conditions: [progressing('False', 'ProgressDeadlineExceeded', '2026-01-01T00:09:59Z')] }))).toEqual([
      'Deployment default/web reports Progressing False ProgressDeadlineExceeded at 2026-01-01T00:09:59Z, 600 s deadline, after Progressing True ReplicaSetUpdated updated at 2026-01-01T00:00:00Z',
    ]);
    expect(check(version({ ...counts, conditions: [updated] }, { paused: true }), version({ ...counts, conditions: [progressing('False', 'ProgressDeadlineExceeded', '2026-01-01T00:20:00Z')] }, { paused: true }))).toEqual([
      'Deployment default/web is paused and its Progressing condition became Progressing False ProgressDeadlineExceeded',
    ]);
  });
  it('names NewReplicaSetAvailable with old replicas left, a resume without DeploymentResumed, and a wrong Available flip', () => {
    const before = version({ ...counts, conditions: [updated] });
    expect(check(before, version({ ...counts, conditions: [progressing('True', 'NewReplicaSetAvailable', '2026-01-01T00:00:30Z')] }))).toEqual([
      'Deployment default/web reports Progressing True NewReplicaSetAvailable at replicas 4, updated 2, available 4 of 3 (observed generation 1 of 1)',
    ]);
    const paused = version({ ...counts, conditions: [progressing('Unknown', 'DeploymentPaused', '2026-01-01T00:00:00Z')] });
    expect(check(paused, version({ ...counts, conditions: [progressing('True', 'ReplicaSetUpdated', '2026-01-01T00:00:30Z')] }))).toEqual([
      'Deployment default/web is resumed and its Progressing condition went from DeploymentPaused to Progressing True ReplicaSetUpdated, not DeploymentResumed',
    ]);
    const flipped = version({ ...counts, availableReplicas: 1, conditions: [updated, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] });
    expect(check(before, flipped)).toEqual(['Deployment default/web has Available condition Available True MinimumReplicasAvailable at 1 available of 3 (maxUnavailable 1), expected False MinimumReplicasUnavailable']);
  });
});

describe('revisionHistoryKept and historyCleanupOldestFirst', () => {
  const revised = (r: ReplicaSet, revision: number): ReplicaSet => ({ ...r, metadata: { ...r.metadata, annotations: { 'deployment.kubernetes.io/revision': String(revision) } } }) as ReplicaSet;
  const limited = (limit: number) => ({ ...dep(2, '3'), spec: { ...dep(2, '3').spec, revisionHistoryLimit: limit } }) as Deployment;
  const history = [revised(rs('a', 0, '1'), 1), revised(rs('b', 0, '2'), 2), revised(rs('c', 2, '3'), 3)];

  it('counts the old ReplicaSets against revisionHistoryLimit after settling', () => {
    expect(revisionHistoryKept(state([limited(2)], history, []))).toEqual([]);
    expect(revisionHistoryKept(state([limited(1)], history, [])).map((v) => v.message)).toEqual(['Deployment web keeps 2 old ReplicaSets (a, b), revisionHistoryLimit 1']);
  });
  it('accepts deleting the oldest revision beyond the limit and names deleting a newer one or one with replicas', () => {
    const states = (deleted: ReplicaSet, limit: number) => {
      const before = clusterState([limited(limit), ...history], 0);
      const after = clusterState([limited(limit), ...history.filter((r) => r.metadata.name !== deleted.metadata.name)], 1, [{ type: 'DELETED', object: deleted }], before);
      return historyCleanupOldestFirstInvariant.check(after, before).map((v) => v.message);
    };
    expect(states(history[0]!, 1)).toEqual([]);
    expect(states(history[1]!, 1)).toEqual(['Deployment web deleted ReplicaSet b (revision 2) keeping only 0 newer old ReplicaSets, revisionHistoryLimit 1']);
    expect(states(revised(rs('a', 1, '1'), 1), 0)).toEqual(['Deployment web deleted ReplicaSet a while it had replicas (spec 1, status 1)']);
  });
});

describe('noNewReplicaSetWhilePaused', () => {
  const at = (version: string, paused: boolean) => ({ ...dep(2, version), spec: { ...dep(2, version).spec, paused } }) as Deployment;
  const created = rs('b', 0, '2');
  /** States: v1 running, then each Deployment version in turn, then the ReplicaSet of v2 created. */
  const run = (...versions: Deployment[]) => {
    let s = clusterState([at('1', false), rs('a', 2, '1')], 0);
    versions.forEach((d, i) => (s = clusterState([d, rs('a', 2, '1')], i + 1, [{ type: 'MODIFIED', object: d, t: i + 1 }], s)));
    const last = clusterState([versions.at(-1)!, rs('a', 2, '1'), created], 99, [{ type: 'ADDED', object: created, t: 99 }], s);
    return noNewReplicaSetWhilePausedInvariant.check(last, s).map((v) => v.message);
  };
  it('names a ReplicaSet created for a template set while paused', () => {
    expect(run(at('1', true), at('2', true))).toEqual(['ReplicaSet b created for Deployment web, paused since its template was set']);
  });
  it('accepts one created once resumed, or for a template set before the pause (a sync that read it unpaused)', () => {
    expect(run(at('1', true), at('2', true), at('2', false))).toEqual([]);
    expect(run(at('2', false), at('2', true))).toEqual([]);
  });
});

describe('replicaSetAnnotationsAfterSettle', () => {
  const annotated = (r: ReplicaSet, annotations: Record<string, string>): ReplicaSet => ({ ...r, metadata: { ...r.metadata, annotations } }) as ReplicaSet;
  const revisionOf = (d: Deployment, revision: string) => ({ ...d, metadata: { ...d.metadata, annotations: { 'deployment.kubernetes.io/revision': revision } } }) as Deployment;
  const replicas = (desired: number, max: number) => ({ 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(max) });
  // dep(3): 3 replicas, maxSurge 1 → max-replicas 4.
  const settled = [
    annotated(rs('a', 0, '1'), { 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' }),
    annotated(rs('b', 3, '2'), { 'deployment.kubernetes.io/revision': '4', 'deployment.kubernetes.io/revision-history': '2', ...replicas(3, 4) }),
  ];
  const check = (d: Deployment, list: ReplicaSet[]) => replicaSetAnnotationsAfterSettle(state([d], list, [])).map((v) => v.message);

  it('holds when the ReplicaSet at the template has the highest revision, the Deployment carries it, and the active one carries desired 3 / max 4', () => {
    expect(check(revisionOf(dep(3, '2'), '4'), settled)).toEqual([]);
  });
  it('names a rollback that kept the old revision, a Deployment revision behind, and a missing revision', () => {
    const rolledBack = [settled[0]!, annotated(settled[1]!, { ...settled[1]!.metadata.annotations, 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/revision-history': '' })];
    expect(check(revisionOf(dep(3, '2'), '3'), rolledBack)).toEqual([
      'Deployment web: ReplicaSet b has revision-history  at revision 2',
      'Deployment web: ReplicaSet b at the template has revision 2, a has 3',
    ]);
    expect(check(revisionOf(dep(3, '2'), '3'), settled)).toEqual(['Deployment web: has revision 3, its ReplicaSets\' highest is 4']);
    expect(check(revisionOf(dep(3, '2'), '4'), [annotated(settled[0]!, {}), settled[1]!])).toEqual(['Deployment web: ReplicaSet a has revision undefined, not a revision number']);
  });
  it('names replicas annotations left from before a scale (desired 2 / max 3 at 3 replicas) and a revision-history not below the revision', () => {
    const stale = [settled[0]!, annotated(settled[1]!, { 'deployment.kubernetes.io/revision': '4', 'deployment.kubernetes.io/revision-history': '2,5', ...replicas(2, 3) })];
    expect(check(revisionOf(dep(3, '2'), '4'), stale)).toEqual([
      'Deployment web: ReplicaSet b has revision-history 2,5 at revision 4',
      'Deployment web: ReplicaSet b with 3 replicas has desired-replicas 2, max-replicas 3, expected 3, 4',
    ]);
  });
});

describe('podTemplateHashConsistent', () => {
  const hashed = (name: string, hash: string, where: { selector?: string; template?: string } = {}): ReplicaSet => {
    const r = rs(name, 1, '1');
    return {
      ...r,
      metadata: { ...r.metadata, labels: { app: 'web', 'pod-template-hash': hash } },
      spec: { ...r.spec, selector: { matchLabels: { app: 'web', 'pod-template-hash': where.selector ?? hash } }, template: { ...r.spec.template, metadata: { labels: { app: 'web', 'pod-template-hash': where.template ?? hash } } } },
    } as ReplicaSet;
  };
  it('holds for web-abc with the hash abc on its labels, selector and template', () => {
    expect(podTemplateHashConsistent(state([dep(1)], [hashed('web-abc', 'abc')], []))).toEqual([]);
  });
  it('names a name that does not end in the hash, and a selector or template with another hash', () => {
    const v = podTemplateHashConsistent(state([dep(1)], [hashed('web-abd', 'abc'), hashed('web-abc', 'abc', { selector: 'x' }), hashed('web-abc', 'abc', { template: 'y' })], []));
    expect(v.map((x) => x.message)).toEqual([
      'ReplicaSet web-abd of Deployment web has pod-template-hash abc (selector abc, template abc)',
      'ReplicaSet web-abc of Deployment web has pod-template-hash abc (selector x, template abc)',
      'ReplicaSet web-abc of Deployment web has pod-template-hash abc (selector abc, template y)',
    ]);
  });
});

describe('revisionChanges', () => {
  const at = (revision: string, history?: string): ReplicaSet => {
    const r = rs('a', 0, '1');
    return { ...r, metadata: { ...r.metadata, annotations: { 'deployment.kubernetes.io/revision': revision, ...(history === undefined ? {} : { 'deployment.kubernetes.io/revision-history': history }) } } } as ReplicaSet;
  };
  const check = (before: ReplicaSet, after: ReplicaSet) => revisionChanges([before], [{ type: 'MODIFIED', object: after }]).map((v) => v.message);
  it('accepts a rollback raising revision 1 to 4 with history 1, and 4 to 6 with history 1,4', () => {
    expect(check(at('1'), at('4', '1'))).toEqual([]);
    expect(check(at('4', '1'), at('6', '1,4'))).toEqual([]);
  });
  it('names a revision that goes down and one raised without its history', () => {
    expect(check(at('4', '1'), at('3', '1,4'))).toEqual(["ReplicaSet a's revision went from 4 to 3"]);
    expect(check(at('4', '1'), at('6', '1'))).toEqual(['ReplicaSet a went from revision 4 to 6 with revision-history "1", not ending with 4']);
  });
});

describe('proportionalScaling', () => {
  const sized = (name: string, replicas: number, max: number, desired = max - 1): ReplicaSet => {
    const r = rs(name, replicas, name === 'new' ? '2' : '1', 0);
    return { ...r, metadata: { ...r.metadata, annotations: { 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(max) } } } as ReplicaSet;
  };
  // The documentation's example: 10 replicas, maxSurge 3 → old 8, new 5 (13); scaled to 15 → bound 18: old 11, new 7.
  const d15 = { ...dep(15, '2'), spec: { ...dep(15, '2').spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } } } as Deployment;
  const before = [sized('old', 8, 13, 10), sized('new', 5, 13, 10), sized('older', 0, 13, 10)];
  const after = (old: number, neu: number, older = 0) => [sized('old', old, 18, 15), sized('new', neu, 18, 15), sized('older', older, 18, 15)];
  const check = (list: ReplicaSet[]) => proportionalScaling(d15, before, list).map((v) => v.message);

  it('holds on the documentation example: 8 and 5 of 13 scaled to a bound of 18 become 11 and 7', () => {
    expect(check(after(11, 7))).toEqual([]);
  });
  it('names all 5 added to the new ReplicaSet, a sum short of the bound, and a ReplicaSet at 0 scaled up', () => {
    expect(check(after(8, 10))).toEqual(['Deployment web scaled to 15: its ReplicaSets (old 8 → 8, new 5 → 10) are not scaled in proportion to the bound 18 over their max-replicas (13, 13): old, new off their share']);
    expect(check(after(10, 7))).toEqual(['Deployment web scaled to 15: its ReplicaSets went to 17 in all (old 8 → 10, new 5 → 7), not replicas + maxSurge = 18']);
    expect(check(after(11, 7, 1))).toEqual(['Deployment web scaled to 15: ReplicaSet older at 0 was scaled up to 1']);
  });
  // Found by a deep run: 3 and 1 sized under a bound of 5 (replicas 3, maxSurge 50%), scaled to 1
  // (bound 2). Upstream, largest first: the 3 gets round(3 × 2 / 5) − 3 = −2, the whole change,
  // so the 1 keeps its size though its own share would be round(0.4) = 0.
  it('accepts a smaller ReplicaSet keeping what the larger ones left of the change, and no more', () => {
    const d1 = { ...dep(1, '2'), spec: { ...dep(1, '2').spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: '75%' } } } } as Deployment;
    const from = [sized('old', 3, 5, 3), sized('new', 1, 5, 3)];
    const to = (old: number, neu: number) => [sized('old', old, 2, 1), sized('new', neu, 2, 1)];
    expect(proportionalScaling(d1, from, to(1, 1))).toEqual([]);
    // Each rounded share, the leftover on the largest: within the rule too.
    expect(proportionalScaling(d1, from, to(2, 0))).toEqual([]);
    // Keeping its size is allowed only after larger ones that each took their own share: the
    // largest taking the whole change itself (4 and 1 under 5, scaled to a bound of 9: 7 and 2)
    // leaves the smaller one short of a share it was owed.
    const d8 = { ...dep(8, '2'), spec: { ...dep(8, '2').spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } } as Deployment;
    const from5 = [sized('old', 4, 5, 4), sized('new', 1, 5, 4)];
    const to9 = (old: number, neu: number) => [sized('old', old, 9, 8), sized('new', neu, 9, 8)];
    expect(proportionalScaling(d8, from5, to9(7, 2))).toEqual([]);
    expect(proportionalScaling(d8, from5, to9(8, 1)).map((v) => v.message)).toEqual(['Deployment web scaled to 8: its ReplicaSets (old 4 → 8, new 1 → 1) are not scaled in proportion to the bound 9 over their max-replicas (5, 5): old, new off their share']);
    // The smaller one taking more than its share while the larger one gives up everything is not.
    expect(proportionalScaling(d1, from, to(0, 2)).map((v) => v.message)).toEqual(['Deployment web scaled to 1: its ReplicaSets (old 3 → 0, new 1 → 2) are not scaled in proportion to the bound 2 over their max-replicas (5, 5): old, new off their share']);
  });
  it('wants a single ReplicaSet with replicas at spec.replicas', () => {
    expect(proportionalScaling(d15, [sized('old', 10, 13, 10)], [sized('old', 15, 18, 15)])).toEqual([]);
    expect(proportionalScaling(d15, [sized('old', 10, 13, 10)], [sized('old', 18, 18, 15)]).map((v) => v.message)).toEqual(['Deployment web scaled to 15: its only ReplicaSet with replicas, old, went from 10 to 18, not 15']);
  });
});

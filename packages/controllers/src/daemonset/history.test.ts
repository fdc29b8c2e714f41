/**
 * Table tests of DaemonSet history, status and template generation (upstream `update.go`
 * `getPatch`/`Match`/`cleanupHistory`, `updateDaemonSetStatus`, and the DaemonSet registry
 * strategy's `templateGeneration`).
 */
import { describe, expect, it } from 'vitest';
import { formatTime } from '@kubeloop/core';
import type { ControllerRevision, DaemonSet, Node, Pod } from '@kubeloop/core';
import { nextTemplateGeneration } from './admission.js';
import { CONTROLLER_REVISION_HASH_LABEL } from './decide.js';
import { dedupeCurrent, newRevision, revisionData, revisionMatches, revisionsToCleanUp, splitHistory, templateHash } from './history.js';
import { calculateDaemonSetStatus, nextDaemonSetStatus } from './status.js';

const T0 = Date.UTC(2026, 0, 1);

function ds(image = 'nginx:1.25', extra: { annotations?: Record<string, string>; minReadySeconds?: number; nodeSelector?: Record<string, string> } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 2, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'app', image }], ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}) } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      ...(extra.minReadySeconds !== undefined ? { minReadySeconds: extra.minReadySeconds } : {}),
    },
    status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  } as unknown as DaemonSet;
}

const rev = (d: DaemonSet, revision: number): ControllerRevision => newRevision(d, revision);

describe('ControllerRevisions (upstream snapshot, Match, constructHistory, cleanupHistory)', () => {
  it('a revision is named <ds>-<hash>, labelled with the template labels and the hash, owned by the DaemonSet, and holds the template as a replace patch', () => {
    const d = ds('nginx:1.25', { annotations: { note: 'x' } });
    const r = rev(d, 1);
    const hash = templateHash(d);
    expect(r.metadata).toMatchObject({ name: `agent-${hash}`, namespace: 'default', labels: { app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: hash }, annotations: { note: 'x' } });
    expect(r.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    expect(r.data).toEqual({ spec: { template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] }, $patch: 'replace' } } });
    expect(revisionData(d)).toEqual(r.data);
    expect(r.revision).toBe(1);
  });

  it('the hash changes with the template and with collisionCount, not with anything else', () => {
    const a = ds('nginx:1.25');
    expect(templateHash(ds('nginx:1.25', { annotations: { other: 'y' } }))).toBe(templateHash(a));
    expect(templateHash(ds('nginx:1.26'))).not.toBe(templateHash(a));
    expect(templateHash({ ...a, status: { ...a.status, collisionCount: 1 } })).not.toBe(templateHash(a));
  });

  it('matches a revision by its template, whatever its name or number', () => {
    expect(revisionMatches(ds('nginx:1.25'), rev(ds('nginx:1.25'), 7))).toBe(true);
    expect(revisionMatches(ds('nginx:1.26'), rev(ds('nginx:1.25'), 7))).toBe(false);
  });

  it('splits history into current and old; the current one must be renumbered above the old ones', () => {
    const r1 = rev(ds('nginx:1.25'), 1);
    const r2 = rev(ds('nginx:1.26'), 2);
    const back = splitHistory(ds('nginx:1.25'), [r1, r2]);
    expect(back.current).toEqual([r1]);
    expect(back.old).toEqual([r2]);
    expect(back.nextRevision).toBe(3);
    const fresh = splitHistory(ds('nginx:1.27'), [r1, r2]);
    expect(fresh.current).toEqual([]);
    expect(fresh.nextRevision).toBe(3);
    expect(splitHistory(ds(), []).nextRevision).toBe(1);
  });

  it('of duplicate current revisions keeps the highest', () => {
    const a = { ...rev(ds(), 2), metadata: { ...rev(ds(), 2).metadata, name: 'agent-a' } };
    const b = { ...rev(ds(), 5), metadata: { ...rev(ds(), 5).metadata, name: 'agent-b' } };
    expect(dedupeCurrent([a, b])).toEqual({ keep: b, duplicates: [a] });
    expect(dedupeCurrent([])).toBeUndefined();
  });

  it.each([
    ['under the limit: nothing', 3, [], [1, 2], []],
    ['limit 1 of 3: the two lowest', 1, [], [3, 1, 2], [1, 2]],
    ['limit 1 of 3, revision 1 still has a live pod: 2 and 3', 1, [1], [1, 2, 3], [2, 3]],
    ['limit 0: all but live ones', 0, [2], [1, 2], [1]],
  ] as const)('cleanup — %s', (_name, limit, live, numbers, want) => {
    const old = numbers.map((n) => ({ ...rev(ds(`nginx:1.${n}`), n) }));
    const liveHashes = new Set(old.filter((r) => (live as readonly number[]).includes(r.revision)).map((r) => r.metadata.labels![CONTROLLER_REVISION_HASH_LABEL]!));
    expect(revisionsToCleanUp(old, limit, liveHashes).map((r) => r.revision)).toEqual(want);
  });
});

describe('template generation (upstream DaemonSet strategy, deprecated.daemonset.template.generation)', () => {
  const withGen = (d: DaemonSet, g: string): DaemonSet => ({ ...d, metadata: { ...d.metadata, annotations: { 'deprecated.daemonset.template.generation': g } } });
  it.each([
    ['create: 1', ds(), undefined, 1],
    ['create with a given generation ≥ 1 keeps it', withGen(ds(), '4'), undefined, 4],
    ['update, same template: unchanged', withGen(ds(), '3'), withGen(ds(), '3'), 3],
    ['update, same template, annotation dropped by the client: the old value', ds(), withGen(ds(), '3'), 3],
    ['update, new template: +1', withGen(ds('nginx:1.26'), '3'), withGen(ds(), '3'), 4],
  ] as const)('%s', (_name, next, old, want) => {
    expect(nextTemplateGeneration(next, old)).toBe(want);
  });
});

describe('status (upstream updateDaemonSetStatus)', () => {
  const node = (name: string, labels: Record<string, string> = {}): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {}, status: {} }) as unknown as Node;
  const pod = (name: string, nodeName: string, o: { hash?: string; readySince?: number; createdAt?: number } = {}): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', creationTimestamp: formatTime(o.createdAt ?? T0), labels: { app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: o.hash ?? 'h' } },
      spec: { nodeName, containers: [] },
      status: { phase: 'Running', conditions: o.readySince === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(o.readySince) }] },
    }) as unknown as Pod;

  it('3 nodes, 2 labelled; one pod ready 5 s of minReadySeconds 10, one not ready, one on the unlabelled node', () => {
    const d = ds('nginx:1.25', { minReadySeconds: 10, nodeSelector: { kiamol: 'ch06' } });
    const nodes = [node('n1', { kiamol: 'ch06' }), node('n2', { kiamol: 'ch06' }), node('n3')];
    const pods = [pod('a', 'n1', { readySince: T0 }), pod('b', 'n2'), pod('c', 'n3')];
    expect(calculateDaemonSetStatus(d, nodes, pods, 'h', T0 + 5_000)).toEqual({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      numberAvailable: 0,
      numberUnavailable: 2,
      updatedNumberScheduled: 2,
    });
    expect(calculateDaemonSetStatus(d, nodes, pods, 'h', T0 + 10_001).numberAvailable).toBe(1);
  });

  it('looks at the oldest pod of a node only; an old-hash pod is not updated', () => {
    const d = ds();
    const pods = [pod('young', 'n1', { createdAt: T0 + 1000, readySince: T0 + 1000 }), pod('old', 'n1', { hash: 'old' })];
    expect(calculateDaemonSetStatus(d, [node('n1')], pods, 'h', T0 + 60_000)).toMatchObject({ currentNumberScheduled: 1, numberReady: 0, updatedNumberScheduled: 0 });
  });

  it('skips a write that changes nothing; raises observedGeneration only when asked', () => {
    const d = ds();
    const counts = calculateDaemonSetStatus(d, [], [], 'h', T0);
    const synced = { ...d, status: { ...d.status, ...counts, observedGeneration: 2 } };
    expect(nextDaemonSetStatus(synced, counts, true)).toBeUndefined();
    expect(nextDaemonSetStatus(d, counts, true)?.observedGeneration).toBe(2);
    expect(nextDaemonSetStatus(d, counts, false)?.observedGeneration).toBeUndefined();
  });
});

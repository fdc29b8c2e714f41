/**
 * Tables for the garbage collector's pure decisions (upstream `attemptToDeleteItem`,
 * `classifyReferences`/`isDangling`, `processDeletingDependentsItem`, `processTransitions`,
 * `referencesDiffs`).
 */
import { describe, expect, it } from 'vitest';
import type { OwnerReference } from '@kubeloop/core';
import type { AttemptToDeleteAction, ClassifiedReference, ReferenceClass } from './decide.js';
import {
  attemptToDeleteDecision,
  classifyReference,
  deletingDependentsDecision,
  ownerLookup,
  referencesDiffs,
  startsWaitingForDependentsDeleted,
  startsWaitingForDependentsOrphaned,
  unblockReferences,
  unblockedOwners,
  withoutReferences,
} from './decide.js';

const T = '2026-01-01T00:00:00Z';

function r(uid: string, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: 'v1', kind: 'ConfigMap', name: `owner-${uid}`, uid, ...extra };
}

describe('classifyReference (upstream isDangling + classifyReferences)', () => {
  const cases: [string, Parameters<typeof classifyReference>[1], ReferenceClass][] = [
    ['owner not found', undefined, 'dangling'],
    ['same name, another uid (re-created owner)', { uid: 'other' }, 'dangling'],
    ['owner live', { uid: 'u1' }, 'solid'],
    ['owner deleting in the background (no finalizer)', { uid: 'u1', deletionTimestamp: T }, 'solid'],
    ['owner deleting with the orphan finalizer', { uid: 'u1', deletionTimestamp: T, finalizers: ['orphan'] }, 'solid'],
    ['owner deleting in the foreground', { uid: 'u1', deletionTimestamp: T, finalizers: ['foregroundDeletion'] }, 'waitingForDependentsDeletion'],
    ['owner with foregroundDeletion but no deletionTimestamp', { uid: 'u1', finalizers: ['foregroundDeletion'] }, 'solid'],
  ];
  it.each(cases)('%s → %s', (_name, owner, expected) => {
    expect(classifyReference({ uid: 'u1' }, owner)).toBe(expected);
  });
});

describe('attemptToDeleteDecision (upstream attemptToDeleteItem)', () => {
  const c = (uid: string, cls: ReferenceClass): ClassifiedReference => ({ reference: r(uid), class: cls });
  const cases: [string, Parameters<typeof attemptToDeleteDecision>[0], AttemptToDeleteAction][] = [
    ['no owner references: keep', { references: [], finalizers: [], hasDependents: false, aDependentIsDeletingDependents: false }, { type: 'keep', reason: 'no-owner-references' }],
    ['one solid owner: keep', { references: [c('a', 'solid')], finalizers: [], hasDependents: true, aDependentIsDeletingDependents: false }, { type: 'keep', reason: 'owners-solid' }],
    [
      'solid + dangling + waiting: patch away dangling then waiting references',
      { references: [c('w', 'waitingForDependentsDeletion'), c('a', 'solid'), c('d', 'dangling')], finalizers: [], hasDependents: false, aDependentIsDeletingDependents: false },
      { type: 'remove-references', uids: ['d', 'w'] },
    ],
    ['all dangling: delete in the background', { references: [c('a', 'dangling'), c('b', 'dangling')], finalizers: [], hasDependents: true, aDependentIsDeletingDependents: false }, { type: 'delete', policy: 'Background', unblockOwnerReferences: false }],
    ['all dangling, orphan finalizer already there: honour it', { references: [c('a', 'dangling')], finalizers: ['orphan'], hasDependents: true, aDependentIsDeletingDependents: false }, { type: 'delete', policy: 'Orphan', unblockOwnerReferences: false }],
    ['all dangling, foregroundDeletion already there: honour it', { references: [c('a', 'dangling')], finalizers: ['foregroundDeletion'], hasDependents: false, aDependentIsDeletingDependents: false }, { type: 'delete', policy: 'Foreground', unblockOwnerReferences: false }],
    ['a waiting owner and dependents of its own: delete in the foreground', { references: [c('w', 'waitingForDependentsDeletion'), c('d', 'dangling')], finalizers: [], hasDependents: true, aDependentIsDeletingDependents: false }, { type: 'delete', policy: 'Foreground', unblockOwnerReferences: false }],
    ['a waiting owner, no dependents: nothing to wait for, background', { references: [c('w', 'waitingForDependentsDeletion')], finalizers: [], hasDependents: false, aDependentIsDeletingDependents: false }, { type: 'delete', policy: 'Background', unblockOwnerReferences: false }],
    ['a waiting owner and a dependent deleting dependents too: unblock first (cycle guard)', { references: [c('w', 'waitingForDependentsDeletion')], finalizers: [], hasDependents: true, aDependentIsDeletingDependents: true }, { type: 'delete', policy: 'Foreground', unblockOwnerReferences: true }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(attemptToDeleteDecision(input)).toEqual(expected);
  });
});

describe('deletingDependentsDecision (upstream processDeletingDependentsItem)', () => {
  it('removes the foregroundDeletion finalizer when no dependent blocks', () => {
    expect(deletingDependentsDecision([])).toEqual({ type: 'remove-finalizer' });
  });
  it('deletes the blocking dependents that are not already deleting their own', () => {
    expect(
      deletingDependentsDecision([
        { uid: 'a', deletingDependents: false },
        { uid: 'b', deletingDependents: true },
        { uid: 'c', deletingDependents: false },
      ]),
    ).toEqual({ type: 'delete-dependents', uids: ['a', 'c'] });
  });
  it('waits (deletes nothing more) when every blocking dependent is deleting its own dependents', () => {
    expect(deletingDependentsDecision([{ uid: 'b', deletingDependents: true }])).toEqual({ type: 'delete-dependents', uids: [] });
  });
});

describe('deletion transitions (upstream processTransitions)', () => {
  const live = {};
  const orphaning = { deletionTimestamp: T, finalizers: ['orphan'] };
  const foreground = { deletionTimestamp: T, finalizers: ['foregroundDeletion'] };
  it.each([
    ['live → orphaning', live, orphaning, true, false],
    ['first seen orphaning (a restarted collector)', undefined, orphaning, true, false],
    ['orphaning → orphaning (already started)', orphaning, orphaning, false, false],
    ['live → foreground', live, foreground, false, true],
    ['first seen deleting in the foreground', undefined, foreground, false, true],
    ['foreground → foreground', foreground, foreground, false, false],
    ['finalizer without deletionTimestamp', undefined, { finalizers: ['orphan', 'foregroundDeletion'] }, false, false],
  ] as const)('%s', (_name, old, current, orphan, deleted) => {
    expect(startsWaitingForDependentsOrphaned(old, current)).toBe(orphan);
    expect(startsWaitingForDependentsDeleted(old, current)).toBe(deleted);
  });
});

describe('referencesDiffs and unblockedOwners (upstream referencesDiffs, addUnblockedOwnersToDeleteQueue)', () => {
  it('matches references by uid: added, removed, changed', () => {
    const a = r('a', { blockOwnerDeletion: true });
    const b = r('b', { blockOwnerDeletion: true });
    const b2 = r('b', { blockOwnerDeletion: false });
    const c = r('c');
    const diff = referencesDiffs([a, b], [b2, c]);
    expect(diff).toEqual({ added: [c], removed: [a], changed: [[b, b2]] });
    // a was removed while blocking; b stopped blocking: both owners may now finish.
    expect(unblockedOwners(diff)).toEqual(['a', 'b']);
  });
  it('reports nothing for identical lists', () => {
    expect(referencesDiffs([r('a')], [r('a')])).toEqual({ added: [], removed: [], changed: [] });
  });
  it('does not unblock an owner when a non-blocking reference goes', () => {
    expect(unblockedOwners(referencesDiffs([r('a')], []))).toEqual([]);
  });
});

describe('reference edits', () => {
  it('withoutReferences drops by uid and keeps the order', () => {
    expect(withoutReferences([r('a'), r('b'), r('c')], ['b']).map((x) => x.uid)).toEqual(['a', 'c']);
  });
  it('unblockReferences turns blockOwnerDeletion true into false only', () => {
    expect(unblockReferences([r('a', { blockOwnerDeletion: true }), r('b')])).toEqual([r('a', { blockOwnerDeletion: false }), r('b')]);
  });
});

describe('ownerLookup (where an owner reference points)', () => {
  it.each([
    ['namespaced dependent, namespaced owner: same namespace', 'ns', true, { namespace: 'ns' }],
    ['namespaced dependent, cluster-scoped owner', 'ns', false, { namespace: undefined }],
    ['cluster-scoped dependent, cluster-scoped owner', undefined, false, { namespace: undefined }],
    ['cluster-scoped dependent, namespaced owner: invalid', undefined, true, 'invalid'],
    ['empty namespace counts as cluster-scoped', '', true, 'invalid'],
  ] as const)('%s', (_name, ns, namespaced, expected) => {
    expect(ownerLookup(ns, namespaced)).toEqual(expected);
  });
});

/** `everyState`: a state invariant checked on each state the store went through between two checks. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@kubeloop/core';
import { clusterState, everyState, invariant, transitionInvariant } from '../index.js';

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [] } }) as unknown as KubeObject;
const event = (name: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' } }) as unknown as KubeObject;
const atMostTwoPods = invariant('atMostTwoPods', 'At most two pods.', (s) => (s.of('Pod').length > 2 ? [{ message: `${s.of('Pod').length} pods`, objects: [] }] : []));

describe('everyState', () => {
  const before = clusterState([pod('a'), pod('b')], 1_000);
  // A third pod that comes and goes between two checks: the state at the check is fine.
  const after = clusterState([pod('a'), pod('b'), event('e')], 2_000, [
    { t: 1_200, type: 'ADDED', object: pod('c') },
    { t: 1_500, type: 'ADDED', object: event('e') },
    { t: 1_700, type: 'DELETED', object: pod('c') },
  ], before);

  it('catches a bound broken and restored between two checks, naming the time', () => {
    expect(atMostTwoPods.check(after, before)).toEqual([]);
    expect(everyState(atMostTwoPods).check(after, before)).toEqual([{ message: 'at t=1200: 3 pods', objects: [] }]);
    expect(everyState(atMostTwoPods).name).toBe('atMostTwoPods');
    expect(everyState(atMostTwoPods).description).toBe('At most two pods. (in every state the store went through)');
  });

  it('builds states only from the changes of the given kinds, and checks the state at the check time last', () => {
    const seen: { t: number; kinds: readonly string[] }[] = [];
    const spy = invariant('spy', '', (s) => (seen.push({ t: s.t, kinds: s.kinds }), []));
    everyState(spy, { kinds: ['Pod'] }).check(after, before);
    expect(seen).toEqual([
      { t: 1_200, kinds: ['Pod'] },
      { t: 1_700, kinds: ['Pod'] },
      { t: 2_000, kinds: ['Pod'] },
    ]);
  });

  it('hands a transition invariant consecutive store states', () => {
    const pairs: string[] = [];
    const spy = transitionInvariant('pairs', '', (p, s) => (pairs.push(`${p.t}→${s.t}: ${p.of('Pod').length}→${s.of('Pod').length}`), []));
    everyState(spy, { kinds: ['Pod'] }).check(after, before);
    expect(pairs).toEqual(['1000→1200: 2→3', '1200→1700: 3→2', '1700→2000: 2→2']);
  });

  it('checks the first state alone', () => {
    expect(everyState(atMostTwoPods).check(clusterState([pod('a'), pod('b'), pod('c')]), undefined)).toEqual([{ message: '3 pods', objects: [] }]);
  });
});

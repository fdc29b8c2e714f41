/** The invariant vocabulary: the builders, object references and hand-built cluster states. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.js';
import { VIRTUAL_EPOCH_MS } from '../clock/virtual.js';
import { clusterState } from './state.js';
import { activeMs, formatRef, invariant, jumpedMsAt, refOf, stateNowMs, transitionInvariant } from './types.js';

const cm = (namespace: string | undefined, name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace === undefined ? {} : { namespace }) } }) as KubeObject;

describe('invariants', () => {
  it('a state invariant is liveness unless told safety, and sees the state alone', () => {
    const seen: number[] = [];
    const live = invariant('n', 'd', (state) => (seen.push(state.t), []));
    expect(live.kind).toBe('liveness');
    expect(invariant('n', 'd', () => [], 'safety').kind).toBe('safety');
    live.check(clusterState([], 2), clusterState([], 1));
    expect(seen).toEqual([2]);
  });

  it('a transition invariant sees the state before and the state after, and reports nothing on the first state', () => {
    const growing = transitionInvariant('configMapsNeverShrink', 'The number of ConfigMaps never drops.', (previous, state) =>
      state.of('ConfigMap').length < previous.of('ConfigMap').length ? [{ message: `${previous.of('ConfigMap').length} → ${state.of('ConfigMap').length}`, objects: [] }] : [],
    );
    const before = clusterState([cm('a', 'x'), cm('a', 'y')]);
    const after = clusterState([cm('a', 'x')], 1, [{ type: 'DELETED', object: cm('a', 'y'), t: 1 }], before);
    expect(growing.kind).toBe('transition');
    expect(growing.check(after, undefined)).toEqual([]);
    expect(growing.check(after, before)).toEqual([{ message: '2 → 1', objects: [] }]);
  });

  it('names objects by reference and prints them as Kind namespace/name', () => {
    expect(refOf(cm('default', 'x'))).toEqual({ kind: 'ConfigMap', namespace: 'default', name: 'x' });
    expect(formatRef(refOf(cm('default', 'x')))).toBe('ConfigMap default/x');
    expect(formatRef({ kind: 'Node', name: 'n1' })).toBe('Node n1');
  });

  it('a hand-built state lists objects by kind in key order, finds one by name, and tells its wall-clock time', () => {
    const state = clusterState([cm('b', 'x'), cm('a', 'y'), cm('a', 'x')], 5_000);
    expect(state.of('ConfigMap').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['a/x', 'a/y', 'b/x']);
    expect(state.get('ConfigMap', 'a', 'y')?.metadata.name).toBe('y');
    expect(state.get('ConfigMap', 'c', 'y')).toBeUndefined();
    expect(state.of('Pod')).toEqual([]);
    expect(state.kinds).toEqual(['ConfigMap']);
    expect(stateNowMs(state)).toBe(VIRTUAL_EPOCH_MS + 5_000);
  });
});

describe('activeMs', () => {
  // Three states 1 s apart in the time the cluster ran; before the third the clock jumps 80 s.
  const s0 = clusterState([], 1_000);
  const s1 = clusterState([], 2_000, [], s0);
  const s2 = clusterState([], 83_000, [], s1, 80_000);

  it('leaves out the jumps before a time: the states are 1 s apart in the time the cluster ran', () => {
    expect([activeMs(s0), activeMs(s1), activeMs(s2)]).toEqual([1_000, 2_000, 3_000]);
    // A change of the third state's step happened after the jump; one of the second's before it.
    expect(activeMs(s2, 82_500)).toBe(2_500);
    expect(activeMs(s2, 1_500)).toBe(1_500);
  });

  it('counts a time inside the skipped interval as before the jump', () => {
    expect(jumpedMsAt(s2, 2_000)).toBe(0);
    expect(jumpedMsAt(s2, 50_000)).toBe(0);
    expect(jumpedMsAt(s2, 82_000)).toBe(80_000);
  });

  it('is the virtual time on states without jumps (hand-built ones)', () => {
    expect(activeMs(s1, 1_234)).toBe(1_234);
  });
});


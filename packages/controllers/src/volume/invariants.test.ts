/** The binding invariant holds on a mutual binding and fails on broken ones. */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaimSchema, PersistentVolumeSchema } from '@kubeloop/core';
import { bindingIsMutual } from './invariants.js';

const claim = (name: string, volumeName: string, uid = name) =>
  PersistentVolumeClaimSchema.parse({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid }, spec: { volumeName }, status: { phase: 'Bound' } });
const pv = (name: string, claimName?: string, uid = claimName) =>
  PersistentVolumeSchema.parse({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { ...(claimName ? { claimRef: { namespace: 'default', name: claimName, uid } } : {}) } });

describe('bindingIsMutual', () => {
  it('holds when claim and volume name each other', () => {
    expect(bindingIsMutual({ volumes: [pv('v1', 'a')], claims: [claim('a', 'v1')] })).toEqual([]);
  });
  it('fails when two claims name one volume, or a Bound claim’s volume names another claim or is missing', () => {
    expect(bindingIsMutual({ volumes: [pv('v1', 'a')], claims: [claim('a', 'v1'), claim('b', 'v1')] }).map((v) => v.message)).toEqual([
      'claims default/a and default/b both name volume v1',
      'is Bound to volume v1, whose claimRef is default/a',
    ]);
    expect(bindingIsMutual({ volumes: [pv('v1', 'a', 'old-uid')], claims: [claim('a', 'v1')] }).map((v) => v.message)).toEqual(['is Bound to volume v1, whose claimRef is default/a']);
    expect(bindingIsMutual({ volumes: [], claims: [claim('a', 'v1')] }).map((v) => v.message)).toEqual(['is Bound to volume v1, which does not exist']);
  });
});

import { describe, expect, it } from 'vitest';
import { createBuiltinRegistry } from '@kubeloop/core';
import { REVIEW_RESOURCES } from './auth.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList } from './discovery.js';

const registry = createBuiltinRegistry();

// Upstream's review kinds: create-only, never stored, listed in discovery (kube-apiserver's
// authentication.k8s.io and authorization.k8s.io storage only implements rest.Creater), so
// kubectl can map `kind: TokenReview` in `kubectl create -f`.
describe('discovery of the review kinds serve answers', () => {
  it('lists authentication.k8s.io and authorization.k8s.io with their v1 reviews, create-only, in the legacy documents', () => {
    const groups = (apiGroupList(registry, REVIEW_RESOURCES) as { groups: { name: string; preferredVersion: { groupVersion: string } }[] }).groups;
    expect(groups.find((g) => g.name === 'authentication.k8s.io')?.preferredVersion.groupVersion).toBe('authentication.k8s.io/v1');
    expect(groups.find((g) => g.name === 'authorization.k8s.io')?.preferredVersion.groupVersion).toBe('authorization.k8s.io/v1');
    expect(apiGroup(registry, 'authorization.k8s.io', REVIEW_RESOURCES)).toMatchObject({ kind: 'APIGroup', name: 'authorization.k8s.io', versions: [{ groupVersion: 'authorization.k8s.io/v1', version: 'v1' }] });
    expect(apiResourceList(registry, 'authentication.k8s.io', 'v1', REVIEW_RESOURCES)).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'authentication.k8s.io/v1',
      resources: [
        { name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] },
        { name: 'tokenreviews', singularName: 'tokenreview', namespaced: false, kind: 'TokenReview', verbs: ['create'] },
      ],
    });
    const authorization = (apiResourceList(registry, 'authorization.k8s.io', 'v1', REVIEW_RESOURCES) as { resources: { name: string; namespaced: boolean; verbs: string[] }[] }).resources;
    expect(authorization.map((r) => [r.name, r.namespaced, r.verbs])).toEqual([
      ['localsubjectaccessreviews', true, ['create']],
      ['selfsubjectaccessreviews', false, ['create']],
      ['selfsubjectrulesreviews', false, ['create']],
      ['subjectaccessreviews', false, ['create']],
    ]);
  });

  it('lists them in the aggregated discovery kubectl 1.30+ asks for, scoped as upstream', () => {
    for (const version of ['v2', 'v2beta1'] as const) {
      const doc = aggregatedDiscovery(registry, false, version, REVIEW_RESOURCES) as { items: { metadata: { name?: string }; versions: { version: string; resources: { resource: string; scope: string; verbs: string[]; responseKind: object }[] }[] }[] };
      const authentication = doc.items.find((g) => g.metadata.name === 'authentication.k8s.io');
      expect(authentication?.versions.map((v) => v.version)).toEqual(['v1']);
      expect(authentication?.versions[0]?.resources).toContainEqual({ resource: 'tokenreviews', responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview' }, scope: 'Cluster', singularResource: 'tokenreview', verbs: ['create'] });
      const local = doc.items.find((g) => g.metadata.name === 'authorization.k8s.io')?.versions[0]?.resources.find((r) => r.resource === 'localsubjectaccessreviews');
      expect(local).toMatchObject({ scope: 'Namespaced', verbs: ['create'] });
      // The core group's document is untouched.
      expect(JSON.stringify(aggregatedDiscovery(registry, true, version, REVIEW_RESOURCES))).not.toContain('review');
    }
  });

  it('lists nothing it is not given: without create-only resources the review groups are absent', () => {
    expect(apiGroup(registry, 'authentication.k8s.io')).toBeUndefined();
    expect(apiResourceList(registry, 'authentication.k8s.io', 'v1')).toBeUndefined();
  });
});

/** noEndpointsWithoutService: the Endpoints of a deleted Service must go (upstream syncService on a NotFound Service). */
import { describe, expect, it } from 'vitest';
import type { Endpoints, Service } from '@kubeloop/core';
import { noEndpointsWithoutService } from './invariants.js';

const service = (namespace: string, name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { selector: { app: name } } }) as unknown as Service;
const endpoints = (namespace: string, name: string): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace, name } }) as unknown as Endpoints;

describe('noEndpointsWithoutService', () => {
  it('holds when every Endpoints has its Service, and skips the API server’s default/kubernetes', () => {
    expect(noEndpointsWithoutService({ services: [service('default', 'web')], endpoints: [endpoints('default', 'web'), endpoints('default', 'kubernetes')] })).toEqual([]);
  });

  it('names Endpoints whose Service is gone, matching by namespace and name (a same-named Service elsewhere does not count; kubernetes outside default is not skipped)', () => {
    const violations = noEndpointsWithoutService({ services: [service('other', 'web')], endpoints: [endpoints('default', 'web'), endpoints('other', 'web'), endpoints('other', 'kubernetes')] });
    expect(violations).toEqual([
      { objects: [{ kind: 'Endpoints', namespace: 'default', name: 'web' }], message: 'Endpoints default/web is left although its Service is gone' },
      { objects: [{ kind: 'Endpoints', namespace: 'other', name: 'kubernetes' }], message: 'Endpoints other/kubernetes is left although its Service is gone' },
    ]);
  });
});

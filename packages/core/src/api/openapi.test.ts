import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBuiltinRegistry } from './kinds/index.js';
import { ObjectMetaSchema } from './meta.js';
import { DEFINITION_REF_PREFIX, definitionName, openApiDefinitions } from './openapi.js';
import { defineResource } from './registry.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };

describe('openApiDefinitions', () => {
  const definitions = openApiDefinitions(createBuiltinRegistry()) as Record<string, Schema>;

  it('names definitions as upstream and tags each kind with its group, version and kind', () => {
    expect(definitions['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(definitions['io.k8s.api.core.v1.Pod']!['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(definitions['io.k8s.api.apps.v1.Deployment']!.properties!.metadata).toEqual({ $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    expect(definitions['io.k8s.api.apps.v1.DeploymentSpec']!.properties!.replicas).toMatchObject({ type: 'integer', format: 'int32' });
  });

  it('puts the list table’s patch and list extensions on the list fields, choosing the key the items carry', () => {
    expect(definitions['io.k8s.api.core.v1.PodSpec']!.properties!.containers).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(definitions['io.k8s.api.core.v1.Container']!.properties!.ports).toMatchObject({ 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] });
    expect(definitions['io.k8s.api.core.v1.ServiceSpec']!.properties!.ports).toMatchObject({ 'x-kubernetes-patch-merge-key': 'port', 'x-kubernetes-list-map-keys': ['port', 'protocol'] });
    expect(definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties!.finalizers).toMatchObject({ 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' });
    expect(definitions['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']!['x-kubernetes-map-type']).toBe('atomic');
  });

  it('writes int-or-string as upstream does, without zod’s safe-integer bounds', () => {
    const rolling = definitions['io.k8s.api.apps.v1.RollingUpdateDeployment']!.properties!;
    expect(JSON.stringify(rolling.maxSurge)).toContain('"$ref":"#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"');
    expect(definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true });
    expect(JSON.stringify(definitions)).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  it('references only definitions it holds', () => {
    const refs = new Set<string>();
    JSON.stringify(definitions, (key, value: unknown) => {
      if (key === '$ref') refs.add(value as string);
      return value;
    });
    expect(refs.size).toBeGreaterThan(20);
    for (const ref of refs) expect(definitions[ref.slice(DEFINITION_REF_PREFIX.length)], ref).toBeDefined();
  });

  it('carries the descriptions schemas declare, and names a custom resource by its reversed group', () => {
    const WidgetSchema = z.object({
      apiVersion: z.literal('example.com/v1'),
      kind: z.literal('Widget'),
      metadata: ObjectMetaSchema,
      spec: z.object({ size: z.number().int().describe('How big the widget is.') }),
    });
    const registry = createBuiltinRegistry().register(defineResource({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true, schema: WidgetSchema }));
    const widget = openApiDefinitions(registry)['com.example.v1.Widget'] as Schema;
    expect(definitionName({ group: 'example.com', version: 'v1', kind: 'Widget' })).toBe('com.example.v1.Widget');
    expect(definitionName({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' })).toBe('io.k8s.api.networking.v1.Ingress');
    expect((widget.properties!.spec as Schema).properties!.size).toMatchObject({ type: 'integer', description: 'How big the widget is.' });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { FieldSet, applyManagedFields, fieldSetOf, formatFieldPath, recordUpdate, valueAt } from './managedfields.js';
import type { ManagedFieldsEntry } from './meta.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

const deployment = (replicas: number, image = 'nginx:1.27', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }] }] } },
    ...extra,
  },
});

const paths = (set: FieldSet) => set.paths().map(formatFieldPath);

describe('FieldsV1', () => {
  it('decodes upstream FieldsV1: an empty node or one holding "." is a member', () => {
    const set = FieldSet.fromFieldsV1({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } } },
    });
    expect(paths(set)).toEqual(['.metadata.labels', '.metadata.labels.app', '.spec.replicas', '.spec.template.spec.containers[name="web"]', '.spec.template.spec.containers[name="web"].image']);
  });

  it('encodes with sorted keys and "." only on members that have members below them', () => {
    const set = FieldSet.of([['f:spec', 'f:replicas'], ['f:spec', 'f:containers', 'k:{"name":"a"}'], ['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']]);
    expect(set.toFieldsV1()).toEqual({ 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} } });
  });

  it('round-trips any set of paths', () => {
    const element = fc.oneof(fc.constantFrom('f:a', 'f:b', 'f:c'), fc.constantFrom('k:{"name":"x"}', 'v:"y"', 'i:0'));
    fc.assert(
      fc.property(fc.array(fc.array(element, { minLength: 1, maxLength: 4 }), { maxLength: 12 }), (raw) => {
        const set = FieldSet.of(raw);
        expect(FieldSet.fromFieldsV1(set.toFieldsV1()).paths()).toEqual(set.paths());
      }),
    );
  });

  it('does set arithmetic: union, difference, intersection, prefix', () => {
    const a = FieldSet.of([['f:a'], ['f:b', 'f:c']]);
    const b = FieldSet.of([['f:b', 'f:c'], ['f:d']]);
    expect(a.union(b).size).toBe(3);
    expect(a.difference(b).paths()).toEqual([['f:a']]);
    expect(a.intersection(b).paths()).toEqual([['f:b', 'f:c']]);
    expect(a.hasPrefix(['f:b'])).toBe(true);
    expect(a.hasPrefix(['f:a'])).toBe(true);
    expect(a.hasPrefix(['f:d'])).toBe(false);
  });
});

describe('fieldSetOf', () => {
  it('owns scalars, list-map items by key, atomic selectors; not identity metadata nor apiVersion/kind', () => {
    expect(paths(fieldSetOf(deployment(2)))).toEqual([
      '.metadata.labels.app',
      '.spec.replicas',
      '.spec.selector',
      '.spec.template.metadata.labels.app',
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].image',
      '.spec.template.spec.containers[name="web"].name',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort',
    ]);
  });

  it('leaves status out of a main-resource write of a kind with a status subresource, and owns only status through it', () => {
    const obj = { spec: { replicas: 1 }, status: { replicas: 1 } };
    expect(paths(fieldSetOf(obj, { statusSubresource: true }))).toEqual(['.spec.replicas']);
    expect(paths(fieldSetOf(obj, { subresource: 'status', statusSubresource: true }))).toEqual(['.status.replicas']);
  });

  it('reads a value back by path, through list-map keys', () => {
    expect(valueAt(deployment(2), ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'])).toBe('nginx:1.27');
    expect(valueAt(deployment(2), ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"other"}'])).toBeUndefined();
  });
});

describe('recordUpdate (non-apply writes)', () => {
  it('gives a creator every field it set', () => {
    const managed = recordUpdate(undefined, deployment(2), undefined, { manager: 'kubectl-create', apiVersion: 'apps/v1', time: T0 });
    expect(managed).toHaveLength(1);
    expect(managed![0]).toMatchObject({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1' });
    expect(paths(FieldSet.fromFieldsV1(managed![0]!.fieldsV1))).toContain('.spec.replicas');
  });

  it('moves a changed field to the updater (an Update never conflicts) and leaves an unchanged object alone', () => {
    const created = recordUpdate(undefined, deployment(2), undefined, { manager: 'creator', apiVersion: 'apps/v1', time: T0 });
    const scaled = recordUpdate(deployment(2), deployment(3), created, { manager: 'kubectl', apiVersion: 'apps/v1', time: T1, subresource: 'scale' })!;
    expect(scaled.map((e) => [e.manager, e.subresource])).toEqual([
      ['creator', undefined],
      ['kubectl', 'scale'],
    ]);
    expect(paths(FieldSet.fromFieldsV1(scaled[1]!.fieldsV1))).toEqual(['.spec.replicas']);
    expect(paths(FieldSet.fromFieldsV1(scaled[0]!.fieldsV1))).not.toContain('.spec.replicas');
    expect(scaled[0]!.time).toBe(T0);
    expect(recordUpdate(deployment(3), deployment(3), scaled, { manager: 'other', apiVersion: 'apps/v1', time: T1 })).toEqual(scaled);
  });

  it('takes a removed field away from its owner', () => {
    const created = recordUpdate(undefined, deployment(2, 'x', { minReadySeconds: 5 }), undefined, { manager: 'creator', apiVersion: 'apps/v1', time: T0 });
    const after = recordUpdate(deployment(2, 'x', { minReadySeconds: 5 }), deployment(2, 'x'), created, { manager: 'editor', apiVersion: 'apps/v1', time: T1 })!;
    expect(after.map((e) => e.manager)).toEqual(['creator']);
    expect(paths(FieldSet.fromFieldsV1(after[0]!.fieldsV1))).not.toContain('.spec.minReadySeconds');
  });
});

describe('applyManagedFields (server-side apply)', () => {
  const apply = (live: Record<string, unknown> | undefined, applied: Record<string, unknown>, manager = 'kubectl', force = false) =>
    applyManagedFields(live, applied, { manager, apiVersion: 'apps/v1', time: T1, force, statusSubresource: true });
  const withManaged = (obj: Record<string, unknown>, managedFields: ManagedFieldsEntry[]) => ({ ...obj, metadata: { ...(obj.metadata as object), managedFields } });

  it('creates: the applier owns what it applied, with operation Apply', () => {
    const { object, managedFields } = apply(undefined, deployment(2));
    expect(object).toMatchObject({ spec: { replicas: 2 } });
    expect(managedFields).toEqual([expect.objectContaining({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1' })]);
  });

  it('conflicts with upstream message when another manager owns a field the apply changes', () => {
    const managed = recordUpdate(undefined, deployment(2), undefined, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', time: T0 })!;
    const live = withManaged(deployment(2), managed);
    let error: unknown;
    try {
      apply(live, deployment(3));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(409);
    expect((error as ApiError).message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect((error as ApiError).details.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
  });

  it('shares ownership of a field applied with the value it already has', () => {
    const managed = recordUpdate(undefined, deployment(2), undefined, { manager: 'creator', apiVersion: 'apps/v1', time: T0 })!;
    const { managedFields } = apply(withManaged(deployment(2), managed), deployment(2));
    expect(managedFields.map((e) => e.manager)).toEqual(['creator', 'kubectl']);
    for (const e of managedFields) expect(paths(FieldSet.fromFieldsV1(e.fieldsV1))).toContain('.spec.replicas');
  });

  it('with force takes the contested field from its owner', () => {
    const managed = recordUpdate(undefined, deployment(2), undefined, { manager: 'creator', apiVersion: 'apps/v1', time: T0 })!;
    const { object, managedFields } = apply(withManaged(deployment(2), managed), deployment(3), 'kubectl', true);
    expect(object).toMatchObject({ spec: { replicas: 3 } });
    expect(paths(FieldSet.fromFieldsV1(managedFields[0]!.fieldsV1))).not.toContain('.spec.replicas');
    expect(paths(FieldSet.fromFieldsV1(managedFields[1]!.fieldsV1))).toContain('.spec.replicas');
  });

  it('removes a field the applier stops applying when no one else owns it, and keeps it when someone does', () => {
    const first = apply(undefined, deployment(2, 'x', { minReadySeconds: 5 }));
    const second = apply(withManaged(first.object, first.managedFields), deployment(2, 'x'));
    expect((second.object.spec as Record<string, unknown>).minReadySeconds).toBeUndefined();

    const shared = apply(withManaged(first.object, first.managedFields), deployment(2, 'x', { minReadySeconds: 5 }), 'other');
    const third = apply(withManaged(shared.object, shared.managedFields), deployment(2, 'x'));
    expect((third.object.spec as Record<string, unknown>).minReadySeconds).toBe(5);
  });

  it('merges list-map items by key: another manager’s container stays, the applier’s dropped container goes', () => {
    const withContainers = (...names: string[]) => ({ ...deployment(1), spec: { ...deployment(1).spec, template: { metadata: { labels: { app: 'web' } }, spec: { containers: names.map((name) => ({ name, image: `${name}:1` })) } } } });
    const a = apply(undefined, withContainers('web', 'log'));
    const b = apply(withManaged(a.object, a.managedFields), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'sidecar:1' }] } } } }, 'mesh');
    const c = apply(withManaged(b.object, b.managedFields), withContainers('web'));
    const containers = ((c.object.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers).map((x) => x.name);
    expect(containers).toEqual(['web', 'sidecar']);
  });
});

import { describe, expect, it } from 'vitest';
import { FieldSet, formatFieldPath } from '../api/managedfields.js';
import { VirtualClock } from '../clock/virtual.js';
import { seededRng } from '../rng/seeded.js';
import { ApiServer } from './server.js';
import { testRegistry, ScalableWidgets as Widgets } from '../testing/index.js';

// Upstream's field manager for non-apply requests: a write that names its field manager is
// recorded in managedFields as an Update; one that leaves managedFields out keeps them.
function newServer(): ApiServer {
  return new ApiServer({ clock: new VirtualClock(), rng: seededRng(7), registry: testRegistry() });
}

const widget = (name: string) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, namespace: 'default', labels: { app: name } }, spec: { replicas: 1 } }) as never;
const owned = (entry: { fieldsV1?: Record<string, unknown> | undefined }) => FieldSet.fromFieldsV1(entry.fieldsV1).paths().map(formatFieldPath);

describe('ApiServer: managedFields of Update requests', () => {
  it('records the creator, then moves a field an updater changes to the updater', async () => {
    const server = newServer();
    const created = await server.create(Widgets, widget('a'), { fieldManager: 'creator' });
    expect(created.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'creator', operation: 'Update', apiVersion: 'example.com/v1', fieldsType: 'FieldsV1', time: '2026-01-01T00:00:00Z' })]);
    expect(owned(created.metadata.managedFields![0]!)).toContain('.spec.replicas');

    const updated = await server.update(Widgets, { ...created, spec: { ...created.spec, replicas: 3 } }, { fieldManager: 'scaler' });
    expect(updated.metadata.managedFields!.map((e) => e.manager)).toEqual(['creator', 'scaler']);
    expect(owned(updated.metadata.managedFields![0]!)).not.toContain('.spec.replicas');
    expect(owned(updated.metadata.managedFields![1]!)).toEqual(['.spec.replicas']);
  });

  it('keeps managedFields when an update leaves them out, and records nothing for a writer that names no manager', async () => {
    const server = newServer();
    const created = await server.create(Widgets, widget('a'), { fieldManager: 'creator' });
    const { managedFields: _dropped, ...metadata } = created.metadata;
    const updated = await server.update(Widgets, { ...created, metadata, spec: { ...created.spec, replicas: 2 } });
    expect(updated.metadata.managedFields).toEqual(created.metadata.managedFields);
  });

  it('leaves an unchanged object alone: no new entry, no new resourceVersion', async () => {
    const server = newServer();
    const created = await server.create(Widgets, widget('a'), { fieldManager: 'creator' });
    const again = await server.update(Widgets, created, { fieldManager: 'other' });
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(again.metadata.managedFields).toEqual(created.metadata.managedFields);
  });
});

/**
 * The DefaultStorageClass admission hook on an API server: what `kubectl get pvc` then shows in
 * its STORAGECLASS column.
 */
import { describe, expect, it } from 'vitest';
import { ApiServer, DEFAULT_STORAGE_CLASS_ANNOTATION, PersistentVolumeClaims, StorageClasses, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { defaultStorageClassAdmission } from './admission.js';

const claim = (name: string, storageClassName?: string) => ({
  apiVersion: 'v1' as const,
  kind: 'PersistentVolumeClaim' as const,
  metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce' as const], resources: { requests: { storage: '1Gi' } }, ...(storageClassName === undefined ? {} : { storageClassName }) },
});
const storageClass = (name: string, isDefault: boolean) => ({
  apiVersion: 'storage.k8s.io/v1' as const,
  kind: 'StorageClass' as const,
  metadata: { name, ...(isDefault ? { annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } } : {}) },
  provisioner: 'example.com/disk',
});

describe('DefaultStorageClass admission', () => {
  it('gives a claim created without a class the default class, and leaves a named class, "" (no class) and updates alone', async () => {
    const clock = new VirtualClock();
    const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
    server.addAdmissionHook(defaultStorageClassAdmission());
    const className = async (name: string) => (await server.get(PersistentVolumeClaims, { namespace: 'default', name })).spec.storageClassName;

    // No default class yet: nothing to fill in.
    await server.create(PersistentVolumeClaims, claim('early'));
    expect(await className('early')).toBeUndefined();

    await server.create(StorageClasses, storageClass('fast', false));
    await server.create(StorageClasses, storageClass('standard', true));
    clock.advance(1000);
    // The newest default wins when two are marked (upstream GetDefaultClass).
    await server.create(StorageClasses, storageClass('newer', true));
    for (const c of [claim('plain'), claim('named', 'fast'), claim('none', '')]) await server.create(PersistentVolumeClaims, c);
    expect(await className('plain')).toBe('newer');
    expect(await className('named')).toBe('fast');
    expect(await className('none')).toBe('');
    // A claim that existed before is not changed by a later write (CREATE only).
    const early = await server.get(PersistentVolumeClaims, { namespace: 'default', name: 'early' });
    await server.update(PersistentVolumeClaims, { ...early, metadata: { ...early.metadata, labels: { touched: 'yes' } } });
    expect(await className('early')).toBeUndefined();
  });
});

/**
 * Namespace lifecycle: namespaced objects need an existing namespace that is not terminating
 * (upstream's `NamespaceLifecycle` admission), and deleting a namespace deletes everything in
 * it and removes the namespace once it is empty and has no finalizers. Upstream splits the
 * latter between the API server and the namespace controller; the store does both so that a
 * namespace deletion completes without extra controllers.
 *
 * @module
 */
import { ApiError, notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceDefinition } from '../../api/registry.js';
import { formatTime } from '../../clock/clock.js';
import { isStorageError, type StorageKey } from '../storage.js';
import type { RegistryStore } from './store.js';

/**
 * Rejects content for a namespace that does not exist (404) or is terminating (403). Returns a
 * promise only when the cache does not know the namespace and the storage must be asked.
 */
export function checkNamespace(store: RegistryStore, namespace: string, resource: ResourceDefinition, name: string): Promise<void> | undefined {
  const namespaces = store.registry.forResource('namespaces');
  if (!namespaces) return undefined;
  const key: StorageKey = { resource: namespaces.resource, name: namespace };
  const cached = store.storage.cache.get(key);
  if (cached) return rejectIfTerminating(cached, resource, name);
  return store.storage.get(key).then((ns) => {
    if (!ns) throw notFound('namespaces', '', namespace);
    rejectIfTerminating(ns, resource, name);
  });
}

function rejectIfTerminating(ns: KubeObject, resource: ResourceDefinition, name: string): undefined {
  if (!ns.metadata.deletionTimestamp) return undefined;
  throw new ApiError(
    'Forbidden',
    `${resource.resource} "${name}" is forbidden: unable to create new content in namespace ${ns.metadata.name} because it is being terminated`,
    { name, group: resource.group, kind: resource.plural },
  );
}

/**
 * Deletes a namespace: it goes `Terminating` (with `deletionTimestamp` and the finalizers the
 * propagation policy leaves), everything in it is deleted (background propagation), and it is
 * removed once empty. Returns the namespace as it is after the request.
 */
export async function deleteNamespace(
  store: RegistryStore,
  key: StorageKey,
  old: KubeObject,
  finalizers: ReadonlySet<string>,
  now: number,
): Promise<KubeObject> {
  const name = old.metadata.name ?? '';
  let current = old;
  if (!old.metadata.deletionTimestamp) {
    const next = {
      ...old,
      metadata: { ...old.metadata, deletionTimestamp: formatTime(now), ...(finalizers.size > 0 ? { finalizers: [...finalizers] } : {}) },
      status: { ...(old as { status?: object }).status, phase: 'Terminating' },
    } as KubeObject;
    current = await store.write(key, next, old, false);
    for (const def of store.registry.all()) {
      if (!def.namespaced) continue;
      for (const obj of store.storage.cache.list({ resource: def.resource, namespace: name })) {
        if (!obj.metadata.deletionTimestamp) await store.delete(def, { namespace: name, name: obj.metadata.name ?? '' }, {});
      }
    }
  }
  await removeNamespaceIfEmpty(store, name);
  return store.storage.cache.get(key) ?? (await store.storage.get(key)) ?? current;
}

/** Removes a terminating namespace that has no finalizers once nothing is left in it. */
export async function removeNamespaceIfEmpty(store: RegistryStore, name: string): Promise<void> {
  const namespaces = store.registry.forResource('namespaces');
  if (!namespaces) return;
  const key: StorageKey = { resource: namespaces.resource, name };
  const ns = store.storage.cache.get(key);
  if (!ns?.metadata.deletionTimestamp || (ns.metadata.finalizers ?? []).length > 0) return;
  for (const def of store.registry.all()) {
    if (def.namespaced && store.storage.cache.count({ resource: def.resource, namespace: name }) > 0) return;
  }
  try {
    await store.remove(namespaces, key, ns, ns);
  } catch (e) {
    // Another writer changed or removed the namespace meanwhile: its write decides again.
    if (!isStorageError(e, 'conflict') && !isStorageError(e, 'key-not-found')) throw e;
  }
}

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
import { internalWrite } from './verbs.js';
import { formatTime } from '../../clock/clock.js';
import type { DeleteOptions } from '../../client/types.js';
import type { StorageKey, UpdateDecision } from '../storage.js';
import { finalizersAfterDelete } from './finalizers.js';
import { write, type RegistryStore } from './store.js';

/**
 * Rejects content for a namespace that does not exist (404) or is terminating (403), as
 * upstream's admission plugin: from the cache, and from the storage only when the cache does
 * not know the namespace (then the check is a promise).
 */
export function checkNamespace(store: RegistryStore, namespace: string, resource: ResourceDefinition, name: string): Promise<void> | undefined {
  const namespaces = store.registry.forResource('namespaces');
  if (!namespaces) return undefined;
  const key: StorageKey = { resource: namespaces.resource, name: namespace };
  const cached = store.storage.cache.get(key);
  if (cached) return rejectIfTerminating(cached, resource, name);
  return store.storage.get(key, { ignoreNotFound: true }).then((ns) => {
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
 * removed once empty. Resolves with the namespace as it is after the request.
 */
export async function deleteNamespace(store: RegistryStore, resource: ResourceDefinition, key: StorageKey, options: DeleteOptions): Promise<KubeObject> {
  let marked = false;
  const current = await store.guaranteedUpdate(resource, key, (old): UpdateDecision => {
    store.checkDelete(resource, key, old, options);
    if (options.dryRun || old.metadata.deletionTimestamp) return { type: 'none', result: old };
    const finalizers = finalizersAfterDelete(old.metadata.finalizers, options.propagationPolicy);
    const next = {
      ...old,
      metadata: { ...old.metadata, deletionTimestamp: formatTime(store.clock.now()), ...(finalizers.size > 0 ? { finalizers: [...finalizers] } : {}) },
      status: { ...(old as { status?: object }).status, phase: 'Terminating' },
    } as KubeObject;
    marked = true;
    return write(next, old, false);
  });
  if (options.dryRun) return current;
  const name = key.name;
  if (marked) {
    for (const def of store.registry.all()) {
      if (!def.namespaced) continue;
      for (const obj of (await store.storage.list({ resource: def.resource, namespace: name })).items) {
        // The API server's own cleanup: also what clients may not delete (the metrics API).
        if (!obj.metadata.deletionTimestamp) await store.delete(def, { namespace: name, name: obj.metadata.name ?? '' }, internalWrite({}));
      }
    }
  }
  await removeNamespaceIfEmpty(store, name);
  return (await store.storage.get(key, { ignoreNotFound: true })) ?? current;
}

/**
 * Removes a terminating namespace that has no finalizers once nothing is left in it, reading
 * the storage. Resolves when done; a namespace that changed meanwhile is left to its next change.
 */
export async function removeNamespaceIfEmpty(store: RegistryStore, name: string): Promise<void> {
  const namespaces = store.registry.forResource('namespaces');
  if (!namespaces) return;
  const key: StorageKey = { resource: namespaces.resource, name };
  const ns = await store.storage.get(key, { ignoreNotFound: true });
  if (!ns?.metadata.deletionTimestamp || (ns.metadata.finalizers ?? []).length > 0) return;
  for (const def of store.registry.all()) {
    if (def.namespaced && (await store.storage.count({ resource: def.resource, namespace: name })) > 0) return;
  }
  await removeIfStillDone(store, namespaces, key).catch(() => undefined);
}

/**
 * {@link removeNamespaceIfEmpty} from the cache, started at once: what a removal leaves behind
 * is acted on in the same turn when the cache already shows it (always, in memory).
 */
export function removeNamespaceIfEmptyNow(store: RegistryStore, name: string): void {
  const namespaces = store.registry.forResource('namespaces');
  if (!namespaces) return;
  const key: StorageKey = { resource: namespaces.resource, name };
  const ns = store.storage.cache.get(key);
  if (!ns?.metadata.deletionTimestamp || (ns.metadata.finalizers ?? []).length > 0) return;
  for (const def of store.registry.all()) {
    if (def.namespaced && store.storage.cache.count({ resource: def.resource, namespace: name }) > 0) return;
  }
  removeIfStillDone(store, namespaces, key).catch(() => undefined);
}

/** Removes the namespace if, as stored, it is still terminating without finalizers. */
function removeIfStillDone(store: RegistryStore, namespaces: ResourceDefinition, key: StorageKey): Promise<unknown> {
  return store.guaranteedUpdate(namespaces, key, (ns) =>
    ns.metadata.deletionTimestamp && (ns.metadata.finalizers ?? []).length === 0 ? { type: 'remove', last: ns, result: ns } : { type: 'none', result: ns },
  );
}

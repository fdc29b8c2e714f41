/**
 * The gallery: a tiny ReplicaSet-like controller over ConfigMaps, with deliberate bugs that the
 * toolkit must catch. Used only by the toolkit's own tests; not exported from the package.
 *
 * A "set" is a ConfigMap labelled `gallery.kubeloop.dev/role: set` whose `data.replicas` says
 * how many "members" it wants: ConfigMaps named `<set>-<suffix>`, labelled
 * `gallery.kubeloop.dev/set: <set>`, controlled by the set (an owner reference with
 * `controller: true`). On deletion the set's finalizer makes the controller delete its members
 * first.
 *
 * @module
 */
import { ConfigMaps, controllerFor, done, isApiError, requeueAfter } from '@kubeloop/core';
import type { ConfigMap, KubeObject, Manager, Plugin } from '@kubeloop/core';
import { isControlledBy, newControllerRef } from '@kubeloop/controllers';

/** The label that marks a set. */
export const ROLE_LABEL = 'gallery.kubeloop.dev/role';
/** The label that names a member's set. */
export const SET_LABEL = 'gallery.kubeloop.dev/set';
/** The finalizer of a set. */
export const CLEANUP_FINALIZER = 'gallery.kubeloop.dev/cleanup';
/** The annotation a set carries while its members are being deleted. */
export const CLEANUP_ANNOTATION = 'gallery.kubeloop.dev/cleanup';

/** Which deliberate bugs a set controller has (all false: the correct controller). */
export interface SetBugs {
  /** Counts members in its informer cache and creates the missing ones (a stale cache over-creates). */
  readonly trustsStaleCache?: boolean | undefined;
  /** Acts on the change of `replicas` it remembers, never recounting (misses a member's deletion). */
  readonly edgeTriggered?: boolean | undefined;
  /** Takes every ConfigMap with the set label as a member, owned or not (deletes what it does not own). */
  readonly ignoresOwnership?: boolean | undefined;
  /** Skips the cleanup of a set already marked in progress (after a crash, the finalizer stays). */
  readonly skipsCleanupInProgress?: boolean | undefined;
}

const replicasOf = (set: ConfigMap) => Math.max(0, Number.parseInt(set.data?.['replicas'] ?? '0', 10) || 0);

/** A set controller with the given bugs, as a plugin for the controller manager. */
export function setController(bugs: SetBugs = {}): Plugin {
  return {
    name: `gallery/sets${Object.entries(bugs).filter(([, v]) => v === true).map(([k]) => `-${k}`).join('')}`,
    register(api) {
      api.addController((manager) => {
        const remembered = new Map<string, number>();
        return controllerFor(manager, ConfigMaps)
          .owns(ConfigMaps)
          .complete(async (request) => {
            const set = manager.cache(ConfigMaps).get(request);
            if (set === undefined || set.metadata.labels?.[ROLE_LABEL] !== 'set') return done;
            const members = await listMembers(manager, set, bugs);
            if (set.metadata.deletionTimestamp !== undefined) return cleanup(manager, set, members, bugs);
            if (!(set.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
              await manager.client.update(ConfigMaps, { ...set, metadata: { ...set.metadata, finalizers: [...(set.metadata.finalizers ?? []), CLEANUP_FINALIZER] } });
              return done;
            }
            const want = replicasOf(set);
            let diff: number;
            if (bugs.edgeTriggered === true) {
              const key = `${request.namespace}/${request.name}`;
              diff = want - (remembered.get(key) ?? 0);
              remembered.set(key, want);
            } else {
              diff = want - members.length;
            }
            for (let i = 0; i < diff; i++) {
              await manager.client.create(ConfigMaps, {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { generateName: `${set.metadata.name}-`, namespace: set.metadata.namespace, labels: { [SET_LABEL]: set.metadata.name ?? '' }, ownerReferences: [newControllerRef(set)] },
              });
            }
            for (const m of members.slice(0, Math.max(0, -diff))) await deleteQuietly(manager, m);
            // Resync: a periodic recount, as controllers do.
            return requeueAfter(1_000);
          });
      });
    },
  };
}

async function listMembers(manager: Manager, set: ConfigMap, bugs: SetBugs): Promise<ConfigMap[]> {
  const selector = { matchLabels: { [SET_LABEL]: set.metadata.name ?? '' } };
  const all =
    bugs.trustsStaleCache === true
      ? manager.cache(ConfigMaps).list(set.metadata.namespace).filter((c) => c.metadata.labels?.[SET_LABEL] === set.metadata.name)
      : (await manager.client.list(ConfigMaps, { namespace: set.metadata.namespace, labelSelector: selector })).items;
  const live = all.filter((c) => c.metadata.deletionTimestamp === undefined);
  const members = bugs.ignoresOwnership === true ? live : live.filter((c) => isControlledBy(c, set));
  return members.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

async function deleteQuietly(manager: Manager, object: KubeObject): Promise<void> {
  try {
    await manager.client.delete(ConfigMaps, { namespace: object.metadata.namespace, name: object.metadata.name ?? '' });
  } catch (e) {
    if (!isApiError(e, 'NotFound')) throw e;
  }
}

async function cleanup(manager: Manager, set: ConfigMap, members: readonly ConfigMap[], bugs: SetBugs) {
  if (!(set.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return done;
  const inProgress = set.metadata.annotations?.[CLEANUP_ANNOTATION] === 'in-progress';
  // The bug: "in progress" is taken to mean another worker is on it — true only within one process.
  if (inProgress && bugs.skipsCleanupInProgress === true) return done;
  let current = set;
  if (!inProgress) current = await manager.client.update(ConfigMaps, { ...set, metadata: { ...set.metadata, annotations: { ...set.metadata.annotations, [CLEANUP_ANNOTATION]: 'in-progress' } } });
  for (const m of members) await deleteQuietly(manager, m);
  await manager.client.update(ConfigMaps, { ...current, metadata: { ...current.metadata, finalizers: (current.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER) } });
  return done;
}

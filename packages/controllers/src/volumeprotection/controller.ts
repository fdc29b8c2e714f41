/**
 * The PVC and PV protection controllers' reconciles (upstream `pkg/controller/volume/pvcprotection`
 * and `pvprotection`): read the caches (and, before letting a claim go, the API server), call the
 * pure rules of `decide.ts`, write the finalizer.
 *
 * @module
 */
import { PersistentVolumeClaims, PersistentVolumes, Pods, controllerFor, done, isApiError } from '@kubeloop/core';
import type { Controller, Manager, PersistentVolumeClaim, Pod, Reconciler, Request, Result } from '@kubeloop/core';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, claimsOfPod, isDeletionCandidate, needToAddFinalizer, podEventMayReleaseClaims, podUsesClaim, volumeInUse, withFinalizer, withoutFinalizer } from './decide.js';

/** The PVC protection controller's name (as kube-controller-manager's `persistentvolumeclaim-protection`). */
export const PVC_PROTECTION_CONTROLLER_NAME = 'persistentvolumeclaim-protection';
/** The PV protection controller's name (as kube-controller-manager's `persistentvolume-protection`). */
export const PV_PROTECTION_CONTROLLER_NAME = 'persistentvolume-protection';

/**
 * The PVC protection reconciler (upstream `pvcprotection.Controller.processPVC`): a claim being
 * deleted loses `kubernetes.io/pvc-protection` once no pod uses it ({@link podUsesClaim}); a
 * claim not being deleted gets the finalizer if it lacks it (claims created before admission
 * added it).
 *
 * Guarantees: the finalizer goes only when neither the pod cache nor a live list of the claim's
 * namespace shows a pod using it (the cache may lag a pod just created, as upstream's
 * `askInformer` then `askAPIServer`); the write carries the claim's resourceVersion, so a claim
 * changed meanwhile conflicts and is looked at again.
 *
 * Errors: a failed read or write is thrown and the claim retried with backoff; a claim already
 * gone is done.
 */
export class PvcProtectionReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** One sync of the claim `request`. */
  async reconcile(request: Request): Promise<Result> {
    const claim = this.#manager.cache(PersistentVolumeClaims).get(request);
    if (claim === undefined) return done;
    if (isDeletionCandidate(claim, PVC_PROTECTION_FINALIZER)) {
      if (!(await this.#inUse(claim))) await this.#write(withoutFinalizer(claim, PVC_PROTECTION_FINALIZER));
      return done;
    }
    if (needToAddFinalizer(claim, PVC_PROTECTION_FINALIZER)) await this.#write(withFinalizer(claim, PVC_PROTECTION_FINALIZER));
    return done;
  }

  /** Upstream `isBeingUsed`: the pod cache first, then a live list of the namespace. */
  async #inUse(claim: PersistentVolumeClaim): Promise<boolean> {
    const namespace = claim.metadata.namespace ?? '';
    const name = claim.metadata.name ?? '';
    if (this.#manager.cache(Pods).list(namespace).some((p) => podUsesClaim(p, name))) return true;
    const live = await this.#manager.client.list(Pods, { namespace });
    return live.items.some((p) => podUsesClaim(p, name));
  }

  async #write(claim: PersistentVolumeClaim): Promise<void> {
    try {
      await this.#manager.client.update(PersistentVolumeClaims, claim);
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
  }
}

/**
 * The PV protection reconciler (upstream `pvprotection.Controller.processPV`): a volume being
 * deleted loses `kubernetes.io/pv-protection` once it is not `Bound` ({@link volumeInUse}); a
 * volume not being deleted gets the finalizer if it lacks it.
 *
 * Errors: a failed write is thrown and the volume retried with backoff.
 */
export class PvProtectionReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** One sync of the volume `request`. */
  async reconcile(request: Request): Promise<Result> {
    const volume = this.#manager.cache(PersistentVolumes).get(request);
    if (volume === undefined) return done;
    let next = volume;
    if (isDeletionCandidate(volume, PV_PROTECTION_FINALIZER)) {
      if (!volumeInUse(volume)) next = withoutFinalizer(volume, PV_PROTECTION_FINALIZER);
    } else if (needToAddFinalizer(volume, PV_PROTECTION_FINALIZER)) {
      next = withFinalizer(volume, PV_PROTECTION_FINALIZER);
    }
    if (next === volume) return done;
    try {
      await this.#manager.client.update(PersistentVolumes, next);
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
    return done;
  }
}

/** The claims a pod event asks to look at (upstream `podAddedDeletedUpdated` + `enqueuePVCs`). */
function claimsToCheck(pod: Pod, deleted: boolean): Request[] {
  if (!podEventMayReleaseClaims(pod, deleted)) return [];
  const namespace = pod.metadata.namespace ?? '';
  return claimsOfPod(pod).map((name) => ({ namespace, name }));
}

/**
 * Builds the PVC protection controller: claims, and the claims of pods that were deleted, have
 * terminated or are not scheduled (an update that hides a delete and a re-create under the same
 * name looks at the old pod's claims too, as upstream).
 */
export function pvcProtectionController(manager: Manager): Controller {
  return controllerFor(manager, PersistentVolumeClaims)
    .named(PVC_PROTECTION_CONTROLLER_NAME)
    .watches(Pods, {
      map(event) {
        if (event.type === 'delete') return claimsToCheck(event.object, true);
        const out = claimsToCheck(event.object, false);
        if (event.type === 'update' && event.old.metadata.uid !== event.object.metadata.uid) out.push(...claimsToCheck(event.old, true));
        return out;
      },
    })
    .complete(new PvcProtectionReconciler(manager));
}

/** Builds the PV protection controller: volumes. */
export function pvProtectionController(manager: Manager): Controller {
  return controllerFor(manager, PersistentVolumes).named(PV_PROTECTION_CONTROLLER_NAME).complete(new PvProtectionReconciler(manager));
}


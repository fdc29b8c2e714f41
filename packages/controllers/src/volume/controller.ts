/**
 * The PersistentVolume controller's reconciles (upstream `PersistentVolumeController`
 * `syncClaim` / `syncVolume`, with the simulated cluster's provisioner standing in for an
 * external one such as kind's local-path provisioner): read the caches, call the pure
 * decisions of `decide.ts`, write.
 *
 * @module
 */
import { PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses, controllerFor, done, isApiError, objectKey } from '@kubeloop/core';
import type { Controller, Manager, PersistentVolume, PersistentVolumeClaim, Reconciler, Request, Result, StorageClass } from '@kubeloop/core';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  NO_PROVISIONER_NAME,
  claimClass,
  delayBindingEvent,
  findBestMatch,
  provisionedVolume,
  unscheduledPodsUsing,
  volumeRefersTo,
} from './decide.js';

/** The controller's name (as kube-controller-manager's `persistentvolume-binder`). */
export const PV_BINDER_CONTROLLER_NAME = 'persistentvolume-binder';
/** The component events are recorded under, as upstream's. */
export const PV_CONTROLLER_COMPONENT = 'persistentvolume-controller';

/** Options of the PersistentVolume controller. */
export interface PersistentVolumeControllerOptions {
  /**
   * The provisioners the simulated cluster runs (default: every provisioner name). A claim of
   * a class whose provisioner is not listed stays Pending, waiting for it, as upstream.
   */
  readonly provisioners?: readonly string[] | undefined;
  /**
   * Install the DefaultStorageClass admission hook on the host's API server (default true, as
   * kube-apiserver enables it by default): a claim created without a class gets the default's.
   */
  readonly admission?: boolean | undefined;
}

const YES = 'yes';

/**
 * The claim side of the binder (upstream `syncClaim` + `provisionClaim`): an unbound claim is
 * bound to the best matching volume ({@link findBestMatch}), both ways, or, with none, its
 * class's provisioner makes one; a bound claim whose volume lost it is `Lost`.
 *
 * A claim whose class binds `WaitForFirstConsumer` is only bound to a volume pre-bound to it
 * (the scheduler's PreBind writes a chosen volume's `claimRef`), and only provisioned once the
 * scheduler has annotated it with `volume.kubernetes.io/selected-node`; the volume is then
 * pinned to that node. Until then it stays Pending with upstream's `WaitForFirstConsumer` event
 * (`WaitForPodScheduled` while a pod using it waits for the scheduler).
 *
 * Guarantees: a volume is bound to at most one claim: the volume's `claimRef` is written first
 * (with its resourceVersion, so two claims racing for one volume conflict), then the claim.
 *
 * Errors: a failed write is thrown and the claim retried with backoff.
 */
export class ClaimReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #provisioners: ReadonlySet<string> | undefined;

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager, options: PersistentVolumeControllerOptions) {
    this.#manager = manager;
    this.#provisioners = options.provisioners === undefined ? undefined : new Set(options.provisioners);
  }

  /** One sync of the claim `request`. */
  async reconcile(request: Request): Promise<Result> {
    const claim = this.#manager.cache(PersistentVolumeClaims).get(request);
    if (claim === undefined || claim.metadata.deletionTimestamp !== undefined) return done;
    const volumes = this.#manager.cache(PersistentVolumes).list();
    if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== undefined && claim.spec.volumeName) {
      const pv = volumes.find((v) => v.metadata.name === claim.spec.volumeName);
      if (pv !== undefined && volumeRefersTo(pv, claim)) {
        if (claim.status.phase !== 'Bound') await this.#claimBound(claim, pv);
      } else if (pv === undefined || (pv.spec.claimRef !== undefined && !volumeRefersTo(pv, claim))) {
        if (claim.status.phase !== 'Lost') {
          await this.#manager.client.updateStatus(PersistentVolumeClaims, { ...claim, status: { ...claim.status, phase: 'Lost' } });
          void this.#recorder().event(claim, 'Warning', pv === undefined ? 'ClaimLost' : 'ClaimMisbound', pv === undefined ? 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' : 'Two claims are bound to the same volume, this one is bound incorrectly');
        }
      }
      return done;
    }
    const classes = this.#manager.cache(StorageClasses).list();
    const className = claimClass(claim, classes);
    const sc = className === '' ? undefined : classes.find((c) => c.metadata.name === className);
    // Upstream IsDelayBindingMode: the scheduler picks the node, then this controller binds or provisions.
    const delayBinding = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    let pv: PersistentVolume | undefined;
    if (claim.spec.volumeName) {
      // Pre-bound by the user to a volume: bind to it once it exists and is free.
      pv = volumes.find((v) => v.metadata.name === claim.spec.volumeName);
      if (pv === undefined || (pv.spec.claimRef !== undefined && !volumeRefersTo(pv, claim))) {
        await this.#pending(claim);
        return done;
      }
    } else {
      pv = findBestMatch(claim, volumes, className, { delayBinding });
    }
    if (pv !== undefined) {
      await this.#bind(claim, pv);
      return done;
    }
    await this.#pending(claim);
    if (className === '') {
      void this.#recorder().event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return done;
    }
    if (sc === undefined) {
      void this.#recorder().event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return done;
    }
    if (delayBinding && (claim.metadata.annotations?.[ANN_SELECTED_NODE] ?? '') === '') {
      const { reason, message } = delayBindingEvent(unscheduledPodsUsing(claim, this.#manager.cache(Pods).list()));
      void this.#recorder().event(claim, 'Normal', reason, message);
      return done;
    }
    if (sc.provisioner === NO_PROVISIONER_NAME) {
      void this.#recorder().event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return done;
    }
    await this.#provision(claim, sc);
    return done;
  }

  #recorder() {
    return this.#manager.recorder(PV_CONTROLLER_COMPONENT);
  }

  async #pending(claim: PersistentVolumeClaim): Promise<void> {
    if (claim.status.phase === 'Pending') return;
    await this.#manager.client.updateStatus(PersistentVolumeClaims, { ...claim, status: { ...claim.status, phase: 'Pending' } });
  }

  /** Upstream `bind`: the volume's claimRef and phase first, then the claim's volumeName, annotations and phase. */
  async #bind(claim: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    const { client } = this.#manager;
    let volume = pv;
    const ref = pv.spec.claimRef;
    if (ref === undefined || ref.uid === undefined || ref.uid === '') {
      volume = await client.update(PersistentVolumes, {
        ...pv,
        metadata: { ...pv.metadata, annotations: { ...(pv.metadata.annotations ?? {}), ...(ref === undefined ? { [ANN_BOUND_BY_CONTROLLER]: YES } : {}) } },
        spec: { ...pv.spec, claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace ?? '', name: claim.metadata.name ?? '', uid: claim.metadata.uid ?? '', resourceVersion: claim.metadata.resourceVersion ?? '' } },
      });
    }
    if (volume.status.phase !== 'Bound') volume = await client.updateStatus(PersistentVolumes, { ...volume, status: { ...volume.status, phase: 'Bound' } });
    const boundByController = claim.spec.volumeName === undefined || claim.spec.volumeName === '';
    const updated = await client.update(PersistentVolumeClaims, {
      ...claim,
      metadata: { ...claim.metadata, annotations: { ...(claim.metadata.annotations ?? {}), [ANN_BIND_COMPLETED]: YES, ...(boundByController ? { [ANN_BOUND_BY_CONTROLLER]: YES } : {}) } },
      spec: { ...claim.spec, volumeName: volume.metadata.name ?? '' },
    });
    await this.#claimBound(updated, volume);
  }

  async #claimBound(claim: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    await this.#manager.client.updateStatus(PersistentVolumeClaims, {
      ...claim,
      status: { ...claim.status, phase: 'Bound', accessModes: [...(pv.spec.accessModes ?? [])], capacity: { ...(pv.spec.capacity ?? {}) } },
    });
  }

  /** Asks the class's provisioner for a volume and, as the simulated provisioner, makes it. */
  async #provision(claim: PersistentVolumeClaim, sc: StorageClass): Promise<void> {
    const { client } = this.#manager;
    const recorder = this.#recorder();
    let current = claim;
    if (claim.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== sc.provisioner) {
      current = await client.update(PersistentVolumeClaims, {
        ...claim,
        metadata: { ...claim.metadata, annotations: { ...(claim.metadata.annotations ?? {}), [ANN_STORAGE_PROVISIONER]: sc.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner } },
      });
    }
    void recorder.event(current, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
    if (this.#provisioners !== undefined && !this.#provisioners.has(sc.provisioner)) return;
    const volume = provisionedVolume(current, sc);
    void recorder.event(current, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${current.metadata.namespace ?? ''}/${current.metadata.name ?? ''}"`);
    try {
      await client.create(PersistentVolumes, volume);
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
      return;
    }
    void recorder.event(current, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volume.metadata.name ?? ''}`);
  }
}

/**
 * The volume side of the binder (upstream `syncVolume`): a volume without a claim is
 * `Available`; a volume bound to a claim that exists is `Bound`; a volume whose claim is gone is
 * `Released`, then, under reclaim policy `Delete`, deleted (upstream `reclaimVolume`). Volumes
 * being deleted are synced too, so that one held by its `kubernetes.io/pv-protection` finalizer
 * while Bound is Released once its claim goes.
 */
export class VolumeReconciler implements Reconciler {
  readonly #manager: Manager;

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** One sync of the volume `request`. */
  async reconcile(request: Request): Promise<Result> {
    const pv = this.#manager.cache(PersistentVolumes).get(request);
    if (pv === undefined) return done;
    const { client } = this.#manager;
    const ref = pv.spec.claimRef;
    if (ref === undefined) {
      if (pv.status.phase !== 'Available') await client.updateStatus(PersistentVolumes, { ...pv, status: { ...pv.status, phase: 'Available' } });
      return done;
    }
    if (ref.uid === undefined || ref.uid === '') {
      // Pre-bound by the user to a claim the claim side binds.
      if (pv.status.phase !== 'Available') await client.updateStatus(PersistentVolumes, { ...pv, status: { ...pv.status, phase: 'Available' } });
      return done;
    }
    let claim: PersistentVolumeClaim | undefined = this.#manager.cache(PersistentVolumeClaims).get({ namespace: ref.namespace ?? '', name: ref.name ?? '' });
    if (claim === undefined || claim.metadata.uid !== ref.uid) {
      // The cache may lag behind a claim just created: ask the server before releasing.
      try {
        claim = await client.get(PersistentVolumeClaims, { namespace: ref.namespace ?? '', name: ref.name ?? '' });
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
        claim = undefined;
      }
    }
    if (claim !== undefined && claim.metadata.uid === ref.uid) {
      if (claim.spec.volumeName === pv.metadata.name && pv.status.phase !== 'Bound') await client.updateStatus(PersistentVolumes, { ...pv, status: { ...pv.status, phase: 'Bound' } });
      return done;
    }
    // The claim is gone: the volume is Released first (so that a volume being deleted, held by
    // its pv-protection finalizer while Bound, may go), then reclaimed.
    if (pv.status.phase !== 'Released' && pv.status.phase !== 'Failed') await client.updateStatus(PersistentVolumes, { ...pv, status: { ...pv.status, phase: 'Released' } });
    if (pv.spec.persistentVolumeReclaimPolicy === 'Delete' && pv.metadata.deletionTimestamp === undefined) {
      try {
        await client.delete(PersistentVolumes, objectKey(pv));
      } catch (error) {
        if (!isApiError(error, 'NotFound')) throw error;
      }
    }
    return done;
  }
}

/** Builds the binder's claim controller: claims, and the volumes and classes they wait for. */
export function claimController(manager: Manager, options: PersistentVolumeControllerOptions = {}): Controller {
  manager.cache(Pods); // the pods waiting for a WaitForFirstConsumer claim, named in its event
  const unbound = (): Request[] =>
    manager
      .cache(PersistentVolumeClaims)
      .list()
      .filter((c) => c.status.phase !== 'Bound')
      .map((c) => objectKey(c));
  return controllerFor(manager, PersistentVolumeClaims)
    .named(PV_BINDER_CONTROLLER_NAME)
    .watches(PersistentVolumes, {
      map(event) {
        const ref = event.object.spec.claimRef;
        const out = unbound();
        if (ref !== undefined) out.push({ namespace: ref.namespace ?? '', name: ref.name ?? '' });
        return out;
      },
    })
    .watches(StorageClasses, { map: () => unbound() })
    .complete(new ClaimReconciler(manager, options));
}

/** Builds the binder's volume controller: volumes, and the claims they are bound to. */
export function volumeController(manager: Manager): Controller {
  return controllerFor(manager, PersistentVolumes)
    .named('persistentvolume-volume')
    .watches(PersistentVolumeClaims, {
      map(event) {
        const claim = event.object;
        return manager
          .cache(PersistentVolumes)
          .list()
          .filter((v) => v.spec.claimRef?.name === claim.metadata.name && v.spec.claimRef?.namespace === claim.metadata.namespace)
          .map((v) => objectKey(v));
      },
    })
    .complete(new VolumeReconciler(manager));
}

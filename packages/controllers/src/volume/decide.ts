/**
 * The PersistentVolume binder's pure decisions (upstream `pkg/controller/volume/persistentvolume`
 * `index.go` `findMatchingVolume` and `pv_controller.go`): which volume a claim binds to, the
 * class a claim asks for, the volume a provisioner makes for it.
 *
 * @module
 */
import { DEFAULT_STORAGE_CLASS_ANNOTATION, matchesLabelSelector, matchesTerm, parseQuantity, tryParseQuantity } from '@kubeloop/core';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@kubeloop/core';

/** Set on a claim once it is bound (upstream `pvutil.AnnBindCompleted`). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** Set on a claim or volume whose binding the controller made (upstream `pvutil.AnnBoundByController`). */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** The provisioner that made a volume (upstream `pvutil.AnnDynamicallyProvisioned`). */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** The provisioner asked to make a claim's volume (upstream `pvutil.AnnStorageProvisioner`). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
/** The beta spelling of {@link ANN_STORAGE_PROVISIONER}, still written by upstream. */
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** The provisioner name of classes whose volumes are made by hand. */
export const NO_PROVISIONER_NAME = 'kubernetes.io/no-provisioner';
/**
 * Set on a `WaitForFirstConsumer` claim by the scheduler's VolumeBinding PreBind: the node chosen
 * for its first consumer, where the provisioner must make the volume (upstream
 * `volume.kubernetes.io/selected-node`).
 */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The node label a provisioned volume's node affinity pins (upstream `v1.LabelHostname`). */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';

/**
 * The default StorageClass (upstream `GetDefaultClass`): of the classes annotated
 * `storageclass.kubernetes.io/is-default-class: "true"`, the newest (ties: by name).
 */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => c.metadata.annotations?.[DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true');
  defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return defaults[0];
}

/**
 * The class a claim asks for: its `storageClassName`; unset, the default class (what upstream's
 * `DefaultStorageClass` admission fills in), else `''` (only volumes without a class).
 */
export function claimClass(claim: PersistentVolumeClaim, classes: readonly StorageClass[]): string {
  return claim.spec.storageClassName ?? defaultStorageClass(classes)?.metadata.name ?? '';
}

/** Whether `volume` is bound or pre-bound to `claim` (claimRef names it; its uid, when set, is the claim's). */
export function volumeRefersTo(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.spec.claimRef;
  if (ref === undefined || ref.name !== claim.metadata.name || (ref.namespace ?? '') !== (claim.metadata.namespace ?? '')) return false;
  return ref.uid === undefined || ref.uid === '' || ref.uid === claim.metadata.uid;
}

function storageOf(list: Readonly<Record<string, string>> | undefined): bigint {
  const q = list?.['storage'] === undefined ? undefined : tryParseQuantity(list['storage']);
  return q === undefined ? 0n : q.nanoValue();
}

/**
 * Whether `volume` satisfies `claim` asking for class `className` (upstream
 * `checkVolumeSatisfyClaim` + the selector check of `findMatchingVolume`): same class, same
 * volume mode, every access mode the claim asks for, at least the requested storage, and labels
 * the claim's selector matches.
 */
export function volumeSatisfiesClaim(volume: PersistentVolume, claim: PersistentVolumeClaim, className: string): boolean {
  if ((volume.spec.storageClassName ?? '') !== className) return false;
  if ((volume.spec.volumeMode ?? 'Filesystem') !== (claim.spec.volumeMode ?? 'Filesystem')) return false;
  const modes = volume.spec.accessModes ?? [];
  if (!(claim.spec.accessModes ?? []).every((m) => modes.includes(m))) return false;
  if (storageOf(volume.spec.capacity) < storageOf(claim.spec.resources?.requests)) return false;
  if (claim.spec.selector !== undefined && !matchesLabelSelector(claim.spec.selector, volume.metadata.labels)) return false;
  return true;
}

/**
 * Whether a volume's `spec.nodeAffinity.required` admits `node` (upstream
 * `CheckNodeAffinity`): no affinity admits every node, else one term must match.
 */
export function volumeAdmitsNode(volume: PersistentVolume, node: Node): boolean {
  const terms = volume.spec.nodeAffinity?.required?.nodeSelectorTerms;
  return terms === undefined || terms.some((t) => matchesTerm(t, node));
}

/** Where {@link findBestMatch} looks: the binder's path, or the scheduler's for one node. */
export interface MatchOptions {
  /**
   * The claim's class binds `WaitForFirstConsumer`: without `node` (the binder's path) only a
   * volume pre-bound to the claim matches — the scheduler chooses the others.
   */
  readonly delayBinding?: boolean | undefined;
  /** The scheduler's path: only volumes whose node affinity admits this node match. */
  readonly node?: Node | undefined;
}

/**
 * The volume a claim binds to (upstream `findMatchingVolume`): a volume pre-bound to it, if
 * one satisfies it; else the smallest volume without a claim that satisfies it (ties: by name).
 * Volumes being deleted are skipped. Undefined when none fits. With `options.node`, volumes
 * whose node affinity excludes the node do not fit (a pre-bound one then means no match); with
 * `options.delayBinding` and no node, only a pre-bound volume fits.
 *
 * Worked example: a claim for 1Gi RWO of class `fast`, volumes 5Gi, 2Gi (RWO, fast) and 1Gi
 * (ROX) → the 2Gi one.
 */
export function findBestMatch(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], className: string, options: MatchOptions = {}): PersistentVolume | undefined {
  const { node, delayBinding = false } = options;
  let best: PersistentVolume | undefined;
  for (const v of volumes) {
    if (v.metadata.deletionTimestamp !== undefined) continue;
    if (v.spec.claimRef !== undefined) {
      if (volumeRefersTo(v, claim) && volumeSatisfiesClaim(v, claim, className)) return node === undefined || volumeAdmitsNode(v, node) ? v : undefined;
      continue;
    }
    if (node === undefined && delayBinding) continue;
    if (!volumeSatisfiesClaim(v, claim, className)) continue;
    if (node !== undefined && !volumeAdmitsNode(v, node)) continue;
    if (best === undefined) {
      best = v;
      continue;
    }
    const d = storageOf(v.spec.capacity) - storageOf(best.spec.capacity);
    if (d < 0n || (d === 0n && (v.metadata.name ?? '') < (best.metadata.name ?? ''))) best = v;
  }
  return best;
}

/**
 * The pods waiting for the scheduler that use `claim` (upstream `findNonScheduledPodsByPVC`):
 * pods of its namespace without `spec.nodeName` that mount it (a `persistentVolumeClaim`
 * volume, or an `ephemeral` one named `<pod>-<volume>`), by name.
 */
export function unscheduledPodsUsing(claim: PersistentVolumeClaim, pods: readonly Pod[]): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== (claim.metadata.namespace ?? '') || (pod.spec.nodeName ?? '') !== '') continue;
    const uses = (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name || (v.ephemeral !== undefined && `${pod.metadata.name ?? ''}-${v.name}` === claim.metadata.name));
    if (uses) out.push(pod.metadata.name ?? '');
  }
  return out.sort();
}

/**
 * Upstream's event on a `WaitForFirstConsumer` claim that the scheduler has not placed yet
 * (`emitEventForUnboundDelayBindingClaim`): `WaitForFirstConsumer` while no pod uses it,
 * `WaitForPodScheduled` naming the pods waiting for the scheduler.
 */
export function delayBindingEvent(podNames: readonly string[]): { readonly reason: string; readonly message: string } {
  if (podNames.length === 0) return { reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' };
  if (podNames.length === 1) return { reason: 'WaitForPodScheduled', message: `waiting for pod ${podNames[0]!} to be scheduled` };
  return { reason: 'WaitForPodScheduled', message: `waiting for pods ${podNames.join(',')} to be scheduled` };
}

/**
 * The volume a provisioner makes for `claim` of class `sc` (as kind's local-path provisioner
 * does): named `pvc-<claim uid>`, pre-bound to the claim, the requested storage, the claim's
 * access modes and volume mode, the class's reclaim policy, a host path.
 *
 * A claim the scheduler placed (annotation {@link ANN_SELECTED_NODE}, i.e. a
 * `WaitForFirstConsumer` class) gets a node-local volume: node affinity requiring
 * `kubernetes.io/hostname` = that node, as the local-path provisioner (kind's `standard`) and
 * the local static provisioner make them, so every later consumer is scheduled to that node.
 * A claim of an `Immediate` class gets a volume without node affinity (reachable from every
 * node, like network storage), since no node was chosen for it.
 */
export function provisionedVolume(claim: PersistentVolumeClaim, sc: StorageClass): PersistentVolume {
  const name = `pvc-${claim.metadata.uid ?? ''}`;
  const namespace = claim.metadata.namespace ?? 'default';
  const request = claim.spec.resources?.requests?.['storage'];
  const selectedNode = claim.metadata.annotations?.[ANN_SELECTED_NODE];
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: sc.provisioner } },
    spec: {
      capacity: { storage: request === undefined ? '0' : parseQuantity(request).toString() },
      accessModes: [...(claim.spec.accessModes ?? [])],
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace, name: claim.metadata.name ?? '', uid: claim.metadata.uid ?? '' },
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name ?? '',
      volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      hostPath: { path: `/var/local-path-provisioner/${name}_${namespace}_${claim.metadata.name ?? ''}`, type: 'DirectoryOrCreate' },
      ...(selectedNode === undefined || selectedNode === ''
        ? {}
        : { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_HOSTNAME, operator: 'In', values: [selectedNode] }] }] } } }),
    },
    status: { phase: 'Pending' },
  } as PersistentVolume;
}

/**
 * VolumeBinding: pods with PersistentVolumeClaims only go where their volumes can be, and the
 * `WaitForFirstConsumer` claims of a pod are bound or provisioned for the node it is given
 * (upstream `pkg/scheduler/framework/plugins/volumebinding` and its `binder.go`).
 *
 * @module
 */
import { PersistentVolumeClaims, PersistentVolumes } from '@kubeloop/core';
import type { Client, Clock, Node, PersistentVolume, PersistentVolumeClaim, Pod } from '@kubeloop/core';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, findBestMatch, volumeAdmitsNode } from '../../volume/decide.js';
import { SKIP, SUCCESS, unresolvable, type FilterPlugin, type PreBindPlugin, type PreFilterPlugin, type Status } from '../framework.js';
import type { NodeInfoView, Snapshot } from '../nodeinfo.js';
import { matchesRequirement } from './node.js';

/** Upstream's PreFilter reason when a claim with `Immediate` binding is not bound yet. */
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
/** Upstream's reason when a bound volume's node affinity excludes the node. */
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
/** Upstream's reason when a `WaitForFirstConsumer` claim can neither bind an existing volume nor be provisioned for the node. */
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
/** Upstream's reason when a claim is bound to a volume that does not exist. */
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

/** The provisioner name of statically provisioned (local) storage classes. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** The claims a pod uses: `persistentVolumeClaim` volumes, and `ephemeral` ones as `<pod>-<volume>`. */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec.volumes ?? []) {
    if (v.persistentVolumeClaim !== undefined) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral !== undefined) out.push(`${pod.metadata.name ?? ''}-${v.name}`);
  }
  return out;
}

interface VolumeState {
  readonly bound: PersistentVolumeClaim[];
  readonly delayed: PersistentVolumeClaim[];
}

/** Whether a PersistentVolume's `spec.nodeAffinity.required` admits the node (no affinity admits every node). */
export function volumeFitsNode(pv: PersistentVolume, node: NodeInfoView): boolean {
  return volumeAdmitsNode(pv, node.node);
}

/** Whether a claim's class binds `WaitForFirstConsumer` (upstream `IsDelayBindingMode`). */
function isDelayBinding(pvc: PersistentVolumeClaim, snapshot: Snapshot): boolean {
  const name = pvc.spec.storageClassName;
  return name !== undefined && name !== '' && snapshot.storageClass(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/**
 * What binding a pod's unbound `WaitForFirstConsumer` claims on one node takes (upstream
 * `FindPodVolumes`): `bindings` pair claims with the existing volumes chosen for them,
 * `provisions` lists the claims a provisioner must make a volume for; or the reasons the node
 * cannot host them.
 */
export type PodVolumePlan =
  | { readonly ok: true; readonly bindings: readonly { readonly claim: PersistentVolumeClaim; readonly volume: PersistentVolume }[]; readonly provisions: readonly PersistentVolumeClaim[] }
  | { readonly ok: false; readonly reasons: readonly string[] };

/**
 * Plans the binding of `delayed` (unbound `WaitForFirstConsumer` claims) on `node`, upstream
 * `FindPodVolumes` + `findMatchingVolumes` + `checkVolumeProvisions`:
 *
 * - a claim already annotated `volume.kubernetes.io/selected-node` (another pod's PreBind
 *   chose a node for it) only fits that node, where it is provisioned;
 * - otherwise the smallest available volume that satisfies it and whose node affinity admits the
 *   node is chosen (one volume per claim);
 * - otherwise it is provisioned, if its class has a provisioner (not
 *   `kubernetes.io/no-provisioner`) whose `allowedTopologies` admit the node.
 *
 * A claim that fits none of these makes the node fail with {@link ERR_REASON_BIND_CONFLICT}.
 *
 * Worked example: a claim of a local-style class (no provisioner) and two available volumes
 * pinned to nodes a and b: on a it binds a's volume, on c it fails with "node(s) didn't find
 * available persistent volumes to bind".
 */
export function findPodVolumes(delayed: readonly PersistentVolumeClaim[], node: Node, snapshot: Snapshot): PodVolumePlan {
  const bindings: { claim: PersistentVolumeClaim; volume: PersistentVolume }[] = [];
  const provisions: PersistentVolumeClaim[] = [];
  const conflict: PodVolumePlan = { ok: false, reasons: [ERR_REASON_BIND_CONFLICT] };
  let volumes: readonly PersistentVolume[] | undefined;
  for (const claim of delayed) {
    const className = claim.spec.storageClassName ?? '';
    const selected = claim.metadata.annotations?.[ANN_SELECTED_NODE];
    if (selected !== undefined && selected !== '') {
      if (selected !== node.metadata.name) return conflict;
    } else {
      volumes ??= snapshot.pvs();
      const chosen = new Set(bindings.map((b) => b.volume));
      const match = findBestMatch(claim, chosen.size === 0 ? volumes : volumes.filter((v) => !chosen.has(v)), className, { node });
      if (match !== undefined) {
        bindings.push({ claim, volume: match });
        continue;
      }
    }
    const sc = snapshot.storageClass(className);
    if (sc === undefined || sc.provisioner === NO_PROVISIONER) return conflict;
    const topologies = sc.allowedTopologies ?? [];
    const labels = node.metadata.labels ?? {};
    const admitted =
      topologies.length === 0 ||
      topologies.some((t) => (t.matchLabelExpressions ?? []).every((e) => matchesRequirement({ key: e.key, operator: 'In', values: e.values }, Object.hasOwn(labels, e.key) ? labels[e.key] : undefined)));
    if (!admitted) return conflict;
    provisions.push(claim);
  }
  return { ok: true, bindings, provisions };
}

/**
 * VolumeBinding, upstream semantics:
 *
 * PreFilter: a pod without claims is skipped; a missing claim fails with
 * `persistentvolumeclaim "<name>" not found`, a deleting one with
 * `persistentvolumeclaim "<name>" is being deleted`; an unbound claim (no `spec.volumeName`)
 * whose class binds `Immediate` (or has no class) fails with {@link ERR_REASON_UNBOUND_IMMEDIATE}
 * — the PV controller must bind it first.
 *
 * Filter: each bound claim's volume must exist ({@link ERR_REASON_PV_NOT_EXIST}) and admit the
 * node ({@link ERR_REASON_NODE_CONFLICT}); the unbound `WaitForFirstConsumer` claims must be
 * bindable or provisionable there ({@link findPodVolumes}, else {@link ERR_REASON_BIND_CONFLICT}).
 *
 * This constant has no PreBind (it needs a client): the scheduler registers
 * {@link volumeBindingPlugin} under the same name.
 */
export const volumeBinding: PreFilterPlugin & FilterPlugin = {
  name: 'VolumeBinding',
  preFilter(state, pod, snapshot) {
    const names = podClaimNames(pod);
    if (names.length === 0) return SKIP;
    const ns = pod.metadata.namespace ?? '';
    const bound: PersistentVolumeClaim[] = [];
    const delayed: PersistentVolumeClaim[] = [];
    let unboundImmediate = false;
    for (const name of names) {
      const pvc = snapshot.pvc(ns, name);
      if (pvc === undefined) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (pvc.metadata.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      if (pvc.spec.volumeName !== undefined && pvc.spec.volumeName !== '') {
        bound.push(pvc);
        continue;
      }
      if (isDelayBinding(pvc, snapshot)) delayed.push(pvc);
      else unboundImmediate = true;
    }
    if (unboundImmediate) return unresolvable(ERR_REASON_UNBOUND_IMMEDIATE);
    state.set('PreFilterVolumeBinding', { bound, delayed } satisfies VolumeState);
    return SUCCESS;
  },
  filter(state, _pod, node, snapshot) {
    const s = state.get('PreFilterVolumeBinding') as VolumeState | undefined;
    if (s === undefined) return SUCCESS;
    for (const pvc of s.bound) {
      const pv = snapshot.pv(pvc.spec.volumeName!);
      if (pv === undefined) return unresolvable(ERR_REASON_PV_NOT_EXIST);
      if (!volumeFitsNode(pv, node)) return unresolvable(ERR_REASON_NODE_CONFLICT);
    }
    if (s.delayed.length > 0) {
      const plan = findPodVolumes(s.delayed, node.node, snapshot);
      if (!plan.ok) return unresolvable(...plan.reasons);
    }
    return SUCCESS;
  },
};

/** What {@link volumeBindingPlugin} needs besides the snapshot. */
export interface VolumeBindingOptions {
  /** Writes the volumes' `claimRef`s and the claims' selected node. */
  readonly client: Client;
  /** Paces the wait for the bindings. */
  readonly clock: Clock;
  /** The scheduler's live snapshot (its caches): what PreBind plans from and waits on. */
  readonly snapshot: () => Snapshot;
  /** How long PreBind waits for the claims to be bound (upstream `bindTimeoutSeconds`, default 600 s). */
  readonly bindTimeoutMs?: number | undefined;
  /** How often it looks (upstream polls every second). */
  readonly pollMs?: number | undefined;
}

/** Upstream's default `bindTimeoutSeconds`, in ms. */
export const DEFAULT_BIND_TIMEOUT_MS = 600_000;

function bindingError(message: string): Status {
  return { ...unresolvable(`binding volumes: ${message}`), code: 'Error' };
}

/**
 * Whether every claim is fully bound (upstream `checkBindings`): `true`; `false` while waiting;
 * a message when waiting is pointless (the claim is gone, or its selected node was reset).
 */
function checkBindings(claims: readonly PersistentVolumeClaim[], snapshot: Snapshot): boolean | string {
  for (const c of claims) {
    const ns = c.metadata.namespace ?? '';
    const name = c.metadata.name ?? '';
    const now = snapshot.pvc(ns, name);
    if (now === undefined || now.metadata.uid !== c.metadata.uid) return `failed to get cached claim "${ns}/${name}"`;
    const volumeName = now.spec.volumeName ?? '';
    if (volumeName === '' || now.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) {
      if (c.metadata.annotations?.[ANN_SELECTED_NODE] !== undefined && now.metadata.annotations?.[ANN_SELECTED_NODE] === undefined) return `selectedNode annotation reset for PVC "${name}"`;
      return false;
    }
    const pv = snapshot.pv(volumeName);
    if (pv?.spec.claimRef?.uid !== now.metadata.uid) return false;
  }
  return true;
}

/**
 * {@link volumeBinding} with its PreBind (upstream `BindPodVolumes`): for the node chosen, each
 * unbound `WaitForFirstConsumer` claim of the pod is pre-bound to the volume
 * {@link findPodVolumes} picked (the volume's `claimRef` is written, with its resourceVersion)
 * or annotated `volume.kubernetes.io/selected-node: <node>` for its provisioner; then PreBind
 * waits, polling the caches, until the PersistentVolume controller has bound every one, and only
 * then does the pod get bound to the node.
 *
 * Errors: a failed write fails with the API's message; a claim that went away or lost its
 * selected node, or `bindTimeoutMs` without binding, with `binding volumes: …` (upstream's
 * words); the pod is then retried with backoff, as upstream.
 */
export function volumeBindingPlugin(options: VolumeBindingOptions): PreFilterPlugin & FilterPlugin & PreBindPlugin {
  const { client, clock } = options;
  const timeout = options.bindTimeoutMs ?? DEFAULT_BIND_TIMEOUT_MS;
  const poll = options.pollMs ?? 1000;
  return {
    ...volumeBinding,
    async preBind(pod, nodeName, signal) {
      const snapshot = options.snapshot();
      const ns = pod.metadata.namespace ?? '';
      const delayed: PersistentVolumeClaim[] = [];
      for (const name of podClaimNames(pod)) {
        const pvc = snapshot.pvc(ns, name);
        if (pvc !== undefined && (pvc.spec.volumeName ?? '') === '' && isDelayBinding(pvc, snapshot)) delayed.push(pvc);
      }
      if (delayed.length === 0) return SKIP;
      const node = snapshot.get(nodeName)?.node;
      if (node === undefined) return bindingError(`node "${nodeName}" not found`);
      const plan = findPodVolumes(delayed, node, snapshot);
      if (!plan.ok) return bindingError(plan.reasons.join(', '));
      const written: PersistentVolumeClaim[] = [];
      try {
        for (const { claim, volume } of plan.bindings) {
          if (volume.spec.claimRef !== undefined) {
            written.push(claim);
            continue; // already pre-bound to it
          }
          await client.update(PersistentVolumes, {
            ...volume,
            metadata: { ...volume.metadata, annotations: { ...(volume.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' } },
            spec: { ...volume.spec, claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: claim.metadata.name ?? '', uid: claim.metadata.uid ?? '', resourceVersion: claim.metadata.resourceVersion ?? '' } },
          });
          written.push(claim);
        }
        for (const claim of plan.provisions) {
          if (claim.metadata.annotations?.[ANN_SELECTED_NODE] === nodeName) {
            written.push(claim);
            continue;
          }
          written.push(
            await client.update(PersistentVolumeClaims, {
              ...claim,
              metadata: { ...claim.metadata, annotations: { ...(claim.metadata.annotations ?? {}), [ANN_SELECTED_NODE]: nodeName } },
            }),
          );
        }
      } catch (error) {
        // Upstream returns the API error of bindAPIUpdate as it is (only waiting errors get the prefix).
        return { ...unresolvable(error instanceof Error ? error.message : String(error)), code: 'Error' };
      }
      const deadline = clock.now() + timeout;
      for (;;) {
        const result = checkBindings(written, options.snapshot());
        if (result === true) return SUCCESS;
        if (typeof result === 'string') return bindingError(result);
        if (clock.now() >= deadline) return bindingError('context deadline exceeded');
        try {
          await clock.sleep(Math.min(poll, deadline - clock.now()), signal);
        } catch {
          return bindingError('the scheduler is stopping');
        }
      }
    },
  };
}

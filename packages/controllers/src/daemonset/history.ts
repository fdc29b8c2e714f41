/**
 * DaemonSet history in ControllerRevisions, pure parts (upstream `pkg/controller/daemon`
 * `update.go`: `getPatch`, `Match`, `snapshot`, `constructHistory`, `dedupCurHistories`,
 * `cleanupHistory`): one revision per distinct template, named `<ds>-<hash>`, numbered in the
 * order the templates were used, trimmed to `revisionHistoryLimit`.
 *
 * @module
 */
import type { ControllerRevision, DaemonSet, KubeObject } from '@kubeloop/core';
import { canonicalJson, computeHash } from '../shared/hash.js';
import { newControllerRef } from '../shared/ownership.js';
import { CONTROLLER_REVISION_HASH_LABEL } from './decide.js';

/**
 * The `data` of a DaemonSet's revision (upstream `getPatch`): a strategic merge patch that
 * replaces `spec.template` — `{ spec: { template: { ...template, $patch: 'replace' } } }`.
 */
export function revisionData(ds: DaemonSet): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...(ds.spec.template as unknown as Record<string, unknown>), $patch: 'replace' } } };
}

/** Whether a revision holds the DaemonSet's current template (upstream `Match`: same patch). */
export function revisionMatches(ds: DaemonSet, revision: ControllerRevision): boolean {
  return canonicalJson(revision.data) === canonicalJson(revisionData(ds));
}

/** The hash of the DaemonSet's template, salted with `status.collisionCount`. */
export function templateHash(ds: DaemonSet): string {
  return computeHash(ds.spec.template, ds.status.collisionCount);
}

/**
 * The revision a DaemonSet's current template is saved as (upstream `snapshot`): named
 * `<ds>-<hash>`, labelled with the template's labels plus `controller-revision-hash`, with the
 * DaemonSet's annotations and its controller reference.
 */
export function newRevision(ds: DaemonSet, revision: number): ControllerRevision {
  const hash = templateHash(ds);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata.name ?? ''}-${hash}`,
      namespace: ds.metadata.namespace ?? 'default',
      labels: { ...(ds.spec.template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds as KubeObject & DaemonSet)],
    },
    data: revisionData(ds),
    revision,
  };
}

/** The highest `revision` of `revisions`, 0 when there are none (upstream `maxHistoryRevision`). */
export function maxHistoryRevision(revisions: readonly ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) max = Math.max(max, r.revision);
  return max;
}

/** How a DaemonSet's history stands ({@link splitHistory}). */
export interface HistorySplit {
  /** Revisions holding the current template (normally one; more are deduplicated). */
  readonly current: readonly ControllerRevision[];
  /** Every other revision. */
  readonly old: readonly ControllerRevision[];
  /** The number the current revision must have: one more than the highest old revision. */
  readonly nextRevision: number;
}

/**
 * Splits the revisions a DaemonSet controls into current and old (upstream `constructHistory`).
 *
 * Worked example: revisions 1 (template A) and 2 (template B), the DaemonSet back at A →
 * current [1], old [2], nextRevision 3: revision 1 is renumbered 3, as `kubectl rollout undo`
 * shows it.
 */
export function splitHistory(ds: DaemonSet, revisions: readonly ControllerRevision[]): HistorySplit {
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const r of revisions) (revisionMatches(ds, r) ? current : old).push(r);
  return { current, old, nextRevision: maxHistoryRevision(old) + 1 };
}

/**
 * Of several revisions of the current template, the one to keep (the highest revision) and
 * the duplicates to delete (upstream `dedupCurHistories`; their pods are relabelled first).
 */
export function dedupeCurrent(current: readonly ControllerRevision[]): { readonly keep: ControllerRevision; readonly duplicates: readonly ControllerRevision[] } | undefined {
  if (current.length === 0) return undefined;
  let keep = current[0]!;
  for (const r of current) if (r.revision > keep.revision) keep = r;
  return { keep, duplicates: current.filter((r) => r !== keep) };
}

/**
 * The old revisions to delete to keep at most `revisionHistoryLimit` (upstream
 * `cleanupHistory`): the lowest revisions first, never one whose hash a live pod still
 * carries (`liveHashes`).
 *
 * Worked example: limit 1, old revisions 1, 2, 3 with a pod still on revision 1's hash →
 * delete 2 (and 3 would be kept: only 2 need to go).
 */
export function revisionsToCleanUp(old: readonly ControllerRevision[], revisionHistoryLimit: number, liveHashes: ReadonlySet<string>): ControllerRevision[] {
  let toKill = old.length - revisionHistoryLimit;
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArrayDeclaration: the early return repeats the loop's own `toKill <= 0` break (and the controller calls only with more old revisions than the limit); the killed `true` and `> 0` variants are excluded with them
  if (toKill <= 0) return [];
  const sorted = [...old].sort((a, b) => a.revision - b.revision);
  const out: ControllerRevision[] = [];
  for (const r of sorted) {
    if (toKill <= 0) break;
    // Stryker disable next-line OptionalChaining,StringLiteral: every revision the controller passes has labels and the hash label (it labels those without)
    if (liveHashes.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')) continue;
    out.push(r);
    toKill--;
  }
  return out;
}

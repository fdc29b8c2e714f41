/**
 * The Deployment controller's pure decisions — upstream's `deployment/util/deployment_util.go`
 * and the arithmetic of `rolling.go`, `sync.go` and `recreate.go`: fenceposts, how far a
 * rolling step scales the new ReplicaSet up and the old ones down, proportional scaling,
 * revisions and their annotations, which ReplicaSet is the new one, and which old ones to
 * delete. Nothing here reads the API or the clock.
 *
 * The worked examples in the TSDoc are pinned by `decide.test.ts`.
 *
 * @module
 */
import { controllerRef, deepEqual } from '@kubeloop/core';
import type { Deployment, LabelSelector, Pod, PodTemplateSpec, ReplicaSet } from '@kubeloop/core';
import { scaledValue } from '../shared/index.js';

// ---------------------------------------------------------------------------------------------
// Names upstream uses

/** The label (and selector term) naming a ReplicaSet's template hash (`apps.DefaultDeploymentUniqueLabelKey`). */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** The revision of a Deployment and of each of its ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** The revisions a ReplicaSet had before a rollback gave it a new one, comma separated. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** The Deployment's `spec.replicas` when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** The Deployment's `spec.replicas + maxSurge` when the ReplicaSet was last scaled. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** Upstream's bound on the length of {@link REVISION_HISTORY_ANNOTATION} (`maxRevHistoryLengthInChars`). */
export const MAX_REVISION_HISTORY_LENGTH = 2000;

/** Annotations of a Deployment that are not copied to its ReplicaSets (upstream `annotationsToSkip`). */
export const ANNOTATIONS_NOT_COPIED: ReadonlySet<string> = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

// ---------------------------------------------------------------------------------------------
// Fenceposts

/** `maxSurge` and `maxUnavailable` resolved to pod counts. */
export interface Fenceposts {
  /** How many pods above `spec.replicas` may exist. */
  readonly maxSurge: number;
  /** How many pods below `spec.replicas` may be unavailable. */
  readonly maxUnavailable: number;
}

/**
 * Resolves `maxSurge` (rounded up) and `maxUnavailable` (rounded down) against `desired`
 * (upstream `ResolveFenceposts`). When both resolve to 0, `maxUnavailable` becomes 1 so the
 * rollout can proceed (validation forbids both being 0 explicitly; rounding can still get there).
 *
 * Worked examples: 10 replicas, 25%/25% → surge 3, unavailable 2; 1 replica, 25%/25% → 1/0;
 * 1 replica, 0/10% → 0/1.
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): Fenceposts {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: unavailable };
}

/** Whether the Deployment rolls out with `RollingUpdate`. */
export function isRollingUpdate(d: Deployment): boolean {
  return d.spec.strategy.type === 'RollingUpdate';
}

/** The Deployment's `maxSurge` in pods (upstream `MaxSurge`): 0 with `Recreate`. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', d.spec.replicas).maxSurge;
}

/**
 * The Deployment's `maxUnavailable` in pods (upstream `MaxUnavailable`): 0 with `Recreate` or
 * 0 replicas, never more than `spec.replicas`.
 */
export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || d.spec.replicas === 0) return 0;
  const ru = d.spec.strategy.rollingUpdate;
  const { maxUnavailable: u } = resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', d.spec.replicas);
  return Math.min(u, d.spec.replicas);
}

// ---------------------------------------------------------------------------------------------
// Counting ReplicaSets

/** Sum of `spec.replicas` (upstream `GetReplicaCountForReplicaSets`). */
export function specReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.spec.replicas ?? 0), 0);
}

/** Sum of `status.replicas` (upstream `GetActualReplicaCountForReplicaSets`). */
export function actualReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status.replicas ?? 0), 0);
}

/** Sum of `status.readyReplicas`. */
export function readyReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status.readyReplicas ?? 0), 0);
}

/** Sum of `status.availableReplicas`. */
export function availableReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status.availableReplicas ?? 0), 0);
}

/** The ReplicaSets with `spec.replicas > 0` (upstream `FilterActiveReplicaSets`). */
export function activeReplicaSets(rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && rs.spec.replicas > 0);
}

function created(rs: ReplicaSet): string {
  return rs.metadata.creationTimestamp ?? '';
}

/** Oldest first, ties by name (upstream `ReplicaSetsByCreationTimestamp`). */
export function compareByCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ca = created(a);
  const cb = created(b);
  if (ca !== cb) return ca < cb ? -1 : 1;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Larger first, then newer first (upstream `ReplicaSetsBySizeNewer`, the order to scale up). */
export function compareBySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  if (a.spec.replicas !== b.spec.replicas) return b.spec.replicas - a.spec.replicas;
  return compareByCreation(b, a);
}

/** Larger first, then older first (upstream `ReplicaSetsBySizeOlder`, the order to scale down). */
export function compareBySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  if (a.spec.replicas !== b.spec.replicas) return b.spec.replicas - a.spec.replicas;
  return compareByCreation(a, b);
}

// ---------------------------------------------------------------------------------------------
// Which ReplicaSet is new

function templateWithoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const labels = template.metadata?.labels;
  if (labels === undefined || !(POD_TEMPLATE_HASH_LABEL in labels)) return template;
  const rest = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== POD_TEMPLATE_HASH_LABEL));
  return { ...template, metadata: { ...template.metadata, labels: rest } };
}

/** Whether two templates are equal once the `pod-template-hash` label is ignored (upstream `EqualIgnoreHash`). */
export function equalIgnoreHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return deepEqual(templateWithoutHash(a), templateWithoutHash(b));
}

/**
 * The ReplicaSet whose template is the Deployment's (upstream `FindNewReplicaSet`): the oldest
 * such one when several are (a hash collision in the past), undefined when none is yet.
 */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(compareByCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every ReplicaSet except `newRS` (upstream `FindOldReplicaSets`'s `allOldRSs`). */
export function findOldReplicaSets(rss: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ReplicaSet[] {
  if (newRS === undefined) return [...rss];
  return rss.filter((rs) => rs !== newRS && rs.metadata.uid !== newRS.metadata.uid);
}

// ---------------------------------------------------------------------------------------------
// Revisions and annotations

/** The object's revision annotation as a number; 0 when absent or not a whole number. */
export function revisionOf(object: { readonly metadata: { readonly annotations?: Readonly<Record<string, string>> | undefined } }): number {
  const text = object.metadata.annotations?.[REVISION_ANNOTATION];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : 0;
}

/** The highest revision among `rss` (upstream `MaxRevision`), 0 when none has one. */
export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** The annotations a ReplicaSet gets and what changed. */
export interface AnnotationUpdate {
  /** The ReplicaSet's annotations after the update. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Whether they differ from the ReplicaSet's current ones. */
  readonly changed: boolean;
}

/** `desired-replicas` and `max-replicas` set on `annotations` (upstream `SetReplicasAnnotations`). */
export function withReplicasAnnotations(annotations: Readonly<Record<string, string>> | undefined, desired: number, max: number): Record<string, string> {
  return { ...annotations, [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) };
}

/** Whether the ReplicaSet's `desired-replicas`/`max-replicas` differ from these (upstream `ReplicasAnnotationsNeedUpdate`). */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** The `desired-replicas` annotation of a ReplicaSet, if present and a number. */
export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const text = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const text = rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION];
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * The new ReplicaSet's annotations (upstream `SetNewReplicaSetAnnotations`): the Deployment's
 * own annotations except {@link ANNOTATIONS_NOT_COPIED}; the revision raised to `newRevision`
 * when lower (a ReplicaSet reused by a rollback keeps its old revisions in
 * {@link REVISION_HISTORY_ANNOTATION}, bounded to {@link MAX_REVISION_HISTORY_LENGTH}
 * characters, oldest dropped); and for a ReplicaSet about to be created (`exists` false) the
 * replicas annotations.
 *
 * Worked example: a ReplicaSet at revision 1 reused when the others reach 3 gets revision 4 and
 * `revision-history: "1"`; reused again at 6, `revision-history: "1,4"`.
 */
export function newReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): AnnotationUpdate {
  const current = rs.metadata.annotations ?? {};
  const out: Record<string, string> = { ...current };
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || out[k] === v) continue;
    out[k] = v;
    changed = true;
  }
  const oldText = current[REVISION_ANNOTATION];
  if (oldText !== undefined && !/^\d+$/.test(oldText)) return { annotations: current, changed: false };
  const oldRevision = oldText === undefined ? 0 : Number(oldText);
  if (oldRevision < newRevision) {
    out[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldText !== undefined) {
      const history = current[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') out[REVISION_HISTORY_ANNOTATION] = oldText;
      else {
        let revisions = history.split(',');
        let total = history.length + oldText.length + 1;
        while (total > MAX_REVISION_HISTORY_LENGTH && revisions.length > 0) {
          total -= revisions[0]!.length + 1;
          revisions = revisions.slice(1);
        }
        if (total <= MAX_REVISION_HISTORY_LENGTH) out[REVISION_HISTORY_ANNOTATION] = [...revisions, oldText].join(',');
      }
    }
  }
  if (!exists) {
    const withReplicas = withReplicasAnnotations(out, d.spec.replicas, d.spec.replicas + maxSurge(d));
    if (!deepEqual(withReplicas, out)) changed = true;
    return { annotations: withReplicas, changed };
  }
  return { annotations: out, changed };
}

/**
 * The ReplicaSet a Deployment creates for its template (upstream `getNewReplicaSet`):
 * named `<deployment>-<hash>`, the hash added to its labels, selector and template labels,
 * controlled by the Deployment, with `replicas` pods and the annotations of
 * {@link newReplicaSetAnnotations} at `revision`.
 */
export function newReplicaSetFor(d: Deployment, hash: string, revision: number, replicas: number): ReplicaSet {
  const labels = { ...d.spec.template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
  const selector: LabelSelector = { ...d.spec.selector, matchLabels: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash } };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name ?? ''}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      replicas,
      ...(d.spec.minReadySeconds === undefined ? {} : { minReadySeconds: d.spec.minReadySeconds }),
      selector,
      template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
    },
    status: { replicas: 0 },
  };
  return { ...rs, metadata: { ...rs.metadata, annotations: newReplicaSetAnnotations(d, rs, revision, false).annotations } };
}

// ---------------------------------------------------------------------------------------------
// Rolling update arithmetic

/**
 * The size the new ReplicaSet may grow to now (upstream `NewRSNewReplicas`). RollingUpdate:
 * up to `replicas + maxSurge` pods in all ReplicaSets, never above `replicas`. Recreate:
 * `replicas`.
 *
 * Worked example: 10 replicas, maxSurge 3, old ReplicaSets at 10, new at 0 → 3; old at 8, new
 * at 3 → 5 (13 − 11 = 2 more); old at 10, new at 3 → 3 (no room).
 */
export function newReplicaSetReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  // Stryker disable next-line ConditionalExpression: equivalent for the controller, which creates a Recreate Deployment's new ReplicaSet only once the old ones are at 0, where the rolling formula also gives spec.replicas
  if (!isRollingUpdate(d)) return d.spec.replicas;
  // Stryker disable next-line OptionalChaining,StringLiteral: equivalent for stored Deployments, whose RollingUpdate strategy the API server always defaults with both maxSurge and maxUnavailable
  const surge = scaledValue(d.spec.strategy.rollingUpdate?.maxSurge ?? '25%', d.spec.replicas, true);
  const current = specReplicas(allRSs);
  const maxTotal = d.spec.replicas + surge;
  // Stryker disable next-line EqualityOperator: equivalent: at current = maxTotal the room is 0 and the size stays
  if (current >= maxTotal) return newRS.spec.replicas;
  const up = Math.min(maxTotal - current, d.spec.replicas - newRS.spec.replicas);
  return newRS.spec.replicas + up;
}

/**
 * What a rolling step does to the new ReplicaSet (upstream `reconcileNewReplicaSet`): the size
 * to scale it to, or undefined when it stays as it is. Above `replicas` it goes down to
 * `replicas`; below, up as far as {@link newReplicaSetReplicas} allows.
 */
export function rollingNewReplicaSetTarget(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number | undefined {
  // Stryker disable next-line ConditionalExpression: equivalent: at newRS = replicas, newReplicaSetReplicas leaves the size as it is (no room, or room capped at 0), so the result is undefined either way
  if (newRS.spec.replicas === d.spec.replicas) return undefined;
  // Stryker disable next-line EqualityOperator: equivalent: equality has returned on the line before
  if (newRS.spec.replicas > d.spec.replicas) return d.spec.replicas;
  const target = newReplicaSetReplicas(d, allRSs, newRS);
  return target === newRS.spec.replicas ? undefined : target;
}

/** One ReplicaSet scaled from one size to another. */
export interface ScaleStep {
  /** The ReplicaSet's name. */
  readonly name: string;
  /** Its `spec.replicas` before. */
  readonly from: number;
  /** Its `spec.replicas` after. */
  readonly to: number;
}

/**
 * How many old pods a rolling step may remove in all (upstream `reconcileOldReplicaSets`'s
 * `maxScaledDown`): all pods − (replicas − maxUnavailable) − the new ReplicaSet's unavailable
 * pods.
 *
 * Worked example (upstream's comment): 10 replicas, maxUnavailable 2, maxSurge 3; old at 10
 * (all available), new scaled to 3 with 0 available → 13 − 8 − 3 = 2.
 */
export function maxScaledDown(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): number {
  const minAvailable = d.spec.replicas - maxUnavailable(d);
  const newUnavailable = (newRS?.spec.replicas ?? 0) - (newRS?.status.availableReplicas ?? 0);
  return specReplicas(allRSs) - minAvailable - newUnavailable;
}

/**
 * The old ReplicaSets' unhealthy pods removed first, oldest ReplicaSet first, at most
 * `maxCleanup` in all (upstream `cleanupUnhealthyReplicas`): each active old ReplicaSet loses
 * up to `replicas − availableReplicas`.
 *
 * Worked example: old A at 5 with 3 available, old B at 4 with 4 available, `maxCleanup` 3 →
 * A 5 → 3; B untouched.
 */
export function cleanupUnhealthyPlan(oldRSs: readonly ReplicaSet[], maxCleanup: number): ScaleStep[] {
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(compareByCreation)) {
    if (total >= maxCleanup) break;
    const replicas = rs.spec.replicas;
    const available = rs.status.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const count = Math.min(maxCleanup - total, replicas - available);
    if (count <= 0) continue;
    steps.push({ name: rs.metadata.name ?? '', from: replicas, to: replicas - count });
    total += count;
  }
  return steps;
}

/**
 * Old pods removed once enough are available, oldest ReplicaSet first (upstream
 * `scaleDownOldReplicaSetsForRollingUpdate`): available pods in all ReplicaSets above
 * `replicas − maxUnavailable` may go.
 *
 * Worked example: 10 replicas, maxUnavailable 2; old at 10 with 10 available, new at 3 with 3
 * available → 13 available, 8 needed → old 10 → 5.
 */
export function scaleDownOldPlan(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const minAvailable = d.spec.replicas - maxUnavailable(d);
  const available = availableReplicas(allRSs);
  if (available <= minAvailable) return [];
  const goal = available - minAvailable;
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(compareByCreation)) {
    if (total >= goal) break;
    if (rs.spec.replicas === 0) continue;
    const count = Math.min(rs.spec.replicas, goal - total);
    steps.push({ name: rs.metadata.name ?? '', from: rs.spec.replicas, to: rs.spec.replicas - count });
    total += count;
  }
  return steps;
}

/**
 * A rolling step's scale-down of the old ReplicaSets (upstream `reconcileOldReplicaSets`):
 * first {@link cleanupUnhealthyPlan} within {@link maxScaledDown}, then
 * {@link scaleDownOldPlan} on the result. Empty when nothing may go. Steps on the same
 * ReplicaSet are merged (the last size wins).
 */
export function rollingOldReplicaSetsPlan(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], activeOldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ScaleStep[] {
  if (specReplicas(activeOldRSs) === 0) return [];
  const budget = maxScaledDown(d, allRSs, newRS);
  if (budget <= 0) return [];
  const cleanup = cleanupUnhealthyPlan(activeOldRSs, budget);
  const after = activeOldRSs.map((rs) => {
    const step = cleanup.find((s) => s.name === rs.metadata.name);
    return step === undefined ? rs : { ...rs, spec: { ...rs.spec, replicas: step.to } };
  });
  const scaleDown = scaleDownOldPlan(d, [...after, newRS], after);
  const merged = new Map<string, ScaleStep>();
  for (const s of cleanup) merged.set(s.name, s);
  for (const s of scaleDown) {
    const first = merged.get(s.name);
    merged.set(s.name, { name: s.name, from: first?.from ?? s.from, to: s.to });
  }
  return [...merged.values()];
}

// ---------------------------------------------------------------------------------------------
// Scaling a Deployment (sync.go `scale`)

/** Whether the new ReplicaSet runs every replica, all available (upstream `IsSaturated`). */
export function isSaturated(d: Deployment, newRS: ReplicaSet | undefined): boolean {
  if (newRS === undefined) return false;
  return desiredReplicasAnnotation(newRS) === d.spec.replicas && newRS.spec.replicas === d.spec.replicas && (newRS.status.availableReplicas ?? 0) === d.spec.replicas;
}

/**
 * Whether the Deployment was scaled since its active ReplicaSets were (upstream
 * `isScalingEvent`): an active ReplicaSet's `desired-replicas` annotation differs from
 * `spec.replicas`.
 */
export function isScalingEvent(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[]): boolean {
  return activeReplicaSets(allRSs).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== d.spec.replicas;
  });
}

/**
 * The only active ReplicaSet, or the newest one when none is active (upstream
 * `FindActiveOrLatest`); undefined when several are active.
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => compareByCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/**
 * The replicas a ReplicaSet gains (or loses, negative) out of `toAdd` (upstream
 * `GetReplicaSetProportion` with `getReplicaSetFraction`): its size scaled by
 * `(replicas + maxSurge) / max-replicas annotation`, rounded half away from zero, clamped to
 * what is still left to add (`toAdd − added`).
 *
 * Worked example (upstream's test): a ReplicaSet of 5 with `max-replicas` 10, the Deployment
 * scaled to 20 with maxSurge 0 → 10 − 5 = +5.
 */
export function replicaSetProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (rs.spec.replicas === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (d.spec.replicas === 0) return -rs.spec.replicas;
  const maxNow = d.spec.replicas + maxSurge(d);
  let maxBefore = maxReplicasAnnotation(rs);
  if (maxBefore === undefined || maxBefore === 0) {
    maxBefore = d.status.replicas ?? 0;
    if (maxBefore === 0) return 0;
  }
  const size = (rs.spec.replicas * maxNow) / maxBefore;
  const rounded = size < 0 ? -Math.floor(-size + 0.5) : Math.floor(size + 0.5);
  return rounded - rs.spec.replicas;
}

/**
 * How a Deployment's ReplicaSets follow a change of `spec.replicas` (upstream `scale`):
 *
 * - one active ReplicaSet (or none: the newest) → it gets `spec.replicas`, and its replicas
 *   annotations are refreshed even when it already has that size. Upstream's `scale` returns
 *   early there, which wedges a Deployment whose proportional scale was cut between two
 *   ReplicaSet writes (a crash, a 409): old 1 → 0 written, new at 1 still annotated desired 2.
 *   Nothing needs resizing, but `isScalingEvent` holds on every sync, so the rollout — new
 *   templates, the progress deadline — never runs again. The refresh is what
 *   kubernetes/kubernetes#138036 and #138840 (open) propose: a level-triggered sync must
 *   repair a write cut short;
 * - a saturated new ReplicaSet → the active old ones go to 0;
 * - RollingUpdate otherwise → `replicas + maxSurge` (0 when scaling to 0) minus the current
 *   total is shared out in proportion ({@link replicaSetProportion}), larger ReplicaSets first
 *   (newer first on ties when adding, older first when removing); the rounding leftover goes to
 *   the first (largest) one.
 *
 * Returns the steps to write, in order; a step may only refresh the replicas annotations
 * (`from === to`), as upstream writes every active ReplicaSet when scaling proportionally.
 *
 * Worked example (upstream `TestScale` "proportional scaling: 5 → 10"): 5 replicas, maxSurge 0
 * (unavailable 1), new at 3 and old at 2, both annotated max 5, scaled to 10 → new 6, old 4.
 */
export function scalePlan(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const step = (rs: ReplicaSet, to: number): ScaleStep => ({ name: rs.metadata.name ?? '', from: rs.spec.replicas, to });
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single !== undefined) {
    const annotated = !replicasAnnotationsNeedUpdate(single, d.spec.replicas, d.spec.replicas + maxSurge(d));
    return single.spec.replicas === d.spec.replicas && annotated ? [] : [step(single, d.spec.replicas)];
  }
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => step(rs, 0));
  if (!isRollingUpdate(d)) return [];
  const all = activeReplicaSets([...oldRSs, newRS]);
  const total = specReplicas(all);
  const allowed = d.spec.replicas > 0 ? d.spec.replicas + maxSurge(d) : 0;
  const toAdd = allowed - total;
  if (toAdd > 0) all.sort(compareBySizeNewer);
  else if (toAdd < 0) all.sort(compareBySizeOlder);
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return rs.spec.replicas;
    const p = replicaSetProportion(rs, d, toAdd, added);
    added += p;
    return rs.spec.replicas + p;
  });
  // Stryker disable next-line LogicalOperator: equivalent: at toAdd 0 the leftover is 0 and the size stays, and with no ReplicaSet the write lands in an empty array that nothing reads
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  return all.map((rs, i) => step(rs, sizes[i]!));
}

// ---------------------------------------------------------------------------------------------
// Recreate and clean-up

/**
 * Whether pods of old ReplicaSets may still run (upstream `oldPodsRunning`): an old ReplicaSet
 * reports pods, or a pod controlled by one of them is not `Succeeded`/`Failed`. Pods being
 * deleted count until they are gone.
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podsByReplicaSetUid: ReadonlyMap<string, readonly Pod[]>): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByReplicaSetUid) {
    if (newRS !== undefined && newRS.metadata.uid === uid) continue;
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}

/**
 * The old ReplicaSets to delete beyond `revisionHistoryLimit` (upstream `cleanupDeployment`):
 * lowest revision first, only those scaled to 0 with no pods, whose status is current, not
 * already being deleted.
 *
 * Worked example: limit 1, old ReplicaSets at revisions 1, 2, 3 all empty → delete 1 and 2.
 */
export function cleanupPlan(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit;
  const alive = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || compareByCreation(a, b));
  return byRevision
    .slice(0, diff)
    .filter((rs) => (rs.status.replicas ?? 0) === 0 && rs.spec.replicas === 0 && (rs.metadata.generation ?? 0) <= (rs.status.observedGeneration ?? 0));
}

/** Whether `rs`'s controller reference names `d` (by uid). */
export function isOwnedBy(rs: ReplicaSet | Pod, uid: string | undefined): boolean {
  return uid !== undefined && controllerRef(rs)?.uid === uid;
}

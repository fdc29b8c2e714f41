/**
 * Invariants of PodDisruptionBudgets over cluster state, stated from the Kubernetes
 * documentation ("Specifying a Disruption Budget for your Application": how minAvailable and
 * maxUnavailable count, percentages rounded up; "the Eviction API") in their own code,
 * independently of the controller's decide.ts: each returns the violations it finds, naming the
 * budget and the pod.
 *
 * @module
 */
import { invariant, matchesLabelSelector, parseTime, refOf, stateNowMs, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Invariant, InvariantViolation, KubeObject, OwnerReference, Pod, PodDisruptionBudget } from '@kubeloop/core';

/** A snapshot of what the budget invariants read. */
export interface DisruptionState {
  /** Every PodDisruptionBudget. */
  readonly budgets: readonly PodDisruptionBudget[];
  /** Every Pod. */
  readonly pods: readonly Pod[];
  /** The workloads whose replicas a budget may count: Deployments, ReplicaSets, StatefulSets, ReplicationControllers. */
  readonly workloads: readonly KubeObject[];
}

/** The numbers a budget's status must show, as the documentation defines them. */
export interface BudgetTruth {
  /** The pods the budget counts on: the pod count (integer minAvailable) or the controllers' replicas. */
  readonly expectedPods: number;
  /** How many must stay healthy. */
  readonly desiredHealthy: number;
  /** Ready, not terminating, not approved for eviction in the last 2 minutes. */
  readonly currentHealthy: number;
  /** currentHealthy − desiredHealthy, at least 0; 0 when nothing is expected. */
  readonly disruptionsAllowed: number;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController']);
const EVICTION_WINDOW_MS = 120_000;

/** `n` of an int-or-percent out of `total`, a percentage rounded up (the documentation: "rounds up"). */
function resolve(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.replace(/%$/, ''));
  return Math.ceil((percent * total) / 100);
}

function ready(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function controllerOf(o: KubeObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

function replicasOf(o: KubeObject): number {
  return (o as unknown as { spec?: { replicas?: number } }).spec?.replicas ?? 0;
}

/**
 * What `budget`'s status must say at `nowMs` given `state`: the numbers; `'failed'` when a pod's
 * controller (counted for a percentage or maxUnavailable) does not exist, where the budget must
 * allow no disruption; `undefined` when a pod's controller is a kind these invariants do not
 * know (a custom resource's scale), left unjudged.
 */
export function budgetTruth(budget: PodDisruptionBudget, state: DisruptionState, nowMs: number): BudgetTruth | 'failed' | undefined {
  const namespace = budget.metadata.namespace ?? '';
  const pods = state.pods.filter((p) => (p.metadata.namespace ?? '') === namespace && matchesLabelSelector(budget.spec.selector, p.metadata.labels));
  const byUid = new Map<string, KubeObject>();
  for (const w of state.workloads) if ((w.metadata.namespace ?? '') === namespace && w.metadata.uid !== undefined) byUid.set(w.metadata.uid, w);
  /** Replicas summed over the pods' distinct controllers; a ReplicaSet counts as its Deployment when that exists. */
  const controllersScale = (): number | 'failed' | undefined => {
    const counted = new Map<string, number>();
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (ref === undefined) continue;
      if (!WORKLOAD_KINDS.has(ref.kind)) return undefined;
      let owner = byUid.get(ref.uid);
      if (owner === undefined || owner.kind !== ref.kind) return 'failed';
      const up = controllerOf(owner);
      if (owner.kind === 'ReplicaSet' && up?.kind === 'Deployment') {
        const deployment = byUid.get(up.uid);
        if (deployment?.kind === 'Deployment') owner = deployment;
      }
      counted.set(owner.metadata.uid ?? '', replicasOf(owner));
    }
    let sum = 0;
    for (const n of counted.values()) sum += n;
    return sum;
  };
  const { minAvailable, maxUnavailable } = budget.spec;
  let expectedPods = 0;
  let desiredHealthy = 0;
  if (maxUnavailable !== undefined || (minAvailable !== undefined && typeof minAvailable === 'string')) {
    const scale = controllersScale();
    if (scale === undefined || scale === 'failed') return scale;
    expectedPods = scale;
    desiredHealthy = maxUnavailable !== undefined ? Math.max(0, scale - resolve(maxUnavailable, scale)) : resolve(minAvailable!, scale);
  } else if (minAvailable !== undefined) {
    expectedPods = pods.length;
    desiredHealthy = minAvailable;
  }
  const disrupted = budget.status.disruptedPods ?? {};
  const currentHealthy = pods.filter((p) => {
    if (p.metadata.deletionTimestamp !== undefined || !ready(p)) return false;
    const at = disrupted[p.metadata.name ?? ''];
    return at === undefined || parseTime(at) + EVICTION_WINDOW_MS <= nowMs;
  }).length;
  const disruptionsAllowed = expectedPods > 0 ? Math.max(0, currentHealthy - desiredHealthy) : 0;
  return { expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed };
}

/**
 * After settling, every budget's status says what its spec says of the pods: expectedPods,
 * desiredHealthy, currentHealthy and disruptionsAllowed as {@link budgetTruth} counts them,
 * observedGeneration = generation, the `DisruptionAllowed` condition True (`SufficientPods`)
 * exactly when a disruption is allowed (else False, `InsufficientPods`, or `SyncFailed` with 0
 * allowed when a counted controller is missing), and `disruptedPods` naming only live pods
 * approved for eviction less than 2 minutes ago.
 */
export function budgetStatusMatchesPods(state: DisruptionState, nowMs: number): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const budget of state.budgets) {
    if (budget.metadata.deletionTimestamp !== undefined) continue;
    const truth = budgetTruth(budget, state, nowMs);
    if (truth === undefined) continue;
    const status = budget.status;
    const condition = (status.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
    const say = (message: string): void => {
      out.push({ message, objects: [refOf(budget)] });
    };
    if (truth === 'failed') {
      if (status.disruptionsAllowed !== 0 || condition?.status !== 'False' || condition.reason !== 'SyncFailed') {
        say(`a counted pod's controller does not exist, yet status says disruptionsAllowed ${status.disruptionsAllowed} with DisruptionAllowed ${condition?.status ?? 'missing'}/${condition?.reason ?? ''}`);
      }
      continue;
    }
    const shown = { expectedPods: status.expectedPods, desiredHealthy: status.desiredHealthy, currentHealthy: status.currentHealthy, disruptionsAllowed: status.disruptionsAllowed };
    for (const field of ['expectedPods', 'desiredHealthy', 'currentHealthy', 'disruptionsAllowed'] as const) {
      if (shown[field] !== truth[field]) say(`status.${field} is ${shown[field]}, the pods say ${truth[field]}`);
    }
    if ((status.observedGeneration ?? 0) !== (budget.metadata.generation ?? 0)) say(`status.observedGeneration is ${status.observedGeneration ?? 0}, generation is ${budget.metadata.generation ?? 0}`);
    const [wantStatus, wantReason] = truth.disruptionsAllowed > 0 ? ['True', 'SufficientPods'] : ['False', 'InsufficientPods'];
    if (condition?.status !== wantStatus || condition.reason !== wantReason) say(`condition DisruptionAllowed is ${condition?.status ?? 'missing'}/${condition?.reason ?? ''}, expected ${wantStatus}/${wantReason}`);
    const namespace = budget.metadata.namespace ?? '';
    for (const [name, at] of Object.entries(status.disruptedPods ?? {})) {
      const pod = state.pods.find((p) => (p.metadata.namespace ?? '') === namespace && p.metadata.name === name);
      if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) say(`status.disruptedPods still names pod ${name}, which is ${pod === undefined ? 'gone' : 'being deleted'}`);
      else if (parseTime(at) + EVICTION_WINDOW_MS <= nowMs) say(`status.disruptedPods still names pod ${name}, approved for eviction at ${at}, more than 2 minutes ago`);
    }
  }
  return out;
}

const TRACKED = new Set(['PodDisruptionBudget', 'Pod', ...WORKLOAD_KINDS]);

function key(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function snapshot(live: ReadonlyMap<string, KubeObject>): DisruptionState {
  const all = [...live.values()];
  return {
    budgets: all.filter((o) => o.kind === 'PodDisruptionBudget') as PodDisruptionBudget[],
    pods: all.filter((o) => o.kind === 'Pod') as Pod[],
    workloads: all.filter((o) => WORKLOAD_KINDS.has(o.kind)),
  };
}

/**
 * Between two states: every eviction charged to a budget (a pod added to its
 * `status.disruptedPods`) was allowed by the pods, whenever the budget's status at that moment
 * described them (same generation, and expectedPods, desiredHealthy and currentHealthy as
 * {@link budgetTruth} counts them on the state just before): an eviction of a budget whose pods
 * allowed no disruption is a violation, whether the status lied about disruptionsAllowed or the
 * eviction ignored it. A status lagging behind the pods (the race upstream accepts) is not judged.
 */
export function evictionsRespectBudgets(previous: DisruptionState, changes: ClusterState['changes']): InvariantViolation[] {
  const live = new Map<string, KubeObject>();
  for (const o of [...previous.budgets, ...previous.pods, ...previous.workloads]) live.set(key(o), o);
  const out: InvariantViolation[] = [];
  for (const change of changes) {
    const o = change.object;
    if (!TRACKED.has(o.kind)) continue;
    if (o.kind === 'PodDisruptionBudget' && change.type === 'MODIFIED') {
      const before = live.get(key(o)) as PodDisruptionBudget | undefined;
      const after = o as PodDisruptionBudget;
      const had = before?.status.disruptedPods ?? {};
      const added = Object.entries(after.status.disruptedPods ?? {}).filter(([name]) => had[name] === undefined);
      if (before !== undefined && added.length > 0) {
        const at = Math.min(...added.map(([, t]) => parseTime(t)));
        const truth = budgetTruth(before, snapshot(live), at);
        const s = before.status;
        const current =
          truth !== undefined &&
          truth !== 'failed' &&
          (s.observedGeneration ?? 0) === (before.metadata.generation ?? 0) &&
          s.expectedPods === truth.expectedPods &&
          s.desiredHealthy === truth.desiredHealthy &&
          s.currentHealthy === truth.currentHealthy;
        if (current && truth.disruptionsAllowed < added.length) {
          out.push({
            message: `evicted pod ${added.map(([n]) => n).join(', ')} while its pods allowed ${truth.disruptionsAllowed} disruption(s) (currentHealthy ${truth.currentHealthy}, desiredHealthy ${truth.desiredHealthy}); status said disruptionsAllowed ${s.disruptionsAllowed}`,
            objects: [refOf(before)],
          });
        }
      }
    }
    if (change.type === 'DELETED') live.delete(key(o));
    else live.set(key(o), o);
  }
  return out;
}

function disruptionState(state: ClusterState): DisruptionState {
  return {
    budgets: state.of<PodDisruptionBudget>('PodDisruptionBudget'),
    pods: state.of<Pod>('Pod'),
    workloads: [...state.of('Deployment'), ...state.of('ReplicaSet'), ...state.of('StatefulSet'), ...state.of('ReplicationController')],
  };
}

/** Liveness: {@link budgetStatusMatchesPods}. */
export const budgetStatusMatchesPodsInvariant: Invariant = invariant(
  'budgetStatusMatchesPods',
  "After settling, each PodDisruptionBudget's status counts its selected pods: expectedPods (the owners' scale, or the pods for a bare minAvailable), desiredHealthy (minAvailable, or expectedPods minus maxUnavailable), currentHealthy (Ready pods not being deleted or recently evicted), disruptionsAllowed = max(0, currentHealthy − desiredHealthy); observedGeneration is the generation, DisruptionAllowed is True exactly when a disruption is allowed, and disruptedPods names only live pods evicted less than 2 minutes ago.",
  (state) => {
    if (state.of('PodDisruptionBudget').length === 0) return [];
    return budgetStatusMatchesPods(disruptionState(state), stateNowMs(state));
  },
);

/** Transition: {@link evictionsRespectBudgets}, replaying the changes between two states. */
export const evictionsRespectBudgetsInvariant: Invariant = transitionInvariant(
  'evictionsRespectBudgets',
  'No eviction is charged to a PodDisruptionBudget whose pods allow no disruption while its status describes them.',
  (previous, state) => {
    if (!state.changes.some((c) => c.object.kind === 'PodDisruptionBudget')) return [];
    return evictionsRespectBudgets(disruptionState(previous), state.changes);
  },
);

/** The invariants the disruption plugin registers. */
export const DISRUPTION_INVARIANTS: readonly Invariant[] = [budgetStatusMatchesPodsInvariant, evictionsRespectBudgetsInvariant];

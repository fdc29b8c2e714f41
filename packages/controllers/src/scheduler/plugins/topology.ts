/**
 * Plugins over topology domains: InterPodAffinity and PodTopologySpread.
 *
 * A topology domain is the set of nodes sharing one value of a `topologyKey` label (a zone, a
 * hostname). Both plugins count pods per domain once per cycle (PreFilter / PreScore) and
 * then judge each node from its domain's counts.
 *
 * @module
 */
import { selectorFromLabelSelector, type LabelSelector, type Pod, type Selector, type PodAffinityTerm, type TopologySpreadConstraint } from '@kubeloop/core';
import { MAX_NODE_SCORE, SKIP, SUCCESS, unresolvable, unschedulable, type CycleState, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework.js';
import type { NodeInfoView, Snapshot } from '../nodeinfo.js';
import { findUntoleratedTaint, matchesNodeSelectorAndAffinity } from './node.js';

// ---------------------------------------------------------------------------------------------
// Label selectors, compiled once per (frozen, shared) selector object

const compiled = new WeakMap<LabelSelector, Selector>();

/** `matchesLabelSelector`, with the compiled selector cached by object identity (objects from the store are frozen). Invalid selectors match nothing. */
function matchesLabelSelector(ls: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (ls === undefined) return false;
  let sel = compiled.get(ls);
  if (sel === undefined) {
    try {
      sel = selectorFromLabelSelector(ls);
    } catch {
      return false;
    }
    compiled.set(ls, sel);
  }
  return sel.matches(labels);
}

// ---------------------------------------------------------------------------------------------
// InterPodAffinity

/** Upstream's reason when the pod's required affinity finds no matching pod in the node's domain. */
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
/** Upstream's reason when the pod's required anti-affinity finds a matching pod in the node's domain. */
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
/** Upstream's reason when an existing pod's required anti-affinity rejects the incoming pod. */
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

/**
 * Whether `term` (owned by `owner`) selects `pod`: the pod's namespace is among `namespaces`
 * (or, with neither `namespaces` nor `namespaceSelector`, the owner's namespace; an empty
 * `namespaceSelector` means every namespace) and its labels match `labelSelector` (none matches nothing).
 */
export function termMatchesPod(term: PodAffinityTerm, owner: Pod, pod: Pod, snapshot: Snapshot): boolean {
  const ns = pod.metadata.namespace ?? '';
  const names = term.namespaces ?? [];
  let nsOk: boolean;
  if (names.length === 0 && term.namespaceSelector === undefined) nsOk = ns === (owner.metadata.namespace ?? '');
  else {
    nsOk = names.includes(ns);
    if (!nsOk && term.namespaceSelector !== undefined) nsOk = matchesLabelSelector(term.namespaceSelector, snapshot.namespaceLabels(ns) ?? {});
  }
  return nsOk && term.labelSelector !== undefined && matchesLabelSelector(term.labelSelector, pod.metadata.labels);
}

function topologyValue(node: NodeInfoView, key: string): string | undefined {
  const labels = node.node.metadata.labels;
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

interface AffinityState {
  /** `key=value` domains holding a pod whose required anti-affinity selects the incoming pod. */
  readonly existingAnti: Set<string>;
  /** Per required affinity term: domains with a matching pod. */
  readonly affinity: Set<string>[];
  /** Per required anti-affinity term: domains with a matching pod. */
  readonly anti: Set<string>[];
  /** Whether no pod (on a node with the terms' keys) matches all required affinity terms: then a pod matching its own terms may start the group. */
  readonly noAffinityMatches: boolean;
}

const AFFINITY_KEY = 'PreFilterInterPodAffinity';

function requiredTerms(pod: Pod) {
  const a = pod.spec.affinity;
  return {
    affinity: a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
    anti: a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

/**
 * InterPodAffinity, upstream semantics:
 *
 * Filter, in order:
 * 1. no existing pod's required anti-affinity term may select the incoming pod within the
 *    node's domain for that term's `topologyKey` → {@link ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH};
 * 2. each required affinity term needs, in the node's domain for its `topologyKey`, a pod
 *    matching all the terms; a node without a term's `topologyKey` label fails. Exception: if no
 *    pod in the cluster matches all the terms and the pod matches its own terms, it may go
 *    anywhere with the labels (the first of a group)
 *    → {@link ERR_REASON_AFFINITY_RULES_NOT_MATCH};
 * 3. no required anti-affinity term may find a matching pod in the node's domain (a node without
 *    the key is fine) → {@link ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH}.
 *
 * Score: for each pod on a node with the label, `+weight` for each preferred affinity term of the
 * incoming pod it matches and `−weight` for each preferred anti-affinity term, credited to every
 * node of that domain; symmetrically the existing pods' preferred terms that select the
 * incoming pod (and their required affinity terms, with weight 1). Normalized min–max:
 * `100 × (s − min) / (max − min)`, or 0 when all equal.
 */
export const interPodAffinity: PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin = {
  name: 'InterPodAffinity',
  preFilter(state, pod, snapshot) {
    const { affinity, anti } = requiredTerms(pod);
    const existingAnti = new Set<string>();
    for (const n of snapshot.havePodsWithRequiredAntiAffinity) {
      for (const p of n.podsWithRequiredAntiAffinity.values()) {
        for (const t of p.pod.spec.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution!) {
          const v = topologyValue(n, t.topologyKey);
          if (v !== undefined && termMatchesPod(t, p.pod, pod, snapshot)) existingAnti.add(`${t.topologyKey}=${v}`);
        }
      }
    }
    const affSets = affinity.map(() => new Set<string>());
    const antiSets = anti.map(() => new Set<string>());
    if (affinity.length > 0 || anti.length > 0) {
      for (const n of snapshot.nodes) {
        for (const p of n.pods.values()) {
          // As upstream: only pods matching every required affinity term count for affinity.
          if (affinity.length > 0 && affinity.every((t) => termMatchesPod(t, pod, p.pod, snapshot))) {
            affinity.forEach((t, i) => {
              const v = topologyValue(n, t.topologyKey);
              if (v !== undefined) affSets[i]!.add(v);
            });
          }
          anti.forEach((t, i) => {
            const v = topologyValue(n, t.topologyKey);
            if (v !== undefined && termMatchesPod(t, pod, p.pod, snapshot)) antiSets[i]!.add(v);
          });
        }
      }
    }
    const anyAllMatch = affSets.some((set) => set.size > 0);
    if (existingAnti.size === 0 && affinity.length === 0 && anti.length === 0) return SKIP;
    const s: AffinityState = { existingAnti, affinity: affSets, anti: antiSets, noAffinityMatches: !anyAllMatch };
    state.set(AFFINITY_KEY, s);
    return SUCCESS;
  },
  filter(state, pod, node, snapshot) {
    const s = state.get(AFFINITY_KEY) as AffinityState | undefined;
    if (s === undefined) return SUCCESS;
    const labels = node.node.metadata.labels ?? {};
    for (const k in labels) if (s.existingAnti.has(`${k}=${labels[k]}`)) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
    const { affinity, anti } = requiredTerms(pod);
    if (affinity.length > 0) {
      let ok = affinity.every((t, i) => {
        const v = topologyValue(node, t.topologyKey);
        return v !== undefined && s.affinity[i]!.has(v);
      });
      if (!ok && s.noAffinityMatches) {
        ok = affinity.every((t) => topologyValue(node, t.topologyKey) !== undefined && termMatchesPod(t, pod, pod, snapshot));
      }
      if (!ok) return unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
    }
    for (let i = 0; i < anti.length; i++) {
      const v = topologyValue(node, anti[i]!.topologyKey);
      if (v !== undefined && s.anti[i]!.has(v)) return unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    }
    return SUCCESS;
  },
  preScore(state, pod, _nodes, snapshot) {
    const a = pod.spec.affinity;
    const prefAff = a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const prefAnti = a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const hasOwn = prefAff.length + prefAnti.length > 0;
    const scores = new Map<string, number>(); // `key=value` → score
    const add = (key: string, value: string, w: number) => {
      const k = `${key}=${value}`;
      scores.set(k, (scores.get(k) ?? 0) + w);
    };
    let any = false;
    for (const n of hasOwn ? snapshot.nodes : snapshot.havePodsWithAffinity) {
      const pods = hasOwn ? n.pods : n.podsWithAffinity;
      for (const p of pods.values()) {
        for (const t of prefAff) {
          const v = topologyValue(n, t.podAffinityTerm.topologyKey);
          if (v !== undefined && termMatchesPod(t.podAffinityTerm, pod, p.pod, snapshot)) add(t.podAffinityTerm.topologyKey, v, t.weight);
        }
        for (const t of prefAnti) {
          const v = topologyValue(n, t.podAffinityTerm.topologyKey);
          if (v !== undefined && termMatchesPod(t.podAffinityTerm, pod, p.pod, snapshot)) add(t.podAffinityTerm.topologyKey, v, -t.weight);
        }
        if (!p.hasAffinity) continue;
        const ea = p.pod.spec.affinity!;
        for (const t of ea.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
          const v = topologyValue(n, t.topologyKey);
          if (v !== undefined && termMatchesPod(t, p.pod, pod, snapshot)) add(t.topologyKey, v, 1);
        }
        for (const t of ea.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
          const v = topologyValue(n, t.podAffinityTerm.topologyKey);
          if (v !== undefined && termMatchesPod(t.podAffinityTerm, p.pod, pod, snapshot)) add(t.podAffinityTerm.topologyKey, v, t.weight);
        }
        for (const t of ea.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
          const v = topologyValue(n, t.podAffinityTerm.topologyKey);
          if (v !== undefined && termMatchesPod(t.podAffinityTerm, p.pod, pod, snapshot)) add(t.podAffinityTerm.topologyKey, v, -t.weight);
        }
      }
      if (scores.size > 0) any = true;
    }
    if (!any) return SKIP;
    state.set('PreScoreInterPodAffinity', scores);
    return SUCCESS;
  },
  score(state, _pod, node) {
    const scores = state.get('PreScoreInterPodAffinity') as Map<string, number> | undefined;
    if (scores === undefined) return 0;
    let s = 0;
    const labels = node.node.metadata.labels ?? {};
    for (const k in labels) s += scores.get(`${k}=${labels[k]}`) ?? 0;
    return s;
  },
  normalizeScore(_s, _pod, scores) {
    minMaxNormalize(scores);
  },
};

/** Min–max normalization to 0..100 (integer division); all equal → all 0. */
export function minMaxNormalize(scores: number[]): void {
  if (scores.length === 0) return;
  let min = scores[0]!;
  let max = scores[0]!;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  for (let i = 0; i < scores.length; i++) scores[i] = max === min ? 0 : Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / (max - min));
}

// ---------------------------------------------------------------------------------------------
// PodTopologySpread

/** Upstream's reason when placing the pod on the node would exceed `maxSkew`. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
/** Upstream's reason when the node lacks a constraint's `topologyKey` label. */
export const ERR_REASON_NODE_LABEL_NOT_MATCH = "node(s) didn't match pod topology spread constraints (missing required label)";

function constraintsOf(pod: Pod, mode: TopologySpreadConstraint['whenUnsatisfiable']): TopologySpreadConstraint[] {
  return (pod.spec.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === mode);
}

/**
 * Counts, per constraint, matching pods per domain over the eligible nodes: nodes carrying every
 * constraint's `topologyKey`, matching the pod's nodeSelector / required node affinity (unless
 * `nodeAffinityPolicy: Ignore`) and, with `nodeTaintsPolicy: Honor`, whose taints the pod
 * tolerates. Matching pods: same namespace, labels match the constraint's selector, not terminating.
 */
function countDomains(pod: Pod, constraints: readonly TopologySpreadConstraint[], nodes: readonly NodeInfoView[]): Map<string, number>[] {
  const counts = constraints.map(() => new Map<string, number>());
  const ns = pod.metadata.namespace ?? '';
  for (const n of nodes) {
    if (!constraints.every((c) => topologyValue(n, c.topologyKey) !== undefined)) continue;
    constraints.forEach((c, i) => {
      if (c.nodeAffinityPolicy !== 'Ignore' && !matchesNodeSelectorAndAffinity(pod, n.node)) return;
      if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(n.taints, pod.spec.tolerations, ['NoSchedule', 'NoExecute']) !== undefined) return;
      const v = topologyValue(n, c.topologyKey)!;
      let count = counts[i]!.get(v) ?? 0;
      for (const p of n.pods.values()) {
        if ((p.pod.metadata.namespace ?? '') !== ns || p.pod.metadata.deletionTimestamp) continue;
        if (matchesLabelSelector(c.labelSelector, p.pod.metadata.labels)) count++;
      }
      counts[i]!.set(v, count);
    });
  }
  return counts;
}

interface SpreadState {
  readonly constraints: TopologySpreadConstraint[];
  readonly counts: Map<string, number>[];
  readonly minMatch: number[];
}

/**
 * PodTopologySpread, upstream semantics:
 *
 * Filter (`DoNotSchedule` constraints): a node without a constraint's `topologyKey` fails with
 * {@link ERR_REASON_NODE_LABEL_NOT_MATCH}; otherwise, with `count` the matching pods in the
 * node's domain, `self` 1 if the pod matches its own selector, and `min` the smallest count over
 * eligible domains (0 when there are fewer domains than `minDomains`), placing the pod must keep
 * `count + self − min ≤ maxSkew`, else {@link ERR_REASON_CONSTRAINTS_NOT_MATCH}.
 *
 * @example maxSkew 1 over zones a (2 matching pods), b (1), c (1): min = 1; zone a gives
 * 2 + 1 − 1 = 2 > 1 (rejected), zones b and c give 1 (allowed).
 *
 * Score (`ScheduleAnyway` constraints): `Σ count × ln(domains + 2) + (maxSkew − 1)` per node,
 * rounded, then normalized so fewer matching pods scores higher:
 * `100 × (max + min − s) / max`. Nodes missing a key score 0. Upstream's system default
 * constraints (for pods without any) are not applied.
 */
export const podTopologySpread: PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin = {
  name: 'PodTopologySpread',
  preFilter(state, pod, snapshot) {
    const constraints = constraintsOf(pod, 'DoNotSchedule');
    if (constraints.length === 0) return SKIP;
    const counts = countDomains(pod, constraints, snapshot.nodes);
    const minMatch = constraints.map((c, i) => {
      const m = counts[i]!;
      if (c.minDomains !== undefined && m.size < c.minDomains) return 0;
      let min = Infinity;
      for (const v of m.values()) if (v < min) min = v;
      return min === Infinity ? 0 : min;
    });
    const s: SpreadState = { constraints, counts, minMatch };
    state.set('PreFilterPodTopologySpread', s);
    return SUCCESS;
  },
  filter(state, pod, node) {
    const s = state.get('PreFilterPodTopologySpread') as SpreadState | undefined;
    if (s === undefined) return SUCCESS;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = topologyValue(node, c.topologyKey);
      if (v === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const self = matchesLabelSelector(c.labelSelector, pod.metadata.labels) ? 1 : 0;
      const count = s.counts[i]!.get(v) ?? 0;
      if (count + self - s.minMatch[i]! > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return SUCCESS;
  },
  preScore(state, pod, _nodes, snapshot) {
    const constraints = constraintsOf(pod, 'ScheduleAnyway');
    if (constraints.length === 0) return SKIP;
    const counts = countDomains(pod, constraints, snapshot.nodes);
    state.set('PreScorePodTopologySpread', { constraints, counts, minMatch: [] } satisfies SpreadState);
    return SUCCESS;
  },
  score(state: CycleState, _pod, node) {
    const s = state.get('PreScorePodTopologySpread') as SpreadState | undefined;
    if (s === undefined) return 0;
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = topologyValue(node, c.topologyKey);
      if (v === undefined) return -1; // marks "not eligible": normalized to 0
      score += (s.counts[i]!.get(v) ?? 0) * Math.log(s.counts[i]!.size + 2) + (c.maxSkew - 1);
    }
    return Math.round(score);
  },
  normalizeScore(_s, _pod, scores) {
    let min = Infinity;
    let max = 0;
    for (const s of scores) {
      if (s < 0) continue;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (s < 0) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - s)) / max);
    }
  },
};

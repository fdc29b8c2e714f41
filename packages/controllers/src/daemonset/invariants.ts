/**
 * Invariants of DaemonSets over cluster state, for tests and checkers: each takes a snapshot
 * (`{ daemonSets, nodes, pods }`) and returns the violations it finds, naming the DaemonSet and
 * the node by reference. Most are meant to be checked after the cluster settled (liveness
 * properties: during a rollout or right after a node change they may not hold yet);
 * {@link rollingUpdateAvailability} is a safety property, under the preconditions it states.
 * The same rules as core {@link Invariant}s over a {@link ClusterState} follow; the DaemonSet
 * plugin registers {@link oneDaemonPodPerEligibleNodeInvariant} and
 * {@link daemonSetStatusMatchesInvariant}.
 *
 * @module
 */
import {
  CONTROLLER_REVISION_HASH_LABEL,
  POD_TEMPLATE_GENERATION_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  activeMs,
  controllerRef,
  deepEqual,
  findUntoleratedTaint,
  invariant,
  isPodActive,
  isPodAvailable,
  isPodReady,
  matchesNodeSelectorAndAffinity,
  parseTime,
  refOf,
  scaledValue,
  stateNowMs,
  transitionInvariant,
} from '@kubeloop/core';
import type { ClusterState, ControllerRevision, DaemonSet, Invariant, InvariantViolation, KubeObject, Node, ObjectRef, Pod, Toleration } from '@kubeloop/core';

/** A snapshot of the cluster state the invariants read. */
export interface DaemonSetState {
  /** Every DaemonSet. */
  readonly daemonSets: readonly DaemonSet[];
  /** Every Node. */
  readonly nodes: readonly Node[];
  /** Every Pod. */
  readonly pods: readonly Pod[];
}

/**
 * One broken invariant (core's {@link InvariantViolation}): its objects are the DaemonSet and,
 * when the violation is about one node, that Node.
 */
export type DaemonSetViolation = InvariantViolation;

/** The objects of a violation about `ds` (and the node `node`, when there is one). */
function at(ds: DaemonSet, node?: string): ObjectRef[] {
  return node === undefined || node === '' ? [refOf(ds)] : [refOf(ds), { kind: 'Node', name: node }];
}

// The rules below are stated here, from the DaemonSet documentation, not taken from the
// controller's decide.ts and status.ts: an invariant is an oracle independent of the code it
// checks (core's node affinity and taint matching are shared rules with their own tests).

/**
 * The tolerations every daemon pod gets besides its template's (DaemonSet documentation, "Taints
 * and tolerations"): not-ready and unreachable (`NoExecute`), disk, memory and PID pressure and
 * unschedulable (`NoSchedule`), and network-unavailable (`NoSchedule`) for host-network pods.
 */
function withDaemonTolerations(ds: DaemonSet): Toleration[] {
  const spec = ds.spec.template.spec;
  const added: [string, string][] = [
    ['node.kubernetes.io/not-ready', 'NoExecute'],
    ['node.kubernetes.io/unreachable', 'NoExecute'],
    ['node.kubernetes.io/disk-pressure', 'NoSchedule'],
    ['node.kubernetes.io/memory-pressure', 'NoSchedule'],
    ['node.kubernetes.io/pid-pressure', 'NoSchedule'],
    ['node.kubernetes.io/unschedulable', 'NoSchedule'],
    ...(spec.hostNetwork === true ? [['node.kubernetes.io/network-unavailable', 'NoSchedule'] as [string, string]] : []),
  ];
  return [...(spec.tolerations ?? []), ...added.map(([key, effect]) => ({ key, operator: 'Exists' as const, effect }) as Toleration)];
}

/**
 * Where a DaemonSet's pod belongs: `run` on a node its template's `nodeName`, node selector and
 * required node affinity admit and whose `NoSchedule` and `NoExecute` taints it tolerates;
 * `keep` (an existing pod may stay) where only `NoExecute` ones must be tolerated.
 */
function placement(node: Node, ds: DaemonSet): { readonly run: boolean; readonly keep: boolean } {
  const spec = ds.spec.template.spec;
  const pinned = spec.nodeName !== undefined && spec.nodeName !== '' && spec.nodeName !== node.metadata.name;
  if (pinned || !matchesNodeSelectorAndAffinity({ metadata: {}, spec: { ...spec, nodeName: undefined } } as unknown as Pod, node)) return { run: false, keep: false };
  const tolerations = withDaemonTolerations(ds);
  return {
    run: findUntoleratedTaint(node.spec.taints, tolerations, ['NoSchedule', 'NoExecute']) === undefined,
    keep: findUntoleratedTaint(node.spec.taints, tolerations, ['NoExecute']) === undefined,
  };
}

/**
 * The node a daemon pod is for: its `spec.nodeName` once bound, else the single node its
 * required node affinity names by `metadata.name` (how daemon pods reach their node).
 */
function nodeOf(pod: Pod): string | undefined {
  if (pod.spec.nodeName !== undefined && pod.spec.nodeName !== '') return pod.spec.nodeName;
  for (const term of pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const r of term.matchFields ?? []) if (r.key === 'metadata.name' && r.operator === 'In' && r.values?.length === 1) return r.values[0];
  }
  return undefined;
}

/** Daemon pods by the node they are for (pods for no node left out). */
function byNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = nodeOf(pod);
    if (node !== undefined) out.set(node, [...(out.get(node) ?? []), pod]);
  }
  return out;
}

/** Whether a pod is of the DaemonSet's current revision: its hash label is `hash`, or its generation label the template generation. */
function isUpdated(pod: Pod, ds: DaemonSet, hash: string): boolean {
  const labels = pod.metadata.labels ?? {};
  const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH_LABEL] === hash) || (generation !== undefined && /^-?\d+$/.test(generation) && labels[POD_TEMPLATE_GENERATION_LABEL] === String(Number(generation)));
}

/**
 * A RollingUpdate DaemonSet's budget over `desired` nodes: `maxSurge` and `maxUnavailable`
 * (default 1) of them, percentages rounded up; when both come out 0 with nodes to run on, one
 * node may be without a ready pod, so the update can progress.
 *
 * Worked examples (10 nodes): `25%`/`0` → maxUnavailable 3, maxSurge 0; `0`/`10%` → 0, 1.
 */
function rollingBudget(ds: DaemonSet, desired: number): { readonly maxSurge: number; readonly maxUnavailable: number } {
  const ru = ds.spec.updateStrategy.type === 'RollingUpdate' ? ds.spec.updateStrategy.rollingUpdate : undefined;
  const maxSurge = ru === undefined ? 0 : scaledValue(ru.maxSurge, desired, true);
  const maxUnavailable = ru === undefined ? 0 : scaledValue(ru.maxUnavailable, desired, true);
  return { maxSurge, maxUnavailable: desired > 0 && maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

/** The daemon pod a node's status counts judge: bound before unbound, then the oldest, then by name. */
function oldest(pods: readonly Pod[]): Pod {
  const key = (p: Pod): [number, number, string] => [p.spec.nodeName ? 0 : 1, p.metadata.creationTimestamp === undefined ? 0 : parseTime(p.metadata.creationTimestamp), p.metadata.name ?? ''];
  return [...pods].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
  })[0]!;
}

function dsKey(ds: DaemonSet): string {
  return `${ds.metadata.namespace ?? ''}/${ds.metadata.name ?? ''}`;
}

/** The active pods (not terminal, not being deleted) a DaemonSet controls. */
function activePodsOf(ds: DaemonSet, pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => controllerRef(p)?.uid === ds.metadata.uid && isPodActive(p));
}

/**
 * `oneDaemonPodPerEligibleNode`: for every DaemonSet not being deleted, counting its active
 * pods by the node they are for (bound node, or the `metadata.name` node affinity):
 * - a node that should run a daemon pod (selector, affinity, tolerated taints — with the
 *   daemon tolerations) has exactly one;
 * - a node that must not keep one (no match, or an untolerated `NoExecute` taint) has none;
 * - a node that only refuses new pods (an untolerated `NoSchedule` taint) has at most one;
 * - no unbound pod targets a node that does not exist.
 *
 * Bound pods of nodes that no longer exist are not counted: upstream leaves them to the pod
 * garbage collector. Assumes no surge is in progress (a surging rollout has two pods per node).
 */
export function oneDaemonPodPerEligibleNode(state: DaemonSetState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  const nodeNames = new Set(state.nodes.map((n) => n.metadata.name ?? ''));
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined) continue;
    const podsByNode = byNode(activePodsOf(ds, state.pods));
    const names = (pods: readonly Pod[]): string => pods.map((p) => p.metadata.name ?? '').join(', ');
    for (const node of state.nodes) {
      const name = node.metadata.name ?? '';
      const pods = podsByNode.get(name) ?? [];
      const { run, keep } = placement(node, ds);
      if (run && pods.length !== 1) {
        out.push({ objects: at(ds, name), message: `node ${name} should run exactly one daemon pod of ${dsKey(ds)} but has ${pods.length}${pods.length ? `: ${names(pods)}` : ''}` });
      } else if (!keep && pods.length > 0) {
        out.push({ objects: at(ds, name), message: `node ${name} is not eligible for ${dsKey(ds)} but runs ${names(pods)}` });
      } else if (pods.length > 1) {
        out.push({ objects: at(ds, name), message: `node ${name} runs ${pods.length} daemon pods of ${dsKey(ds)}: ${names(pods)}` });
      }
    }
    for (const [name, pods] of podsByNode) {
      if (nodeNames.has(name)) continue;
      const unbound = pods.filter((p) => (p.spec.nodeName ?? '') === '');
      if (unbound.length > 0) out.push({ objects: at(ds, name), message: `unscheduled daemon pods of ${dsKey(ds)} target node ${name}, which does not exist: ${names(unbound)}` });
    }
  }
  return out;
}

/**
 * The status counts a DaemonSet's pods and the nodes call for (DaemonSet status fields): over
 * the nodes that should run its pod (`desiredNumberScheduled`), those with a pod
 * (`currentNumberScheduled`) and, judging each node's oldest pod, those where it is ready
 * (`numberReady`), available for `minReadySeconds` (`numberAvailable`; the rest of the desired
 * ones are `numberUnavailable`) and of the current revision (`updatedNumberScheduled`); and the
 * nodes that should not run one but have one (`numberMisscheduled`).
 */
function expectedStatus(ds: DaemonSet, nodes: readonly Node[], pods: readonly Pod[], hash: string, nowMs: number): Record<string, number> {
  const podsByNode = byNode(pods);
  const n = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, numberAvailable: 0, numberUnavailable: 0, updatedNumberScheduled: 0 };
  for (const node of nodes) {
    const onNode = podsByNode.get(node.metadata.name ?? '') ?? [];
    if (!placement(node, ds).run) {
      if (onNode.length > 0) n.numberMisscheduled++;
      continue;
    }
    n.desiredNumberScheduled++;
    if (onNode.length === 0) continue;
    n.currentNumberScheduled++;
    const pod = oldest(onNode);
    if (isPodReady(pod)) n.numberReady++;
    if (isPodAvailable(pod, ds.spec.minReadySeconds ?? 0, nowMs)) n.numberAvailable++;
    if (isUpdated(pod, ds, hash)) n.updatedNumberScheduled++;
  }
  n.numberUnavailable = n.desiredNumberScheduled - n.numberAvailable;
  return n;
}

/**
 * `statusMatches` (exported as `daemonSetStatusMatches`): every DaemonSet's status counts (`desiredNumberScheduled`,
 * `currentNumberScheduled`, `numberMisscheduled`, `numberReady`, `numberAvailable`,
 * `numberUnavailable`, `updatedNumberScheduled`) equal what its pods and the nodes say now, and
 * `observedGeneration` is its generation. `hashOf` gives a DaemonSet's current revision hash
 * (the `controller-revision-hash` of its newest ControllerRevision).
 */
export function daemonSetStatusMatches(state: DaemonSetState, hashOf: (ds: DaemonSet) => string, nowMs: number): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined) continue;
    const pods = state.pods.filter((p) => controllerRef(p)?.uid === ds.metadata.uid && !((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.metadata.deletionTimestamp !== undefined));
    const want = expectedStatus(ds, state.nodes, pods, hashOf(ds), nowMs);
    const s = ds.status;
    const have: Record<string, number | undefined> = {
      desiredNumberScheduled: s.desiredNumberScheduled,
      currentNumberScheduled: s.currentNumberScheduled,
      numberMisscheduled: s.numberMisscheduled,
      numberReady: s.numberReady,
      numberAvailable: s.numberAvailable ?? 0,
      numberUnavailable: s.numberUnavailable ?? 0,
      updatedNumberScheduled: s.updatedNumberScheduled ?? 0,
    };
    for (const [field, value] of Object.entries(want)) {
      if (have[field] !== value) out.push({ objects: at(ds), message: `${dsKey(ds)} status.${field} is ${have[field]}, expected ${value}` });
    }
    if ((s.observedGeneration ?? 0) !== (ds.metadata.generation ?? 0)) out.push({ objects: at(ds), message: `${dsKey(ds)} status.observedGeneration is ${s.observedGeneration ?? 'unset'}, generation is ${ds.metadata.generation ?? 0}` });
  }
  return out;
}

/**
 * `daemonPodsUpdated`: after settling, every active pod of a RollingUpdate DaemonSet not being
 * deleted is of its current revision (upstream `IsPodUpdated`: its `controller-revision-hash`
 * label is `hashOf(ds)`, or its `pod-template-generation` label the DaemonSet's template
 * generation) — the rollout completed. `hashOf` gives a DaemonSet's current revision hash, as
 * for {@link daemonSetStatusMatches}. DaemonSets with the `OnDelete` strategy are not checked:
 * their old pods stay until someone deletes them, as upstream.
 */
export function daemonPodsUpdated(state: DaemonSetState, hashOf: (ds: DaemonSet) => string): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined || ds.spec.updateStrategy.type === 'OnDelete') continue;
    const hash = hashOf(ds);
    for (const p of activePodsOf(ds, state.pods)) {
      if (isUpdated(p, ds, hash)) continue;
      const node = p.spec.nodeName;
      out.push({
        objects: at(ds, node),
        message: `pod ${p.metadata.name ?? ''} of ${dsKey(ds)} is not of its current revision (hash ${p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? 'none'}, current ${hash || 'none'})`,
      });
    }
  }
  return out;
}

/**
 * `rollingUpdateAvailability` (safety): a RollingUpdate DaemonSet without surge (`maxSurge`
 * resolving to 0), not being deleted, has at most `maxUnavailable` of the nodes that should run
 * its pod without a Ready, not-being-deleted pod of it — upstream's rolling update deletes an
 * old pod only within that budget (`maxUnavailable` of the desired node count, rounded up; 1
 * when both come out 0).
 *
 * Preconditions (which is why it is a safety property only in scenarios that keep them): every
 * node that should run the pod is up and can make it Ready (no stopped kubelet, no image that
 * never starts), no node starts to need a pod during the check window, and the DaemonSet's pods
 * were all Ready once before (e.g. the setup settled). Ready, not available: a DaemonSet with
 * `minReadySeconds` counts a pod unavailable for longer, so the controller keeps a stricter
 * budget than this checks. Check it on every store state (`everyState` of the testing toolkit):
 * a controller may exceed the budget for a moment only.
 */
export function rollingUpdateAvailability(state: DaemonSetState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined || ds.spec.updateStrategy.type === 'OnDelete') continue;
    const desired = state.nodes.filter((n) => placement(n, ds).run).map((n) => n.metadata.name ?? '');
    const { maxSurge, maxUnavailable } = rollingBudget(ds, desired.length);
    if (maxSurge > 0) continue;
    const ready = new Set(activePodsOf(ds, state.pods).filter((p) => p.metadata.deletionTimestamp === undefined && isPodReady(p)).map((p) => p.spec.nodeName ?? ''));
    const without = desired.filter((n) => !ready.has(n));
    if (without.length > maxUnavailable) {
      out.push({ objects: at(ds), message: `${dsKey(ds)}: ${without.length} nodes without a ready daemon pod (${without.join(', ')}), more than maxUnavailable ${maxUnavailable}` });
    }
  }
  return out;
}

/**
 * `surgeRollingUpdateBounds` (safety): a RollingUpdate DaemonSet that surges (`maxSurge`
 * resolving above 0 over the nodes that should run its pod), not being deleted, in the words of
 * the `maxSurge` field's documentation:
 * - "the old DaemonSet pod on that node is marked deleted" only "once an updated pod is
 *   available": every node that should run its pod has a Ready daemon pod not being deleted;
 * - `maxSurge` is "the maximum number of nodes with an existing available DaemonSet pod that can
 *   have an updated DaemonSet pod": at most that many such nodes hold an updated pod that is not
 *   yet available (one that is available sends the old pod away, no longer a surge). An old pod
 *   that is not available is replaced "without considering surge limits", so a node whose only
 *   old pod is unavailable is not counted.
 *
 * Availability is Ready for `minReadySeconds` at {@link stateNowMs}'s time (`nowMs`). The
 * preconditions of {@link rollingUpdateAvailability} apply: every node that should run the pod
 * is up and can make it Ready, none starts to need a pod during the check window, and the pods
 * were all Ready once before.
 */
export function surgeRollingUpdateBounds(state: DaemonSetState, hashOf: (ds: DaemonSet) => string, nowMs: number): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined || ds.spec.updateStrategy.type !== 'RollingUpdate') continue;
    const desired = state.nodes.filter((n) => placement(n, ds).run).map((n) => n.metadata.name ?? '');
    const { maxSurge } = rollingBudget(ds, desired.length);
    if (maxSurge <= 0) continue;
    const hash = hashOf(ds);
    const minReadySeconds = ds.spec.minReadySeconds ?? 0;
    const podsByNode = byNode(activePodsOf(ds, state.pods));
    const without: string[] = [];
    const surging: string[] = [];
    for (const name of desired) {
      const pods = podsByNode.get(name) ?? [];
      if (!pods.some((p) => isPodReady(p))) without.push(name);
      const updated = pods.filter((p) => isUpdated(p, ds, hash));
      const oldAvailable = pods.some((p) => !isUpdated(p, ds, hash) && isPodAvailable(p, minReadySeconds, nowMs));
      if (oldAvailable && updated.length > 0 && !updated.some((p) => isPodAvailable(p, minReadySeconds, nowMs))) surging.push(name);
    }
    if (without.length > 0) out.push({ objects: at(ds), message: `${dsKey(ds)} surges (maxSurge ${maxSurge}), yet ${without.length} node(s) have no ready daemon pod: ${without.join(', ')}` });
    if (surging.length > maxSurge) {
      out.push({ objects: at(ds), message: `${dsKey(ds)}: ${surging.length} nodes with an available old pod have an updated pod not yet available (${surging.join(', ')}), more than maxSurge ${maxSurge}` });
    }
  }
  return out;
}

// ControllerRevisions: the DaemonSet's history

/** A snapshot with the ControllerRevisions too, for the history invariants. */
export interface DaemonSetHistoryState extends DaemonSetState {
  /** Every ControllerRevision. */
  readonly controllerRevisions: readonly ControllerRevision[];
}

/** The ControllerRevisions a DaemonSet controls (its namespace, its controller reference). */
function revisionsOf(ds: DaemonSet, revisions: readonly ControllerRevision[]): ControllerRevision[] {
  return revisions.filter((r) => r.metadata.namespace === ds.metadata.namespace && controllerRef(r)?.uid === ds.metadata.uid);
}

/**
 * The pod template a DaemonSet's ControllerRevision saves: its `data` is the patch
 * `kubectl rollout undo` applies, `{ spec: { template: { ..., $patch: replace } } }`; the
 * template is that object without the `$patch` directive (undefined when `data` has none).
 */
function savedTemplate(r: ControllerRevision): unknown {
  const template = (r.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (template === undefined) return undefined;
  return Object.fromEntries(Object.entries(template).filter(([k]) => k !== '$patch'));
}

/** Whether revision `r` saves the pod template `template`. */
function saves(r: ControllerRevision, template: DaemonSet['spec']['template']): boolean {
  return deepEqual(savedTemplate(r), template);
}

/** The `controller-revision-hash` label of an object ('' when absent). */
function hashLabel(o: KubeObject): string {
  return o.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

/** The `controller-revision-hash` labels the pods a DaemonSet controls carry (being deleted and ended ones included). */
function hashesInUse(ds: DaemonSet, pods: readonly Pod[]): Set<string> {
  return new Set(pods.filter((p) => controllerRef(p)?.uid === ds.metadata.uid && hashLabel(p) !== '').map(hashLabel));
}

/**
 * `daemonSetHistoryMatches` (liveness): after settling, each DaemonSet not being deleted has the
 * history upstream keeps in ControllerRevisions (`constructHistory`, `snapshot`,
 * `cleanupHistory`; `kubectl rollout history daemonset` lists it):
 * - one revision per distinct template: exactly one of its revisions saves its current
 *   template, and no two save the same one;
 * - the current revision has the highest `revision`, above every old one (a rollback to an
 *   old template renumbers that revision above the others);
 * - each revision is named `<daemonset>-<hash>`, labelled with its template's labels and
 *   `controller-revision-hash: <hash>`, and its `data` replaces the whole template
 *   (`$patch: replace`, so that `kubectl rollout undo` restores it rather than merging it);
 * - old revisions beyond `spec.revisionHistoryLimit` are kept only while a pod of the DaemonSet
 *   still carries their hash: with more old revisions than the limit, none is unused;
 * - every pod of the DaemonSet that carries a `controller-revision-hash` carries one of its
 *   revisions' (a revision still in use is never cleaned up).
 */
export function daemonSetHistoryMatches(state: DaemonSetHistoryState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  for (const ds of state.daemonSets) {
    if (ds.metadata.deletionTimestamp !== undefined) continue;
    const revisions = revisionsOf(ds, state.controllerRevisions);
    const names = (rs: readonly ControllerRevision[]): string => rs.map((r) => `${r.metadata.name ?? ''} (revision ${r.revision})`).join(', ');
    const current = revisions.filter((r) => saves(r, ds.spec.template));
    if (current.length === 0) out.push({ objects: at(ds), message: `no ControllerRevision of ${dsKey(ds)} saves its current template (revisions: ${names(revisions) || 'none'})` });
    revisions.forEach((r, i) => {
      const same = revisions.slice(i + 1).filter((o) => deepEqual(savedTemplate(o), savedTemplate(r)));
      if (same.length > 0) out.push({ objects: at(ds), message: `ControllerRevisions ${names([r, ...same])} of ${dsKey(ds)} save the same template` });
      const hash = hashLabel(r);
      const templateLabels = (savedTemplate(r) as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};
      const missing = Object.entries(templateLabels).filter(([k, v]) => r.metadata.labels?.[k] !== v).map(([k]) => k);
      const replaces = (r.data as { spec?: { template?: { $patch?: unknown } } } | undefined)?.spec?.template?.$patch === 'replace';
      if (!replaces) out.push({ objects: at(ds), message: `ControllerRevision ${r.metadata.name ?? ''} of ${dsKey(ds)} does not replace the template ($patch: replace) when applied` });
      if (hash === '' || r.metadata.name !== `${ds.metadata.name ?? ''}-${hash}` || missing.length > 0) {
        out.push({ objects: at(ds), message: `ControllerRevision ${r.metadata.name ?? ''} of ${dsKey(ds)} is not named <daemonset>-<hash> and labelled with its template's labels and its hash (hash label ${hash || 'none'}${missing.length > 0 ? `, template labels missing: ${missing.join(', ')}` : ''})` });
      }
    });
    const cur = current[0];
    if (cur === undefined) continue;
    const old = revisions.filter((r) => r !== cur && !saves(r, ds.spec.template));
    const notBelow = old.filter((r) => r.revision >= cur.revision);
    if (notBelow.length > 0) out.push({ objects: at(ds), message: `the current ControllerRevision ${names([cur])} of ${dsKey(ds)} is not above the old ${names(notBelow)}` });
    const inUse = hashesInUse(ds, state.pods);
    const unused = old.filter((r) => !inUse.has(hashLabel(r)));
    if (old.length > ds.spec.revisionHistoryLimit && unused.length > 0) {
      out.push({ objects: at(ds), message: `${dsKey(ds)} keeps ${old.length} old ControllerRevisions, revisionHistoryLimit ${ds.spec.revisionHistoryLimit}, and no pod uses ${names(unused)}` });
    }
    const known = new Set(revisions.map(hashLabel));
    for (const hash of inUse) {
      if (known.has(hash)) continue;
      const users = state.pods.filter((p) => controllerRef(p)?.uid === ds.metadata.uid && hashLabel(p) === hash).map((p) => p.metadata.name ?? '');
      out.push({ objects: at(ds), message: `pods ${users.join(', ')} of ${dsKey(ds)} carry controller-revision-hash ${hash}, which none of its ControllerRevisions has` });
    }
  }
  return out;
}

/**
 * `daemonSetRevisionHistory` (transition), judged on every ControllerRevision change between
 * `previous` and `state` whose controller is a DaemonSet that exists and is not being deleted:
 * - numbering (upstream `constructHistory`: a new revision, or the old one a rollback reuses,
 *   gets one more than the highest other revision): a revision created, or whose `revision`
 *   changes, has a number above every other revision of its DaemonSet at that moment, and a
 *   revision's number never goes down;
 * - clean-up (upstream `cleanupHistory`: old revisions beyond `revisionHistoryLimit` go, lowest
 *   revision first, skipping those whose hash a pod of the DaemonSet still carries): a deleted
 *   revision that saves none of the templates the DaemonSet had (in `previous` and since; a
 *   duplicate of the current template may go too) had its hash carried by no pod of the
 *   DaemonSet at that moment, leaves at least `revisionHistoryLimit` other revisions besides
 *   the highest (the current one), and leaves no revision of a lower number that no pod used
 *   (in `previous` or since).
 *
 * Holds where only the DaemonSet controller deletes ControllerRevisions and its caches follow
 * the store (no watch cut: a stale cache can number a revision from an old view, as upstream's).
 */
export function daemonSetRevisionHistory(previous: ClusterState, state: ClusterState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  if (!state.changes.some((c) => c.object.kind === 'ControllerRevision')) return out;
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const live = new Map<string, KubeObject>();
  for (const kind of ['DaemonSet', 'ControllerRevision', 'Pod']) for (const o of previous.of(kind)) live.set(key(o), o);
  const of = <T extends KubeObject>(kind: string): T[] => [...live.values()].filter((o): o is T => o.kind === kind);
  /** Per DaemonSet uid, the templates it had, and the hashes its pods carried, in `previous` and since. */
  const templates = new Map<string, DaemonSet['spec']['template'][]>();
  const used = new Map<string, Set<string>>();
  const saw = (o: KubeObject): void => {
    if (o.kind === 'DaemonSet') templates.set(o.metadata.uid ?? '', [...(templates.get(o.metadata.uid ?? '') ?? []), (o as DaemonSet).spec.template]);
    const ref = controllerRef(o);
    if (o.kind === 'Pod' && ref?.kind === 'DaemonSet' && hashLabel(o) !== '') used.set(ref.uid, new Set([...(used.get(ref.uid) ?? []), hashLabel(o)]));
  };
  for (const o of live.values()) saw(o);
  for (const c of state.changes) {
    if (c.object.kind !== 'DaemonSet' && c.object.kind !== 'ControllerRevision' && c.object.kind !== 'Pod') continue;
    const before = live.get(key(c.object));
    if (c.type === 'DELETED') live.delete(key(c.object));
    else live.set(key(c.object), c.object);
    saw(c.object);
    if (c.object.kind !== 'ControllerRevision') continue;
    const r = c.object as ControllerRevision;
    const ref = controllerRef(r);
    const ds = of<DaemonSet>('DaemonSet').find((d) => d.metadata.uid === ref?.uid && d.metadata.namespace === r.metadata.namespace);
    if (ref?.kind !== 'DaemonSet' || ds === undefined || ds.metadata.deletionTimestamp !== undefined) continue;
    const others = revisionsOf(ds, of<ControllerRevision>('ControllerRevision')).filter((o) => o.metadata.uid !== r.metadata.uid);
    const label = `ControllerRevision ${r.metadata.name ?? ''} of ${dsKey(ds)}`;
    if (c.type !== 'DELETED') {
      const was = before as ControllerRevision | undefined;
      if (was !== undefined && r.revision < was.revision) out.push({ objects: [refOf(r), ...at(ds)], message: `${label} went from revision ${was.revision} down to ${r.revision}` });
      const numbered = was === undefined || r.revision !== was.revision;
      const above = others.filter((o) => o.revision >= r.revision);
      if (numbered && above.length > 0) {
        out.push({ objects: [refOf(r), ...at(ds)], message: `${label} was ${was === undefined ? 'created' : 'renumbered'} as revision ${r.revision}, not above ${above.map((o) => `${o.metadata.name ?? ''} (revision ${o.revision})`).join(', ')}` });
      }
      continue;
    }
    if ((templates.get(ds.metadata.uid ?? '') ?? []).some((t) => saves(r, t))) continue;
    const users = of<Pod>('Pod').filter((p) => controllerRef(p)?.uid === ds.metadata.uid && hashLabel(p) === hashLabel(r) && hashLabel(r) !== '');
    if (users.length > 0) out.push({ objects: [refOf(r), ...at(ds)], message: `${label} (revision ${r.revision}) was deleted while pods ${users.map((p) => p.metadata.name ?? '').join(', ')} still carry its hash` });
    const highest = others.reduce<ControllerRevision | undefined>((h, o) => (h === undefined || o.revision > h.revision ? o : h), undefined);
    const kept = others.filter((o) => o !== highest);
    if (kept.length < ds.spec.revisionHistoryLimit) {
      out.push({ objects: [refOf(r), ...at(ds)], message: `${label} (revision ${r.revision}) was deleted leaving ${kept.length} old revisions, revisionHistoryLimit ${ds.spec.revisionHistoryLimit}` });
    }
    const inUse = used.get(ds.metadata.uid ?? '') ?? new Set<string>();
    const older = kept.filter((o) => o.revision < r.revision && !inUse.has(hashLabel(o)));
    if (older.length > 0) {
      out.push({ objects: [refOf(r), ...at(ds)], message: `${label} (revision ${r.revision}) was deleted before the older unused ${older.map((o) => `${o.metadata.name ?? ''} (revision ${o.revision})`).join(', ')}` });
    }
  }
  return out;
}

// As core invariants over cluster states

function daemonSetState(state: ClusterState): DaemonSetState {
  return { daemonSets: state.of<DaemonSet>('DaemonSet'), nodes: state.of<Node>('Node'), pods: state.of<Pod>('Pod') };
}

/** The `controller-revision-hash` of a DaemonSet's newest ControllerRevision in `state` ('' if none). */
function currentRevisionHash(state: ClusterState, ds: DaemonSet): string {
  let best: ControllerRevision | undefined;
  for (const r of state.of<ControllerRevision>('ControllerRevision')) {
    if (r.metadata.namespace !== ds.metadata.namespace || !(r.metadata.ownerReferences ?? []).some((o) => o.uid === ds.metadata.uid)) continue;
    if (best === undefined || r.revision > best.revision) best = r;
  }
  return best?.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

/**
 * Liveness: {@link oneDaemonPodPerEligibleNode} — after settling, every node a DaemonSet should
 * run on has exactly one of its active pods, nodes it must leave have none, and nodes that only
 * refuse new pods at most one. Not a safety property: right after a node change or during a
 * surging rollout it does not hold yet.
 */
export const oneDaemonPodPerEligibleNodeInvariant: Invariant = invariant('oneDaemonPodPerEligibleNode', 'After settling, every eligible node runs exactly one pod of each DaemonSet, and ineligible nodes none.', (state) =>
  oneDaemonPodPerEligibleNode(daemonSetState(state)),
);

/**
 * Liveness: {@link daemonSetStatusMatches} — after settling, every DaemonSet's status counts
 * equal what its pods and the nodes say, judged against its newest ControllerRevision, and
 * `observedGeneration` is its generation (availability at {@link stateNowMs}).
 */
export const daemonSetStatusMatchesInvariant: Invariant = invariant('daemonSetStatusMatches', "After settling, each DaemonSet's status counts the nodes that should run its pod (desiredNumberScheduled), of those the ones with a pod (currentNumberScheduled), whose oldest pod is Ready (numberReady), Ready for minReadySeconds (numberAvailable; the rest are numberUnavailable) and of the current revision (updatedNumberScheduled), and the nodes with a pod that should run none (numberMisscheduled); observedGeneration is its generation.", (state) =>
  daemonSetStatusMatches(daemonSetState(state), (ds) => currentRevisionHash(state, ds), stateNowMs(state)),
);

/**
 * Liveness under a precondition: {@link daemonPodsUpdated} — after settling, every active pod
 * of a RollingUpdate DaemonSet is of its newest ControllerRevision: the rollout completed.
 *
 * Not registered by the plugin: a rollout whose new pods never become Ready (an image that
 * crashes, a node whose kubelet is down) stops after `maxUnavailable` nodes and stays half done
 * for good, as upstream's does. Use it in scenarios where new pods can run.
 */
export const daemonPodsUpdatedInvariant: Invariant = invariant('daemonPodsUpdated', 'After settling, every pod of a RollingUpdate DaemonSet is of its current revision (the rollout completed).', (state) =>
  daemonPodsUpdated(daemonSetState(state), (ds) => currentRevisionHash(state, ds)),
);

/**
 * Safety under preconditions: {@link rollingUpdateAvailability} — a RollingUpdate DaemonSet
 * without surge has at most `maxUnavailable` of the nodes that should run its pod without a
 * Ready pod of it. Check it on every store state, as the controller may exceed its budget for a
 * moment only (the testing toolkit's `everyState`):
 *
 * ```ts
 * safety: [everyState(rollingUpdateAvailabilityInvariant, { kinds: ['DaemonSet', 'Node', 'Pod'] })]
 * ```
 *
 * Not registered by the plugin: it is sound only while every node that should run the pod is
 * up and can make it Ready, and once the DaemonSet's pods were all Ready (e.g. after the setup
 * settled); a stopped kubelet or a new eligible node breaks it without any controller at fault.
 */
export const rollingUpdateAvailabilityInvariant: Invariant = invariant(
  'rollingUpdateAvailability',
  'A RollingUpdate DaemonSet without surge has at most maxUnavailable nodes without a ready daemon pod (nodes up, pods ready once).',
  (state) => rollingUpdateAvailability(daemonSetState(state)),
  'safety',
);

/**
 * Safety under preconditions: {@link surgeRollingUpdateBounds} — a surging RollingUpdate
 * DaemonSet keeps a ready pod on every node that should run one (an old pod goes only once the
 * updated one beside it is available), and at most `maxSurge` nodes with an available old pod
 * wait for an updated one. Judged against its newest ControllerRevision; check it on every store
 * state (the testing toolkit's `everyState`).
 *
 * Not registered by the plugin, for the reasons {@link rollingUpdateAvailabilityInvariant}
 * gives: a stopped kubelet or a new eligible node breaks it without any controller at fault.
 */
export const surgeRollingUpdateBoundsInvariant: Invariant = invariant(
  'surgeRollingUpdateBounds',
  'A surging RollingUpdate DaemonSet deletes an old pod only once the updated pod on its node is available, and has at most maxSurge nodes with an available old pod waiting for an updated one (nodes up, pods ready once).',
  (state) => surgeRollingUpdateBounds(daemonSetState(state), (ds) => currentRevisionHash(state, ds), stateNowMs(state)),
  'safety',
);

/** How long a node must have refused a daemon pod before its creation counts against the controller (see {@link daemonPodCreatedOnlyWhereTolerated}). */
export const DAEMON_TAINT_GRACE_MS = 1_000;

/**
 * Whether no version of node `name` in effect during the `graceMs` before `at` was one a daemon
 * pod of `ds` could be created for (selector and affinity admit it, and every `NoSchedule` and
 * `NoExecute` taint is tolerated): walking back from change `index` of `state` (exclusive)
 * through the earlier changes and `previous` states, stopping at the first version in effect at
 * or before `at - graceMs`. The chain's first state counts as in effect since ever. The grace is
 * time the cluster ran ({@link activeMs}): a clock jump does not age the controller's view.
 */
function refusedThroughout(state: ClusterState, index: number, name: string, ds: DaemonSet, at: number, graceMs: number): boolean {
  const admits = (node: Node | undefined): boolean => node !== undefined && placement(node, ds).run;
  const until = activeMs(state, at) - graceMs;
  let s: ClusterState = state;
  let i = index;
  for (;;) {
    for (let j = i - 1; j >= 0; j--) {
      const c = s.changes[j]!;
      if (c.object.kind !== 'Node' || c.object.metadata.name !== name) continue;
      if (c.type !== 'DELETED' && admits(c.object as Node)) return false;
      if (activeMs(s, c.t ?? s.t) <= until) return true;
    }
    // The Node as `previous` shows it was in effect until the first change above (or `at`).
    const before: ClusterState | undefined = s.previous;
    if (before === undefined) return true;
    if (admits(before.get<Node>('Node', undefined, name))) return false;
    if (activeMs(before) <= until) return true;
    s = before;
    i = before.changes.length;
  }
}

/**
 * `daemonPodCreatedOnlyWhereTolerated` (transition): every daemon pod created between
 * `previous` and `state` (an `ADDED` Pod in `state.changes` whose controller is a DaemonSet) is
 * for a node (its `spec.nodeName`, else the `metadata.name` its required node affinity names)
 * whose `NoSchedule` and `NoExecute` taints, as the Node was at the moment of the creation
 * (`previous` replayed through the Node changes before it), the DaemonSet's tolerations cover:
 * its template's plus the daemon tolerations upstream adds to every daemon pod
 * (`node.kubernetes.io/not-ready` and `unreachable` `NoExecute`, `disk-pressure`,
 * `memory-pressure`, `pid-pressure` and `unschedulable` `NoSchedule`, and `network-unavailable`
 * `NoSchedule` for host-network pods). The DaemonSet is judged as it is in `state` (or, if it
 * is gone, in `previous`); a pod whose DaemonSet or Node is in neither is not judged.
 *
 * A create the controller decided before its cache showed the taint may land just after it, in
 * upstream as here: the pod is reported only if, besides, no version of the Node in effect
 * during the `graceMs` before the creation (walking back through `state.previous`) was one the
 * pod could be created for (selector and affinity admit it, its taints tolerated). A version
 * the DaemonSet's selector did not admit does not excuse the create: a taint followed by a
 * label is no race. Precondition: the controller's caches show a Node change, and a create it
 * decided lands, within `graceMs` (no watch cut for longer).
 */
export function daemonPodCreatedOnlyWhereTolerated(previous: ClusterState, state: ClusterState, graceMs: number = DAEMON_TAINT_GRACE_MS): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  const nodes = new Map(previous.of<Node>('Node').map((n) => [n.metadata.name ?? '', n]));
  state.changes.forEach((change, index) => {
    if (change.object.kind === 'Node') {
      const node = change.object as Node;
      if (change.type === 'DELETED') nodes.delete(node.metadata.name ?? '');
      else nodes.set(node.metadata.name ?? '', node);
      return;
    }
    if (change.type !== 'ADDED' || change.object.kind !== 'Pod') return;
    const pod = change.object as Pod;
    const ref = controllerRef(pod);
    if (ref?.kind !== 'DaemonSet') return;
    const find = (s: ClusterState): DaemonSet | undefined => {
      const ds = s.get<DaemonSet>('DaemonSet', pod.metadata.namespace, ref.name);
      return ds?.metadata.uid === ref.uid ? ds : undefined;
    };
    const ds = find(state) ?? find(previous);
    const name = nodeOf(pod);
    const node = name === undefined ? undefined : nodes.get(name);
    if (ds === undefined || name === undefined || node === undefined) return;
    const taint = findUntoleratedTaint(node.spec.taints, withDaemonTolerations(ds), ['NoSchedule', 'NoExecute']);
    if (taint === undefined || !refusedThroughout(state, index, name, ds, change.t ?? state.t, graceMs)) return;
    out.push({
      objects: [refOf(pod), ...at(ds, name)],
      message: `daemon pod ${pod.metadata.name ?? ''} of ${dsKey(ds)} was created for node ${name} although it does not tolerate its taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}, and the node refused it for ${graceMs} ms before`,
    });
  });
  return out;
}

/**
 * `duplicateDaemonPodsKeepOldest` (transition): when a node a DaemonSet keeps a pod on runs
 * more than one of its pods, the excess goes and the oldest stays (upstream
 * `podsShouldBeOnNode`: "more than 1 daemon pod is running, delete the excess daemon pods. Sort
 * the daemon pods by creation time, so the oldest is preserved"). Reported: a pod that was the
 * oldest (bound before unbound, then by creation, then by name) of two or more active pods of a
 * DaemonSet on a node in `previous`, and is deleted or being deleted in `state`, while a younger
 * one of them is still active there — with the node, in both states, one the DaemonSet keeps a
 * pod on (selector, affinity, `NoExecute` taints tolerated).
 *
 * Not judged: surging DaemonSets (`maxSurge` above 0: their rollout deletes the old pod once the
 * new one beside it is available), pods that ended (`Failed`, `Succeeded`) on the way, and
 * DaemonSets being deleted.
 */
export function duplicateDaemonPodsKeepOldest(previous: ClusterState, state: ClusterState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  const ended = new Set(
    state.changes
      .filter((c) => c.object.kind === 'Pod' && ((c.object as Pod).status?.phase === 'Succeeded' || (c.object as Pod).status?.phase === 'Failed'))
      .map((c) => c.object.metadata.uid ?? ''),
  );
  const live = (pod: Pod): boolean => {
    const now = state.get<Pod>('Pod', pod.metadata.namespace, pod.metadata.name ?? '');
    return now !== undefined && now.metadata.uid === pod.metadata.uid && isPodActive(now);
  };
  for (const ds of previous.of<DaemonSet>('DaemonSet')) {
    const after = state.get<DaemonSet>('DaemonSet', ds.metadata.namespace, ds.metadata.name ?? '');
    if (ds.metadata.deletionTimestamp !== undefined || after === undefined || after.metadata.uid !== ds.metadata.uid || after.metadata.deletionTimestamp !== undefined) continue;
    if ([ds, after].some((d) => rollingBudget(d, 1).maxSurge > 0)) continue;
    for (const [name, pods] of byNode(activePodsOf(ds, previous.of<Pod>('Pod')))) {
      if (pods.length < 2) continue;
      const nodes = [previous.get<Node>('Node', undefined, name), state.get<Node>('Node', undefined, name)];
      if (!nodes.every((n) => n !== undefined && placement(n, ds).keep && placement(n, after).keep)) continue;
      const first = oldest(pods);
      if (live(first) || ended.has(first.metadata.uid ?? '')) continue;
      const kept = pods.filter((p) => p !== first && live(p));
      if (kept.length === 0) continue;
      out.push({
        objects: [refOf(first), ...at(ds, name)],
        message: `the oldest daemon pod ${first.metadata.name ?? ''} of ${dsKey(ds)} on node ${name} was deleted while the younger ${kept.map((p) => p.metadata.name ?? '').join(', ')} stayed`,
      });
    }
  }
  return out;
}

/**
 * `noPendingDaemonPods` (liveness): after settling, no active pod (not terminal, not being
 * deleted) of a DaemonSet is `Pending` — each was bound and started by its node. Pods bound to
 * or aimed at a node that no longer exists are not judged (the pod garbage collector's, and
 * {@link oneDaemonPodPerEligibleNode}'s, business), nor unbound ones aimed at a node that now
 * refuses them (an untolerated `NoSchedule` taint, or a selector no longer matching, that came
 * after the create): the scheduler will not bind them, and a node that only refuses new pods
 * keeps the one it has, as upstream.
 *
 * Precondition: every Node in the state has a running kubelet that can start the pods' images
 * (a pod on a node whose kubelet is stopped stays `Pending` for good, with no controller at
 * fault), and the nodes have room for the daemon pods.
 */
export function noPendingDaemonPods(state: DaemonSetState): DaemonSetViolation[] {
  const out: DaemonSetViolation[] = [];
  const nodeNames = new Set(state.nodes.map((n) => n.metadata.name ?? ''));
  const byUid = new Map(state.daemonSets.map((ds) => [ds.metadata.uid ?? '', ds]));
  for (const pod of state.pods) {
    const ref = controllerRef(pod);
    const ds = ref?.kind === 'DaemonSet' ? byUid.get(ref.uid) : undefined;
    if (ds === undefined || !isPodActive(pod) || pod.metadata.deletionTimestamp !== undefined) continue;
    if ((pod.status?.phase ?? 'Pending') !== 'Pending') continue;
    const node = nodeOf(pod);
    if (node === undefined || !nodeNames.has(node)) continue;
    if (!pod.spec.nodeName && !placement(state.nodes.find((n) => n.metadata.name === node)!, ds).run) continue;
    out.push({ objects: [refOf(pod), ...at(ds, node)], message: `daemon pod ${pod.metadata.name ?? ''} of ${dsKey(ds)} for node ${node} is still Pending${pod.spec.nodeName ? '' : ' (not bound)'}` });
  }
  return out;
}

/**
 * Transition: {@link daemonPodCreatedOnlyWhereTolerated} — every daemon pod created between two
 * states is for a node whose `NoSchedule`/`NoExecute` taints, at that moment, the DaemonSet's
 * tolerations (with the daemon tolerations) cover.
 *
 * A create within {@link DAEMON_TAINT_GRACE_MS} of the node last admitting the pod is excused. Not registered
 * by the plugin: it holds only while the controller's caches follow the Nodes within that
 * time (a watch cut for longer leaves it creating from a stale view, as upstream's would). Add
 * it in such scenarios, e.g. `safety: [daemonPodCreatedOnlyWhereToleratedInvariant]`.
 */
export const daemonPodCreatedOnlyWhereToleratedInvariant: Invariant = transitionInvariant(
  'daemonPodCreatedOnlyWhereTolerated',
  'A daemon pod is created only for a node whose NoSchedule/NoExecute taints the DaemonSet tolerates at that moment (or did within the last second).',
  (previous, state) => daemonPodCreatedOnlyWhereTolerated(previous, state),
);

/**
 * Transition: {@link duplicateDaemonPodsKeepOldest} — of several pods of a DaemonSet on a node it
 * keeps a pod on, the oldest is never the one deleted while a younger one stays (surging
 * DaemonSets not judged).
 */
export const duplicateDaemonPodsKeepOldestInvariant: Invariant = transitionInvariant(
  'duplicateDaemonPodsKeepOldest',
  'Of several pods of a DaemonSet on a node that keeps one, the excess is deleted and the oldest stays.',
  (previous, state) => duplicateDaemonPodsKeepOldest(previous, state),
);

/**
 * Liveness under a precondition: {@link noPendingDaemonPods} — after settling, no active
 * daemon pod is still `Pending`.
 *
 * Not registered by the plugin: it holds only while every existing Node has a running kubelet
 * that can start the pods (a stopped kubelet leaves its pod `Pending` without any controller at
 * fault). Add it in scenarios whose nodes are all up.
 */
export const noPendingDaemonPodsInvariant: Invariant = invariant('noPendingDaemonPods', 'After settling, no active daemon pod is still Pending (every node up).', (state) => noPendingDaemonPods(daemonSetState(state)));

/**
 * Liveness: {@link daemonSetHistoryMatches} — after settling, one ControllerRevision per
 * distinct template of each DaemonSet, the current one numbered highest, old ones beyond
 * `revisionHistoryLimit` kept only while a pod uses them, and every pod's revision hash known.
 *
 * Not registered by the plugin (a user's own tooling may add or delete ControllerRevisions);
 * add it to scenarios where only the DaemonSet controller writes them.
 */
export const daemonSetHistoryMatchesInvariant: Invariant = invariant(
  'daemonSetHistoryMatches',
  "After settling, a DaemonSet has one ControllerRevision per distinct template, its current one numbered highest, and old ones beyond revisionHistoryLimit only while pods use them.",
  (state) => daemonSetHistoryMatches({ ...daemonSetState(state), controllerRevisions: state.of<ControllerRevision>('ControllerRevision') }),
);

/**
 * Transition: {@link daemonSetRevisionHistory} — a DaemonSet's ControllerRevision is created or
 * renumbered above the others and never renumbered down, and an old one is deleted only unused,
 * beyond `revisionHistoryLimit`, lowest revision first.
 *
 * Not registered by the plugin: it holds only while the controller's caches follow the store
 * and no one else deletes ControllerRevisions. Check it on every store state (the testing
 * toolkit's `everyState`, kinds `DaemonSet`, `ControllerRevision`, `Pod`).
 */
export const daemonSetRevisionHistoryInvariant: Invariant = transitionInvariant(
  'daemonSetRevisionHistory',
  "A DaemonSet's ControllerRevision is numbered above the others when created or reused and never renumbered down, and an old one is deleted only when no pod uses it, beyond revisionHistoryLimit, lowest revision first.",
  (previous, state) => daemonSetRevisionHistory(previous, state),
);

/** The invariants the DaemonSet plugin registers. */
export const DAEMONSET_INVARIANTS: readonly Invariant[] = [oneDaemonPodPerEligibleNodeInvariant, daemonSetStatusMatchesInvariant];

/**
 * Rollout bounds and convergence of the Deployment controller under random rollouts: template
 * changes (including back to earlier templates, i.e. rollbacks), scale changes, pauses and
 * resumes, minReadySeconds and pods slow to stop, with every kind of strategy — RollingUpdate
 * with the toolkit's boundary values of maxSurge/maxUnavailable (`rollingUpdates`,
 * `intOrPercents`: zeros, rounding percentages), with one of them or neither (25% default), no
 * strategy at all (RollingUpdate 25%/25%) and Recreate — and boundary replica counts
 * (`replicaCounts`, 0 included), with and without controller-manager crashes and cut watches
 * (upstream `rolling.go`'s guarantees: at most `replicas + maxSurge` pods, at least
 * `replicas − maxUnavailable` available; `recreate.go`'s: a Recreate Deployment's new pods only
 * once every old pod has terminated, {@link recreateOneReplicaSetAtATime}, checked in every
 * state, not only in the stable windows). After the
 * faults stop and the cluster settles, exactly one ReplicaSet has pods, at the latest template,
 * the ReplicaSets control their `spec.replicas` pods, every status is truthful and the bounds
 * hold (the toolkit's `DEPLOYMENT_LIVENESS` and `rolloutBoundsInvariant`).
 *
 * The faults are the toolkit's (`@kubeloop/testing`): fault schedules drawn by fast-check and
 * played by `checkCluster` (crashes of the controller manager at its k-th write instead of
 * restart steps, `expireWatches` instead of a hand-made interceptor), which shrinks a failure to
 * its few actions and faults and prints a replay command.
 *
 * Which states are checked ("stable windows"): each step either settles the cluster or lets a
 * little virtual time pass. The bounds are checked on every state the store went through (every
 * change of the trace, replayed by {@link rolloutBoundsInStableWindows}) from a step to the next
 * one — and through the final settle — but only for windows that begin while the Deployment is
 * *armed*: it was last seen converged by a settle (status observes its generation, every replica
 * available and, unless paused, updated) and has not been scaled since. Excluded, with the reason:
 * - the creation and every window after a scale change until the next settle: upstream sizes
 *   ReplicaSets, not pods — after a scale-up the new pods need time to become available
 *   (available < replicas − maxUnavailable for a while), after a scale-down the surplus pods
 *   are still running until the ReplicaSet controller deletes them (more than replicas +
 *   maxSurge for a moment). Upstream violates the pod-count bounds the same way.
 * - ReplicaSet sizes above `replicas` once the Deployment was paused since the last settle: a
 *   paused sync scales proportionally to replicas + maxSurge (see `REPLICASETS_WITHIN_REPLICAS`).
 * - a settle that ends with the Deployment not converged: it does not arm. (A crash during a
 *   settle restarts the controller manager within it, through the toolkit's `context.settle`.)
 * - with cut watches the surge bound counts ReplicaSet sizes, not pods: the ReplicaSet
 *   controller may see a scale-down late (its watch cut, a relist backing off), so a
 *   scaled-down ReplicaSet's pods can outlive the scale-up of another for a while; upstream
 *   guarantees the bound on ReplicaSet sizes only, and has the same lag. The availability
 *   bound is still checked on pods, and the settled state on pods.
 * - in the windows, the lower bound counts ready pods, not available ones: with
 *   `minReadySeconds`, upstream scales an old ReplicaSet down for a pod that is ready but not yet
 *   available, and the ReplicaSet controller may delete an available pod instead (its ranking
 *   knows nothing of availability), so available pods dip below `replicas − maxUnavailable`
 *   until the kept pod becomes available (found by a deep cut-watch run: replicas 5, maxSurge
 *   and maxUnavailable 25%, minReadySeconds 5, templates v1, v0, v1 a millisecond apart; see
 *   `RolloutBoundsOptions.availabilityCounts`). The settled state is checked on available pods.
 * There are no node faults and the nodes have room for every pod, so the cluster can always
 * satisfy the bounds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deployments, ReplicaSets, controllerRef, deepEqual, invariant, refOf } from '@kubeloop/core';
import type { ClusterState, Deployment, InvariantViolation, KubeObject, Pod, ReplicaSet, WorkloadCondition } from '@kubeloop/core';
import {
  DEEP,
  DEPLOYMENT_LIVENESS,
  checkCluster,
  everyState,
  faultArbitrary,
  faultSchedules,
  faultSchedulesWith,
  intOrPercents,
  replicaCounts,
  rollingUpdates,
  rolloutBoundsInvariant,
  runCase,
  transitionInvariant,
} from '@kubeloop/testing';
import type { CheckClusterOptions, FaultSchedule, Invariant, RunContext, SimCluster } from '@kubeloop/testing';
import type { Plugin } from '@kubeloop/core';
import { sabotaged } from '../sabotage.js';
import type { DeploymentState, RolloutBoundsOptions } from '@kubeloop/controllers';
import {
  conditionsAfterSettle,
  deploymentConditionTransitionsInvariant,
  deploymentConditionsAfterSettleInvariant,
  deploymentPlugin,
  historyCleanupOldestFirstInvariant,
  noNewReplicaSetWhilePausedInvariant,
  podTemplateHashInvariant,
  proportionalScaling,
  replicaSetAnnotationsAfterSettleInvariant,
  replicaSetPlugin,
  revisionChangesInvariant,
  revisionHistoryKeptInvariant,
} from '@kubeloop/controllers';
import { replaySince } from './testkit.js';

const RUNS = DEEP ? 400 : 40;
const FAULT_RUNS = DEEP ? 300 : 12;
/** Rollout steps per run (after the creation); fault writes and steps are numbered within them. */
const MAX_STEPS = 8;
const KEY = { namespace: 'default', name: 'web' };

/**
 * A Deployment's `spec.strategy` as applied: RollingUpdate with both parameters, with one or
 * none of them (the other defaults to 25%), Recreate, or absent (RollingUpdate 25%/25%).
 */
type Strategy =
  | { readonly type: 'RollingUpdate'; readonly rollingUpdate?: { readonly maxSurge?: number | string; readonly maxUnavailable?: number | string } }
  | { readonly type: 'Recreate' };

interface Shape {
  readonly replicas: number;
  /** Undefined: no `strategy` in the manifest, the API server's default. */
  readonly strategy: Strategy | undefined;
  readonly minReadySeconds: number;
  /**
   * How long the pods take to exit on SIGTERM (the fake runtime's `stop-after`), or undefined
   * for at once: slow stops keep deleted pods terminating while the rollout goes on, which is
   * what a Recreate rollout must wait for.
   */
  readonly stopAfter: string | undefined;
  /** Undefined: the API server's default (10). */
  readonly revisionHistoryLimit: number | undefined;
  /** Undefined: the API server's default (600); {@link NO_DEADLINE}: no Progressing condition. */
  readonly progressDeadlineSeconds: number | undefined;
}

/** `progressDeadlineSeconds` that means no deadline (upstream MaxInt32). */
const NO_DEADLINE = 2_147_483_647;

/** What the test does; the first step of a run creates the Deployment, the last resumes it. */
type Step =
  | { readonly kind: 'create'; readonly shape: Shape }
  | { readonly kind: 'template'; readonly version: number; readonly settle: boolean; readonly waitMs: number }
  | { readonly kind: 'scale'; readonly replicas: number; readonly settle: boolean; readonly waitMs: number }
  | { readonly kind: 'pause'; readonly settle: boolean; readonly waitMs: number }
  | { readonly kind: 'resume'; readonly settle: boolean; readonly waitMs: number }
  | { readonly kind: 'deadline'; readonly seconds: number; readonly settle: boolean; readonly waitMs: number }
  | { readonly kind: 'stall'; readonly version: number; readonly settle: boolean; readonly waitMs: number }
  | { readonly kind: 'scaleMidRollout'; readonly version: number; readonly replicas: number; readonly settle: boolean; readonly waitMs: number };

/** RollingUpdate with one parameter set or none: the API server defaults the other to 25%. */
const partialRollingUpdate: fc.Arbitrary<Strategy> = fc.oneof(
  intOrPercents().map((maxSurge): Strategy => ({ type: 'RollingUpdate', rollingUpdate: { maxSurge } })),
  intOrPercents().map((maxUnavailable): Strategy => ({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable } })),
  fc.constant<Strategy>({ type: 'RollingUpdate' }),
);
const strategy: fc.Arbitrary<Strategy | undefined> = fc.oneof(
  { weight: 4, arbitrary: rollingUpdates() },
  { weight: 1, arbitrary: partialRollingUpdate },
  { weight: 2, arbitrary: fc.constant<Strategy>({ type: 'Recreate' }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const shape: fc.Arbitrary<Shape> = fc.record({
  replicas: replicaCounts(6),
  strategy,
  minReadySeconds: fc.constantFrom(0, 0, 5),
  stopAfter: fc.constantFrom(undefined, '2s', '20s'),
  revisionHistoryLimit: fc.constantFrom(undefined, undefined, 0, 1, 2),
  progressDeadlineSeconds: fc.constantFrom(undefined, undefined, NO_DEADLINE, 30),
});

const pacing = { settle: fc.boolean(), waitMs: fc.integer({ min: 1, max: 4_000 }) };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('template' as const), version: fc.nat(3), ...pacing }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('scale' as const), replicas: replicaCounts(7), ...pacing }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), ...pacing }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), ...pacing }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deadline' as const), seconds: fc.constantFrom(NO_DEADLINE, 600, 30), ...pacing }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const), version: fc.nat(3), ...pacing }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('scaleMidRollout' as const), version: fc.nat(3), replicas: replicaCounts(9), ...pacing }) },
);
/** Resuming at the end lets a paused rollout finish, so the settled state is at the latest template. */
const FINAL_RESUME: Step = { kind: 'resume', settle: true, waitMs: 1 };
const steps: fc.Arbitrary<readonly Step[]> = fc
  .tuple(shape, fc.array(step, { minLength: 1, maxLength: MAX_STEPS }))
  .map(([s, rest]) => [{ kind: 'create' as const, shape: s }, ...rest, FINAL_RESUME]);

/** The template metadata of a version: the shape's stop time, and for a stalled one pods that are never Ready. */
function templateMetadata(stopAfter: string | undefined, stalled = false): object {
  const behavior = [...(stopAfter === undefined ? [] : [`stop-after=${stopAfter}`]), ...(stalled ? ['not-ready-for=10h'] : [])];
  return { labels: { app: 'web' }, ...(behavior.length === 0 ? {} : { annotations: { 'kubeloop.dev/behavior': behavior.join(',') } }) };
}

function manifest(s: Shape): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: s.replicas,
      minReadySeconds: s.minReadySeconds,
      ...(s.revisionHistoryLimit === undefined ? {} : { revisionHistoryLimit: s.revisionHistoryLimit }),
      ...(s.progressDeadlineSeconds === undefined ? {} : { progressDeadlineSeconds: s.progressDeadlineSeconds }),
      selector: { matchLabels: { app: 'web' } },
      ...(s.strategy === undefined ? {} : { strategy: s.strategy }),
      template: {
        metadata: templateMetadata(s.stopAfter),
        spec: { containers: containers(0) },
      },
    },
  };
}

function containers(version: number, stalled = false): object[] {
  return [{ name: 'app', image: 'nginx:1.25', env: [{ name: 'VERSION', value: `v${version}` }], ...(stalled ? { readinessProbe: { httpGet: { port: 80 }, periodSeconds: 10 } } : {}) }];
}

/**
 * What the windows check needs to know about the run under way, kept per run (the toolkit's
 * `runState`). `window` is the verdict for the window of the step just performed (consumed by
 * the next check); later checks (the final settle, the stable window) use `armed`.
 */
interface RunState {
  armed: boolean;
  window: boolean | undefined;
  readonly quietMs: number | undefined;
  /** The shape's stop time, for the templates a step writes. */
  stopAfter: string | undefined;
  /** What {@link conditionsAfterSettle} found on a stalled rollout, for {@link STALLED_ROLLOUT_REPORTED} to report. */
  stalled: InvariantViolation[];
  /** What {@link proportionalScaling} found on a scale mid-rollout, for {@link proportionalScalingReported} to report. */
  scaled: InvariantViolation[];
  /** Whether the shares of a proportional scale are judged: not where a crash may split a scale over two syncs. */
  readonly judgeShares: boolean;
  /** Whether the run's Deployment is a Recreate one. */
  recreate: boolean;
  /** Whether a Recreate Deployment was paused in this run: {@link recreateOneAtATime} no longer holds (see there). */
  pausedRecreate: boolean;
  /**
   * Whether the Deployment was paused since the window of the step after the last settle
   * began: {@link REPLICASETS_WITHIN_REPLICAS} does not hold then (see there).
   */
  pausedSinceSettle: boolean;
  /** Whether the last step ended with a settle (the next window begins at a settled state). */
  settled: boolean;
}

/** Whether the Deployment is converged: its status observes its generation, every replica is available and, unless paused, updated. */
async function converged(cluster: SimCluster): Promise<boolean> {
  const d = await cluster.get(Deployments, KEY);
  const s = d.status;
  const replicas = d.spec.replicas ?? 1;
  return (
    s !== undefined &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (s.replicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas &&
    (d.spec.paused === true || (s.updatedReplicas ?? 0) === replicas)
  );
}

async function perform(cluster: SimCluster, s: Step, context: RunContext<RunState>): Promise<void> {
  const run = context.state;
  const settle = async () => {
    // A crash during the settle restarts the controller manager within it (the context's settle).
    await context.settle({ maxMs: 1_200_000, ...(run.quietMs === undefined ? {} : { quietMs: run.quietMs }) });
    run.armed = await converged(cluster);
    run.settled = true;
  };
  if (s.kind === 'create') {
    run.window = false;
    run.stopAfter = s.shape.stopAfter;
    run.recreate = s.shape.strategy?.type === 'Recreate';
    await cluster.apply(manifest(s.shape));
    await settle();
    return;
  }
  run.window = run.armed && s.kind !== 'scale' && s.kind !== 'scaleMidRollout';
  if (run.settled) run.pausedSinceSettle = false;
  run.settled = false;
  const patch = (spec: object) => cluster.server.patch(Deployments, KEY, { type: 'merge', body: { spec } });
  switch (s.kind) {
    case 'template':
      await patch({ template: { spec: { containers: containers(s.version) } } });
      break;
    case 'scale':
      await patch({ replicas: s.replicas });
      run.armed = false;
      break;
    case 'pause':
      await patch({ paused: true });
      run.pausedRecreate ||= run.recreate;
      run.pausedSinceSettle = true;
      break;
    case 'resume':
      await patch({ paused: false });
      break;
    case 'deadline':
      await patch({ progressDeadlineSeconds: s.seconds });
      break;
    case 'stall': {
      // A version whose pods never become Ready, left past the progress deadline (the
      // controller requeues itself for it; a cut watch may back off 30 s more), then rolled
      // back to a healthy one.
      // The deadline is set to 30 s with it (unless there is none), to keep the run short.
      const before = await cluster.get(Deployments, KEY);
      const deadline = before.spec.progressDeadlineSeconds === NO_DEADLINE ? NO_DEADLINE : 30;
      const from = cluster.trace().length;
      await patch({ progressDeadlineSeconds: deadline, template: { metadata: templateMetadata(run.stopAfter, true), spec: { containers: containers(s.version, true) } } });
      await context.advance(((deadline === NO_DEADLINE ? 0 : deadline) + 60) * 1000);
      const now = await cluster.get(Deployments, KEY);
      // Not judged where upstream estimates no progress: see progressLeftUnestimated.
      if ((now.status?.observedGeneration ?? 0) >= (now.metadata.generation ?? 0) && !progressLeftUnestimated(cluster, from, before, now)) {
        const state = { deployments: [now], replicaSets: (await cluster.list(ReplicaSets)).items, pods: [], nowMs: cluster.clock.now() };
        run.stalled.push(...conditionsAfterSettle(state).map((v) => ({ ...v, message: `stalled rollout, ${deadline} s deadline: ${v.message}` })));
      }
      await patch({ template: { metadata: templateMetadata(run.stopAfter), spec: { containers: containers(s.version) } } });
      break;
    }
    case 'scaleMidRollout': {
      // A rollout held half way (its new pods are never Ready), scaled, judged, then healed.
      await patch({ template: { metadata: templateMetadata(run.stopAfter, true), spec: { containers: containers(s.version, true) } } });
      await context.advance(10_000);
      const from = cluster.trace().length;
      const replicasBefore = (await cluster.get(Deployments, KEY)).spec.replicas;
      await patch({ replicas: s.replicas });
      run.armed = false;
      await context.advance(10_000);
      if (replicasBefore !== s.replicas) run.scaled.push(...judgeScale(cluster, from, s.replicas, run.judgeShares));
      await patch({ template: { metadata: templateMetadata(run.stopAfter), spec: { containers: containers(s.version) } } });
      break;
    }
  }
  if (s.settle) await settle();
  else await context.advance(s.waitMs);
}

function describeStep(s: Step): string {
  const pace = (p: { settle: boolean; waitMs: number }) => (p.settle ? ', settle' : `, wait ${p.waitMs} ms`);
  switch (s.kind) {
    case 'create':
      return `create web: replicas ${s.shape.replicas}, ${describeStrategy(s.shape.strategy)}, minReadySeconds ${s.shape.minReadySeconds}, revisionHistoryLimit ${s.shape.revisionHistoryLimit ?? 'unset'}, progressDeadlineSeconds ${s.shape.progressDeadlineSeconds ?? 'unset'}${s.shape.stopAfter === undefined ? '' : `, pods stop ${s.shape.stopAfter} after SIGTERM`}; settle`;
    case 'template':
      return `template v${s.version}${pace(s)}`;
    case 'scale':
      return `scale to ${s.replicas}${pace(s)}`;
    case 'pause':
      return `pause${pace(s)}`;
    case 'resume':
      return `resume${pace(s)}`;
    case 'stall':
      return `template v${s.version} whose pods never become Ready with progressDeadlineSeconds 30 (unless none), 30 s past it, then healthy v${s.version}${pace(s)}`;
    case 'scaleMidRollout':
      return `template v${s.version} whose pods never become Ready, 10 s later scale to ${s.replicas}, 10 s later healthy v${s.version}${pace(s)}`;
    case 'deadline':
      return `progressDeadlineSeconds ${s.seconds === NO_DEADLINE ? 'none (MaxInt32)' : s.seconds}${pace(s)}`;
  }
}

function describeStrategy(s: Strategy | undefined): string {
  if (s === undefined) return 'no strategy (RollingUpdate 25%/25%)';
  if (s.type === 'Recreate') return 'Recreate';
  const ru = s.rollingUpdate;
  return `RollingUpdate maxSurge ${ru?.maxSurge ?? 'unset'}, maxUnavailable ${ru?.maxUnavailable ?? 'unset'}`;
}

/**
 * The Recreate guarantee, stated from the Deployment documentation ("All existing Pods are killed
 * before new ones are created") and upstream `rolloutRecreate`: the old ReplicaSets are scaled to
 * 0 and the new one is scaled up only once no pod of theirs runs. So in every state, the pods of
 * a `Recreate` Deployment's ReplicaSets that have not terminated — counting pods being deleted
 * until they are gone — belong to one ReplicaSet at most. (The pods of one ReplicaSet may be
 * both terminating and new: a rollback to the ReplicaSet being scaled down reuses it.)
 */
function recreateOneReplicaSetAtATime(state: ClusterState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const replicaSets = state.of<ReplicaSet>('ReplicaSet');
  const pods = state.of<Pod>('Pod');
  for (const d of state.of<Deployment>('Deployment')) {
    if (d.spec.strategy.type !== 'Recreate' || d.metadata.deletionTimestamp !== undefined) continue;
    const mine = new Map(replicaSets.filter((rs) => controllerRef(rs)?.uid === d.metadata.uid).map((rs) => [rs.metadata.uid, rs.metadata.name ?? '']));
    const running = new Set<string>();
    for (const p of pods) {
      const owner = mine.get(controllerRef(p)?.uid);
      if (owner !== undefined && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') running.add(owner);
    }
    if (running.size > 1) out.push({ message: `Recreate Deployment has pods of ${running.size} ReplicaSets not terminated at once: ${[...running].sort().join(', ')}`, objects: [refOf(d)] });
  }
  return out;
}

const RECREATE_ONE_REPLICASET_AT_A_TIME = invariant(
  'recreateOneReplicaSetAtATime',
  "A Recreate Deployment's pods that have not terminated (terminating ones included) belong to one of its ReplicaSets at most.",
  recreateOneReplicaSetAtATime,
  'safety',
);

/**
 * {@link recreateOneReplicaSetAtATime} in every state, until the run pauses its Recreate
 * Deployment. A paused Deployment is only scaled (upstream `sync` → `scale`), and with no
 * ReplicaSet active — the old ones just scaled to 0, their pods still terminating, the new one
 * not created yet — upstream's `FindActiveOrLatest` scales the newest ReplicaSet up to
 * `spec.replicas`, an old one when the template was rolled back before (found by a deep crash
 * run: v0 stalled, rolled back to the first ReplicaSet, then v1 and a pause 1 ms later). This
 * controller does as upstream, so the rule is not judged from the pause on.
 */
function recreateOneAtATime(run: RunState): Invariant {
  const inner = everyState(RECREATE_ONE_REPLICASET_AT_A_TIME, { kinds: ['Deployment', 'ReplicaSet', 'Pod'] });
  return { ...inner, check: (state, previous) => (run.pausedRecreate ? [] : inner.check(state, previous)) };
}

/**
 * A rollout never sizes a ReplicaSet above the Deployment's `spec.replicas`: the new ReplicaSet
 * grows within the surge but "does not exceed the number of desired replicas" (upstream
 * `NewRSNewReplicas`), the old ones only shrink. Holds while `spec.replicas` stays put since the
 * Deployment converged (a scale-down leaves larger ReplicaSets until the next sync), so it is
 * checked in the stable windows only; and not once the Deployment was paused since it converged:
 * a paused Deployment's sync scales its active ReplicaSets proportionally to replicas +
 * maxSurge (upstream `sync` → `scale`), which puts the leftover on the newest — two of 1 under a
 * bound of 3 make the newest 2 — until the resumed rollout sizes it down (found by a deep run,
 * fast-check seed -789811610).
 */
const REPLICASETS_WITHIN_REPLICAS = invariant(
  'replicaSetsWithinReplicas',
  "No ReplicaSet of a Deployment is sized above the Deployment's spec.replicas.",
  (state) => {
    const out: InvariantViolation[] = [];
    for (const d of state.of<Deployment>('Deployment')) {
      for (const rs of state.of<ReplicaSet>('ReplicaSet')) {
        if (controllerRef(rs)?.uid !== d.metadata.uid || rs.spec.replicas <= d.spec.replicas) continue;
        out.push({ message: `ReplicaSet ${rs.metadata.name ?? ''} sized ${rs.spec.replicas}, above the Deployment's replicas ${d.spec.replicas}`, objects: [refOf(rs), refOf(d)] });
      }
    }
    return out;
  },
  'safety',
);

const NEW_REPLICASET_AVAILABLE = 'NewReplicaSetAvailable';
const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The Deployment's `Progressing` condition, if any. */
function progressingOf(d: Deployment): WorkloadCondition | undefined {
  return d.status?.conditions?.find((c) => c.type === 'Progressing');
}

/**
 * Whether `after` shows progress over `before`, as the Deployment documentation counts it
 * ("Progressing Deployment"): more updated, ready or available replicas, or fewer old ones
 * (replicas − updatedReplicas) — upstream `DeploymentProgressing`, stated here on its own.
 */
function showsProgress(before: Deployment['status'], after: Deployment['status']): boolean {
  const old = (s: Deployment['status']) => (s?.replicas ?? 0) - (s?.updatedReplicas ?? 0);
  return (
    (after?.updatedReplicas ?? 0) > (before?.updatedReplicas ?? 0) ||
    (after?.readyReplicas ?? 0) > (before?.readyReplicas ?? 0) ||
    (after?.availableReplicas ?? 0) > (before?.availableReplicas ?? 0) ||
    old(after) < old(before)
  );
}

/** Whether `rs` runs `d`'s pod template (its own `pod-template-hash` label aside). */
function runsTemplateOf(rs: ReplicaSet, d: Deployment): boolean {
  const labels = Object.fromEntries(Object.entries(rs.spec.template.metadata?.labels ?? {}).filter(([k]) => k !== POD_TEMPLATE_HASH));
  return deepEqual({ ...rs.spec.template, metadata: { ...rs.spec.template.metadata, labels } }, d.spec.template);
}

/**
 * Whether a stalled rollout's `Progressing` condition is, rightly, still the
 * `NewReplicaSetAvailable` of the rollout before it: the template change at trace entry `from`
 * (`before` the Deployment just before it, `now` when judged) never got its own condition, and
 * upstream would not have replaced it since. Upstream replaces that condition only in a rollout
 * sync (`syncRolloutStatus`) whose new status shows progress over the status the Deployment had
 * (`DeploymentProgressing`) — and not even then when the new status has replicas equal to
 * updatedReplicas (`isCompleteDeployment`, kubernetes/kubernetes#44657); it never times it out
 * (`DeploymentTimedOut` returns false on `NewReplicaSetAvailable`). The condition is left
 * unreset when the rollout's own condition was never written: a rollback to the ReplicaSet of a
 * stalled version seen before (the ReplicaSet is found, and a Progressing condition exists, so
 * no `FoundNewReplicaSet`), or a crash between creating the new ReplicaSet and the status write
 * that carries `NewReplicaSetCreated`. If the first status published after the crash already
 * counts every replica the stalled rollout will get — the new ReplicaSet created at its surge
 * size, its pods never Ready, no old pod allowed down (found by a deep crash run: replicas 1,
 * maxSurge 25% → 1, maxUnavailable 10% → 0; the published status went from replicas 1,
 * updated 1 to replicas 2, updated 1) — no later status shows progress and upstream keeps
 * `NewReplicaSetAvailable` for good.
 *
 * So: excused when the condition is `NewReplicaSetAvailable` with the same `lastUpdateTime` as
 * before the change, and no Deployment version stored since — once it observes the new
 * generation and a ReplicaSet of the stalled template exists (a rollout sync creates or finds it
 * before it writes) — has replicas ≠ updatedReplicas and shows progress over the version before
 * it. A status write carries the resourceVersion it read, so the version before it is the status
 * the writing sync compared with.
 */
function progressLeftUnestimated(cluster: SimCluster, from: number, before: Deployment, now: Deployment): boolean {
  const [was, is] = [progressingOf(before), progressingOf(now)];
  if (is?.reason !== NEW_REPLICASET_AVAILABLE || was?.reason !== NEW_REPLICASET_AVAILABLE || is.lastUpdateTime !== was.lastUpdateTime) return false;
  const generation = now.metadata.generation ?? 0;
  let previous = before;
  let estimated = false;
  replaySince(cluster, from, (state) => {
    const d = state.deployments.find((x) => x.metadata.uid === now.metadata.uid);
    if (estimated || d === undefined || d.metadata.resourceVersion === previous.metadata.resourceVersion) return;
    const rollout = (d.status?.observedGeneration ?? 0) >= generation && state.replicaSets.some((rs) => controllerRef(rs)?.uid === d.metadata.uid && runsTemplateOf(rs, now));
    if (rollout && (d.status?.replicas ?? 0) !== (d.status?.updatedReplicas ?? 0) && showsProgress(previous.status, d.status)) estimated = true;
    previous = d;
  });
  return !estimated;
}

/**
 * A rollout stuck past its deadline is reported so, as the Deployment documentation promises
 * ("Failed Deployment": `Progressing` `False`, `ProgressDeadlineExceeded`, once
 * `progressDeadlineSeconds` pass without progress), with `Available` by the availability rule:
 * {@link conditionsAfterSettle} judged on the state where a `stall` step left the rollout
 * (not a settled state: its new pods are never Ready) — except where the previous rollout's
 * `NewReplicaSetAvailable` was never replaced and no status since showed progress, which
 * upstream keeps ({@link progressLeftUnestimated}). Reads the run's bookkeeping.
 */
function stalledRolloutReported(run: RunState): Invariant {
  return invariant(
    'stalledRolloutReported',
    "A rollout whose new pods never become Ready reports Progressing False ProgressDeadlineExceeded once progressDeadlineSeconds pass (DeploymentPaused if paused, nothing without a deadline; the previous rollout's NewReplicaSetAvailable if it was never replaced and no status since showed more updated, ready or available replicas or fewer old ones), and Available True exactly when availableReplicas ≥ replicas − maxUnavailable (0 for Recreate).",
    () => run.stalled.splice(0),
    'safety',
  );
}

const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';

/**
 * {@link proportionalScaling} judged on the scale to `replicas` patched at trace entry `from`:
 * `before` is the state just before the first ReplicaSet write that sets `desired-replicas` to
 * the new count, `after` the first state where every ReplicaSet that had replicas then carries
 * it. A scale not written within the step's 10 s is not judged here (the settled annotations
 * are, by `replicaSetAnnotationsAfterSettle`).
 */
function judgeScale(cluster: SimCluster, from: number, replicas: number, judgeShares: boolean): InvariantViolation[] {
  const desired = String(replicas);
  let previous: DeploymentState | undefined;
  let before: ReplicaSet[] | undefined;
  let found: InvariantViolation[] | undefined;
  const mine = (state: DeploymentState, d: Deployment) => state.replicaSets.filter((rs) => controllerRef(rs)?.uid === d.metadata.uid);
  replaySince(cluster, Math.max(0, from - 1), (state) => {
    const d = state.deployments.find((x) => x.metadata.name === KEY.name);
    if (found !== undefined || d === undefined) return;
    if (before === undefined && previous !== undefined) {
      const wasDesired = new Map(mine(previous, d).map((rs) => [rs.metadata.uid, rs.metadata.annotations?.[DESIRED_REPLICAS]]));
      if (mine(state, d).some((rs) => rs.metadata.annotations?.[DESIRED_REPLICAS] === desired && wasDesired.get(rs.metadata.uid) !== desired)) before = mine(previous, d);
    }
    if (before !== undefined) {
      const now = mine(state, d);
      const written = before.filter((rs) => rs.spec.replicas > 0).every((rs) => now.find((r) => r.metadata.uid === rs.metadata.uid)?.metadata.annotations?.[DESIRED_REPLICAS] === desired);
      if (written && d.spec.replicas === replicas) found = proportionalScaling(d, before, now, judgeShares);
    }
    previous = state;
  });
  return found ?? [];
}

/**
 * Proportional scaling as the Deployment documentation describes it, judged on each scale of a
 * rollout held half way ({@link judgeScale}). Reads the run's bookkeeping.
 */
function proportionalScalingReported(run: RunState): Invariant {
  return invariant(
    'proportionalScaling',
    'A Deployment scaled mid-rollout shares replicas + maxSurge among its ReplicaSets with replicas in proportion to their sizes (the leftover to a largest one), scales none up from 0, and a single one with replicas takes spec.replicas.',
    () => run.scaled.splice(0),
    'safety',
  );
}

/**
 * Transition safety, local to this suite: the toolkit's {@link rolloutBoundsInvariant} holds on
 * every state the store went through between two checks (`everyState`), for windows that began
 * while the Deployment was armed (see the file's comment). Reads the run's bookkeeping, so it
 * is only pure given the steps performed.
 */
function rolloutBoundsInStableWindows(run: RunState, options: RolloutBoundsOptions = {}): Invariant {
  const kinds = { kinds: ['Deployment', 'ReplicaSet', 'Pod'] };
  const bounds = everyState(rolloutBoundsInvariant({ availabilityCounts: 'ready', ...options }), kinds);
  const sizes = everyState(REPLICASETS_WITHIN_REPLICAS, kinds);
  return transitionInvariant(
    'rolloutBoundsInStableWindows',
    'In the stable windows of a rollout, every state the store went through has at most replicas + maxSurge active pods, at least replicas − maxUnavailable available, and no ReplicaSet sized above replicas.',
    (previous, state) => {
      const checked = run.window ?? run.armed;
      run.window = undefined;
      return checked ? [...bounds.check(state, previous), ...(run.pausedSinceSettle ? [] : sizes.check(state, previous))] : [];
    },
  );
}


/**
 * The shared run: the steps back to back (1 ms between them), the bounds checked in the stable
 * windows, and after settling (and 10 s later) the Deployment liveness invariants and the bounds
 * (on pods) on the settled state. `quietMs` lengthens every settle (cut watches back off).
 */
function options(name: string, faults: fc.Arbitrary<FaultSchedule>, runs: number, bounds: RolloutBoundsOptions = {}, quietMs?: number, deployment: Plugin = deploymentPlugin(), judgeShares = true): CheckClusterOptions<Step, RunState> {
  return {
    name,
    cluster: { nodes: 3, controllerManager: { plugins: [replicaSetPlugin(), deployment] } },
    runState: () => ({ armed: false, window: undefined, quietMs, stopAfter: undefined, stalled: [], scaled: [], judgeShares, recreate: false, pausedRecreate: false, pausedSinceSettle: false, settled: false }),
    actions: steps,
    perform,
    describe: describeStep,
    faults,
    // The Recreate rule holds in every state, windows or not (a scale or a crash does not lift it).
    safety: (run) => [
      rolloutBoundsInStableWindows(run, bounds),
      recreateOneAtATime(run),
      deploymentConditionTransitionsInvariant,
      historyCleanupOldestFirstInvariant,
      noNewReplicaSetWhilePausedInvariant,
      stalledRolloutReported(run),
      proportionalScalingReported(run),
      everyState(podTemplateHashInvariant, { kinds: ['Deployment', 'ReplicaSet'] }),
      revisionChangesInvariant,
    ],
    liveness: [...DEPLOYMENT_LIVENESS, rolloutBoundsInvariant(), deploymentConditionsAfterSettleInvariant, revisionHistoryKeptInvariant, replicaSetAnnotationsAfterSettleInvariant],
    stepMs: 1,
    settleMaxMs: 1_200_000,
    ...(quietMs === undefined ? {} : { settleQuietMs: quietMs }),
    stableMs: 10_000,
    runs,
  };
}

/** One crash within the controller manager's first 15 writes (every run's creation makes that many). */
const earlyCrash = faultArbitrary({ kinds: ['crash'], maxWrite: 15 });
/** More crashes, drawn. */
const moreCrashes = faultSchedules({ kinds: ['crash'], maxFaults: 2, maxWrite: 40 });
/** Every watch cut with 410 Gone, every 5 to 30 s, while the faults last. */
const cutWatches = faultArbitrary({ kinds: ['expireWatches'], expireWatchesAfterMs: { min: 5_000, max: 30_000 } });
/** A cut watch may back off up to 30 s before relisting: settles need a longer quiet window. */
const CUT_WATCH_QUIET_MS = 75_000;

/** Runs `actions` once, fault-free, with the suite's invariants, and expects no failure (printing it if there is one). */
async function expectFixedCasePasses(name: string, actions: Step[]): Promise<void> {
  const outcome = await runCase(options(name, fc.constant([]), 1), 1, actions, []);
  if (outcome.failure !== undefined) console.error(JSON.stringify(outcome.failure, null, 2));
  expect(outcome.failure).toBeUndefined();
}

describe('Deployment rollouts under random template changes, scales, pauses and resumes', () => {
  it('for any rollout, in the stable windows total pods ≤ replicas + maxSurge and available pods ≥ replicas − maxUnavailable, and after settling exactly one ReplicaSet has pods, at the latest template, with a truthful status', async () => {
    await checkCluster(options('deployment: rollouts', fc.constant([]), RUNS));
  }, 300_000);

  it('the same holds when the controller manager crashes (before or after a write reaches the store) and restarts mid-rollout (writes take virtual time)', async () => {
    const faults = faultSchedulesWith([earlyCrash, faultArbitrary({ kinds: ['latency'], maxDelayMs: 20 })], moreCrashes);
    await checkCluster(options('deployment: crashes', faults, FAULT_RUNS, {}, undefined, deploymentPlugin(), false));
  }, 300_000);

  it('the same holds, the surge counted on ReplicaSet sizes, when every watch of the controller manager is cut with 410 Gone (relist) while the faults last', async () => {
    const faults = faultSchedulesWith([cutWatches], fc.constant([]));
    await checkCluster(options('deployment: cut watches', faults, FAULT_RUNS, { surgeCounts: 'replicaSets' }, CUT_WATCH_QUIET_MS, deploymentPlugin(), false));
  }, 300_000);

  it('a rollout that may drop every old pod at once (maxUnavailable 100%, maxSurge 1 over 3 replicas) never sizes the new ReplicaSet above replicas (upstream NewRSNewReplicas caps it)', async () => {
    // The old ReplicaSet goes to 0 in the first step; the surge room (4 − 1) is then larger
    // than what the new one lacks (3 − 1): only the cap at replicas keeps it at 3.
    const actions: Step[] = [
      { kind: 'create', shape: { replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '100%' } }, minReadySeconds: 0, stopAfter: undefined, revisionHistoryLimit: undefined, progressDeadlineSeconds: undefined } },
      { kind: 'template', version: 2, settle: true, waitMs: 1 },
      FINAL_RESUME,
    ];
    await expectFixedCasePasses('deployment: surge cap', actions);
  }, 60_000);

  it('a rollout surges by the configured maxSurge, not the 25% default: 1 over 6 replicas (25% would round up to 2), then 10% over 5 (rounds up to 1)', async () => {
    // The generated shapes rarely pair a maxSurge below the default's rounding with a template
    // change in an armed window; a controller that fell back to the 25% default passed them.
    for (const [replicas, maxSurge] of [[6, 1], [5, '10%']] as const) {
      const actions: Step[] = [
        { kind: 'create', shape: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable: 0 } }, minReadySeconds: 0, stopAfter: undefined, revisionHistoryLimit: undefined, progressDeadlineSeconds: undefined } },
        { kind: 'template', version: 2, settle: true, waitMs: 1 },
        FINAL_RESUME,
      ];
      await expectFixedCasePasses('deployment: configured surge', actions);
    }
  }, 60_000);

  it('regression (found by the cut-watch run): two quick template changes with stale caches keep the ReplicaSet sizes within replicas + maxSurge', async () => {
    // replicas 1, maxSurge 1: v2's ReplicaSet is cleaned up (0) and v1's scaled to 1 while the
    // ReplicaSet controller has not yet deleted v2's pod: 3 pods for a moment, 2 in the sizes.
    const actions: Step[] = [
      { kind: 'create', shape: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, minReadySeconds: 0, stopAfter: undefined, revisionHistoryLimit: undefined, progressDeadlineSeconds: undefined } },
      { kind: 'template', version: 2, settle: false, waitMs: 1 },
      { kind: 'template', version: 1, settle: false, waitMs: 1 },
      FINAL_RESUME,
    ];
    const outcome = await runCase(options('deployment: regression 719', fc.constant([]), 1, { surgeCounts: 'replicaSets' }, CUT_WATCH_QUIET_MS), 719, actions, [{ kind: 'expireWatches', afterMs: 15_000 }]);
    if (outcome.failure !== undefined) console.error(JSON.stringify(outcome.failure, null, 2), outcome.faultLog);
    expect(outcome.failure).toBeUndefined();
  }, 60_000);

  it('regression (found by a deep crash run): a crash before the status write that carries NewReplicaSetCreated leaves NewReplicaSetAvailable, as upstream, when no later status shows progress', async () => {
    // replicas 1, maxSurge 25% → 1, maxUnavailable 10% → 0: the new ReplicaSet is created at 1
    // and the old one can never go down. The controller manager crashes before the status write
    // with the new revision and NewReplicaSetCreated, and after the restart the ReplicaSet's
    // status (1 replica) reaches the store first: the first status published counts the new pod
    // (replicas 1, updated 1 → replicas 2, updated 1), no later one shows progress, and upstream
    // neither replaces NewReplicaSetAvailable nor times it out. (The deep run found it with the
    // revision and the condition in two writes, crashing between them.)
    const actions: Step[] = [
      { kind: 'create', shape: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } }, minReadySeconds: 0, stopAfter: undefined, revisionHistoryLimit: undefined, progressDeadlineSeconds: undefined } },
      { kind: 'stall', version: 0, settle: false, waitMs: 1 },
      { kind: 'scale', replicas: 1, settle: false, waitMs: 1 },
      FINAL_RESUME,
    ];
    const faults: FaultSchedule = [
      { kind: 'crash', write: 1, committed: false },
      { kind: 'latency', ms: 1 },
      { kind: 'crash', write: 15, committed: false },
      { kind: 'crash', write: 16, committed: true },
    ];
    const outcome = await runCase(options('deployment: regression crash 1586685668', fc.constant([]), 1, {}, undefined, deploymentPlugin(), false), 0, actions, faults);
    if (outcome.failure !== undefined) console.error(JSON.stringify(outcome.failure, null, 2), outcome.faultLog);
    expect(outcome.faultLog).toContain('write #15 (updateStatus deployments.apps default/web): crash before the write at t=40002');
    // The stalled rollout was left as described (the healthy template comes at t=130001).
    const stalled = outcome.traceJson
      .split('\n')
      .map((line) => JSON.parse(line) as { t: number; object: KubeObject })
      .filter((e) => e.object.kind === 'Deployment' && e.t < 130_001)
      .at(-1)?.object as Deployment | undefined;
    expect(stalled?.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    expect([stalled?.status.replicas, stalled?.status.updatedReplicas]).toEqual([2, 1]);
    expect(outcome.failure).toBeUndefined();
  }, 60_000);

  it('regression (found by a deep crash run): a crash in the middle of a proportional scale leaves the one active ReplicaSet at the new size with the old desired-replicas, and the next sync refreshes it, so the later rollouts run and a stalled one times out', async () => {
    // replicas 2, maxSurge 0 (maxUnavailable 25% → 0, fenceposted to 1): a stalled v0 holds
    // old 1 + new 1; scaled to 1, the sync writes old 1 → 0 (desired 1) and the manager crashes
    // before it writes the new ReplicaSet's annotations (desired still 2). Upstream's scale
    // returns early on the one active ReplicaSet already at spec.replicas, so isScalingEvent
    // stays true on every sync and the rollout never runs again (kubernetes/kubernetes#138036,
    // #138840, open): the healthy v0 never rolled out, the stalled one never timed out.
    const actions: Step[] = [
      { kind: 'create', shape: { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0 } }, minReadySeconds: 0, stopAfter: undefined, revisionHistoryLimit: undefined, progressDeadlineSeconds: undefined } },
      { kind: 'scaleMidRollout', version: 0, replicas: 1, settle: false, waitMs: 1 },
      { kind: 'stall', version: 0, settle: false, waitMs: 1 },
      FINAL_RESUME,
    ];
    const faults: FaultSchedule = [
      { kind: 'crash', write: 1, committed: false },
      { kind: 'latency', ms: 1 },
      { kind: 'crash', write: 36, committed: false },
    ];
    const outcome = await runCase(options('deployment: regression crash 20261206', fc.constant([]), 1, {}, undefined, deploymentPlugin(), false), 0, actions, faults);
    if (outcome.failure !== undefined) console.error(JSON.stringify(outcome.failure, null, 2), outcome.faultLog);
    expect(outcome.faultLog).toContain('write #36 (delete pods default/web-bcc87c6dd-ql9tm): crash before the write at t=50002');
    // The crash left the window described: the scaled-down ReplicaSet annotated 1, the one
    // active ReplicaSet at 1 replica still annotated desired 2.
    const entries = outcome.traceJson.split('\n').map((line) => JSON.parse(line) as { t: number; object: KubeObject });
    const replicaSets = entries
      .filter((e) => e.object.kind === 'ReplicaSet' && e.t < 50_251)
      .reduce((last, e) => last.set(e.object.metadata.name ?? '', e.object as ReplicaSet), new Map<string, ReplicaSet>());
    expect([...replicaSets.values()].map((rs) => [rs.spec.replicas, rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']])).toEqual([
      [0, '1'],
      [1, '2'],
    ]);
    // The stalled v0 (set at t=60003) timed out before the healthy v0 came at t=150003.
    const stalled = entries.filter((e) => e.object.kind === 'Deployment' && e.t < 150_003).at(-1)?.object as Deployment | undefined;
    expect(stalled?.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
    expect(outcome.failure).toBeUndefined();
  }, 60_000);
});

/** A Deployment controller that sees its Deployments' spec through `edit` (a controller broken on purpose). */
function seesSpec(edit: (spec: Deployment['spec']) => Deployment['spec']): Plugin {
  return sabotaged(deploymentPlugin(), { read: (resource, o) => (resource.kind === 'Deployment' ? ({ ...o, spec: edit((o as Deployment).spec) } as Deployment) : o) });
}

/** A fixed case's creation with 2 replicas, RollingUpdate maxSurge 1 / maxUnavailable 0, and `shape` on top. */
function create2(shape: Partial<Shape> = {}): Step {
  return { kind: 'create', shape: { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, minReadySeconds: 0, stopAfter: undefined, revisionHistoryLimit: undefined, progressDeadlineSeconds: undefined, ...shape } };
}

/** The invariant a fixed case fails with a broken Deployment controller (the real one passes it). */
async function brokenFails(broken: Plugin, actions: Step[]): Promise<string | undefined> {
  expect((await runCase(options('deployment: real', fc.constant([]), 1), 1, actions, [])).failure).toBeUndefined();
  const outcome = await runCase(options('deployment: broken', fc.constant([]), 1, {}, undefined, broken), 1, actions, []);
  return outcome.failure === undefined ? undefined : `${outcome.failure.invariant}: ${outcome.failure.violations[0]?.message ?? ''}`;
}

describe('the condition, history and pause invariants fail on a Deployment controller broken on purpose', () => {
  it('one that ignores spec.paused rolls a paused template change out: noNewReplicaSetWhilePaused (without a deadline: with one, the Progressing condition it sets while paused fails first)', async () => {
    const pausedChange = (shape: Partial<Shape>): Step[] => [create2(shape), { kind: 'pause', settle: true, waitMs: 1 }, { kind: 'template', version: 1, settle: true, waitMs: 1 }, FINAL_RESUME];
    const ignoresPause = seesSpec((spec) => ({ ...spec, paused: false }));
    expect(await brokenFails(ignoresPause, pausedChange({ progressDeadlineSeconds: NO_DEADLINE }))).toMatch(/^noNewReplicaSetWhilePaused: ReplicaSet web-\w+ created for Deployment web, paused since its template was set$/);
    expect(await brokenFails(ignoresPause, pausedChange({}))).toBe('deploymentConditionTransitions: Deployment default/web is paused and its Progressing condition became Progressing True NewReplicaSetCreated');
  }, 60_000);

  it('one that keeps one more old ReplicaSet than revisionHistoryLimit fails revisionHistoryKept', async () => {
    const actions: Step[] = [create2({ revisionHistoryLimit: 0 }), { kind: 'template', version: 1, settle: true, waitMs: 1 }, FINAL_RESUME];
    expect(await brokenFails(seesSpec((spec) => ({ ...spec, revisionHistoryLimit: spec.revisionHistoryLimit + 1 })), actions)).toMatch(/^revisionHistoryKept: Deployment web keeps 1 old ReplicaSets \(web-\w+\), revisionHistoryLimit 0$/);
  }, 60_000);

  it('one that times out after 1 s instead of progressDeadlineSeconds fails deploymentConditionTransitions', async () => {
    const actions: Step[] = [create2({ minReadySeconds: 5 }), { kind: 'template', version: 1, settle: true, waitMs: 1 }, FINAL_RESUME];
    expect(await brokenFails(seesSpec((spec) => ({ ...spec, progressDeadlineSeconds: 1 })), actions)).toMatch(/^deploymentConditionTransitions: .*reports Progressing False ProgressDeadlineExceeded at .*, 600 s deadline/);
  }, 60_000);

  it('one whose deadline never comes fails stalledRolloutReported on a rollout whose pods never become Ready', async () => {
    const actions: Step[] = [create2(), { kind: 'stall', version: 1, settle: true, waitMs: 1 }, FINAL_RESUME];
    expect(await brokenFails(seesSpec((spec) => ({ ...spec, progressDeadlineSeconds: 100_000 })), actions)).toMatch(
      /^stalledRolloutReported: stalled rollout, 30 s deadline: Deployment default\/web has Progressing condition Progressing True ReplicaSetUpdated, expected Progressing False ProgressDeadlineExceeded$/,
    );
  }, 60_000);

  it('one that never replaces a NewReplicaSetAvailable condition (it takes the last rollout for final) fails stalledRolloutReported on a rollout that shows progress and then stalls', async () => {
    // 2 replicas, maxSurge 1, maxUnavailable 0: the new ReplicaSet's pod is counted (updated
    // 0 → 1), which upstream reports as progress, and then the rollout stalls for 90 s.
    const actions: Step[] = [create2(), { kind: 'stall', version: 1, settle: true, waitMs: 1 }, FINAL_RESUME];
    const keepsAvailable = sabotaged(deploymentPlugin(), {
      rewriteStatus: (resource, o, stored) => {
        if (resource.kind !== 'Deployment') return o;
        const kept = (stored as Deployment).status.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable');
        const conditions = (o as Deployment).status.conditions;
        return kept === undefined || conditions === undefined ? o : ({ ...o, status: { ...(o as Deployment).status, conditions: conditions.map((c) => (c.type === 'Progressing' ? kept : c)) } } as Deployment);
      },
    });
    expect(await brokenFails(keepsAvailable, actions)).toMatch(
      /^stalledRolloutReported: stalled rollout, 30 s deadline: Deployment default\/web has Progressing condition Progressing True NewReplicaSetAvailable, expected Progressing False ProgressDeadlineExceeded$/,
    );
  }, 60_000);

  it('one that reads every max-replicas annotation as 1 (so a scale mid-rollout goes to the largest ReplicaSet, not in proportion) fails proportionalScaling', async () => {
    // 4 replicas, maxSurge 1, maxUnavailable 0: held at old 4 + new 1 (new pods never Ready);
    // scaled to 8 the bound is 9: old 4 × 9/5 = 7.2 → 7, new 1 × 9/5 = 1.8 → 2.
    const actions: Step[] = [create2({ replicas: 4 }), { kind: 'scaleMidRollout', version: 1, replicas: 8, settle: true, waitMs: 1 }, FINAL_RESUME];
    const maxOne = sabotaged(deploymentPlugin(), {
      read: (resource, o) => (resource.kind === 'ReplicaSet' ? ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'deployment.kubernetes.io/max-replicas': '1' } } } as KubeObject) : o),
    });
    expect(await brokenFails(maxOne, actions)).toMatch(/^proportionalScaling: Deployment web scaled to 8: its ReplicaSets \(web-\w+ 4 → 8, web-\w+ 1 → 1\) are not scaled in proportion to the bound 9/);
  }, 60_000);

  it('one that takes every pod for allowed to be unavailable (maxUnavailable 100%) fails deploymentConditionTransitions on its first Available', async () => {
    const actions: Step[] = [create2({ replicas: 3 }), FINAL_RESUME];
    const broken = seesSpec((spec) => ({ ...spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '100%' } } }));
    expect(await brokenFails(broken, actions)).toMatch(/^deploymentConditionTransitions: Deployment default\/web has Available condition Available True MinimumReplicasAvailable at 0 available of 3 \(maxUnavailable 0\)/);
  }, 60_000);
});

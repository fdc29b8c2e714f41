/**
 * The `cluster-autoscaler-status` ConfigMap (upstream `clusterstate/api` v1 status, the YAML
 * written under the `status` key since 1.30): cluster-wide health, scale-up and scale-down
 * activity, then the same per node group.
 *
 * @module
 */

/** The ConfigMap's name (in kube-system). */
export const STATUS_CONFIGMAP = 'cluster-autoscaler-status';

/** What the status says. */
export interface AutoscalerStatus {
  /** Registered Nodes. */
  readonly nodes: number;
  /** Of which Ready. */
  readonly ready: number;
  /** Whether some group has machines asked for that have not registered yet. */
  readonly scaleUpInProgress: boolean;
  /** How many nodes are unneeded now. */
  readonly scaleDownCandidates: number;
  /** Per group. */
  readonly groups: readonly GroupStatus[];
  /** Extra information (upstream's `message`), e.g. `Max total nodes in cluster reached: 3`. */
  readonly message?: string | undefined;
}

/** One node group in the status (upstream `NodeGroupStatus`). */
export interface GroupStatus {
  readonly id: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Machines asked for, booting ones included (`cloudProviderTarget`). */
  readonly targetSize: number;
  /** Registered Nodes of the group. */
  readonly registered: number;
  /** Of which Ready (default: all registered). */
  readonly ready?: number | undefined;
  /** Of which NotReady and younger than the startup time. */
  readonly notStarted?: number | undefined;
  /** Of which NotReady after starting. */
  readonly unready?: number | undefined;
  /** Machines without a Node, within the provision time. */
  readonly unregistered?: number | undefined;
  /** Machines without a Node past the provision time. */
  readonly longUnregistered?: number | undefined;
  /** Upstream `IsNodeGroupHealthy` (default true). */
  readonly healthy?: boolean | undefined;
  /** Set while the group is backed off after a failed scale-up: scale-up status `Backoff`. */
  readonly backoff?: { readonly errorCode: string; readonly errorMessage: string } | undefined;
}

/**
 * The status text, without its leading `time:` line (so that a caller can tell whether
 * anything but the time changed), e.g.:
 *
 * ```yaml
 * autoscalerStatus: Running
 * clusterWide:
 *   health:
 *     status: Healthy
 *     nodeCounts:
 *       registered:
 *         total: 3
 *         ready: 3
 *         notStarted: 0
 *   scaleUp:
 *     status: NoActivity
 *   scaleDown:
 *     status: NoCandidates
 * nodeGroups:
 * - name: pool
 *   health:
 *     status: Healthy
 *     nodeCounts:
 *       registered:
 *         total: 1
 *         ready: 1
 *         notStarted: 0
 *         unready:
 *           total: 0
 *       longUnregistered: 0
 *       unregistered: 0
 *     cloudProviderTarget: 1
 *     minSize: 0
 *     maxSize: 3
 *   scaleUp:
 *     status: NoActivity
 * ```
 *
 * A group backed off after a failed scale-up shows `status: Backoff` with `backoffInfo`
 * (`errorCode: timeout`, `errorMessage: Scale-up timed out for node group pool after 15m10s`);
 * a cluster at `--max-nodes-total` with pods waiting shows
 * `message: Max total nodes in cluster reached: 3` under `autoscalerStatus`.
 */
export function renderStatus(s: AutoscalerStatus): string {
  const lines = [
    'autoscalerStatus: Running',
    ...(s.message === undefined ? [] : [`message: ${s.message}`]),
    'clusterWide:',
    '  health:',
    '    status: Healthy',
    '    nodeCounts:',
    '      registered:',
    `        total: ${s.nodes}`,
    `        ready: ${s.ready}`,
    `        notStarted: ${s.nodes - s.ready}`,
    '  scaleUp:',
    `    status: ${s.scaleUpInProgress ? 'InProgress' : 'NoActivity'}`,
    '  scaleDown:',
    `    status: ${s.scaleDownCandidates > 0 ? 'CandidatesPresent' : 'NoCandidates'}`,
    `    candidates: ${s.scaleDownCandidates}`,
    'nodeGroups:',
  ];
  for (const g of s.groups) {
    const scaleUp = g.backoff !== undefined && !(g.targetSize > g.registered + (g.longUnregistered ?? 0)) ? 'Backoff' : g.targetSize > g.registered ? 'InProgress' : 'NoActivity';
    lines.push(
      `- name: ${g.id}`,
      '  health:',
      `    status: ${g.healthy === false ? 'Unhealthy' : 'Healthy'}`,
      '    nodeCounts:',
      '      registered:',
      `        total: ${g.registered}`,
      `        ready: ${g.ready ?? g.registered}`,
      `        notStarted: ${g.notStarted ?? 0}`,
      '        unready:',
      `          total: ${g.unready ?? 0}`,
      `      longUnregistered: ${g.longUnregistered ?? 0}`,
      `      unregistered: ${g.unregistered ?? 0}`,
      `    cloudProviderTarget: ${g.targetSize}`,
      `    minSize: ${g.minSize}`,
      `    maxSize: ${g.maxSize}`,
      '  scaleUp:',
      `    status: ${scaleUp}`,
      ...(scaleUp === 'Backoff' && g.backoff !== undefined ? ['    backoffInfo:', `      errorCode: ${g.backoff.errorCode}`, `      errorMessage: ${g.backoff.errorMessage}`] : []),
    );
  }
  return lines.join('\n') + '\n';
}

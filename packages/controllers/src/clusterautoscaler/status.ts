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
  readonly groups: readonly { readonly id: string; readonly minSize: number; readonly maxSize: number; readonly targetSize: number; readonly registered: number }[];
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
 *     cloudProviderTarget: 1
 *     minSize: 0
 *     maxSize: 3
 *   scaleUp:
 *     status: NoActivity
 * ```
 */
export function renderStatus(s: AutoscalerStatus): string {
  const lines = [
    'autoscalerStatus: Running',
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
    lines.push(
      `- name: ${g.id}`,
      '  health:',
      '    status: Healthy',
      '    nodeCounts:',
      '      registered:',
      `        total: ${g.registered}`,
      `    cloudProviderTarget: ${g.targetSize}`,
      `    minSize: ${g.minSize}`,
      `    maxSize: ${g.maxSize}`,
      '  scaleUp:',
      `    status: ${g.targetSize > g.registered ? 'InProgress' : 'NoActivity'}`,
    );
  }
  return lines.join('\n') + '\n';
}

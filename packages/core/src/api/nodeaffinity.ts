/**
 * Node selection as the scheduler and the kubelet both apply it (upstream
 * `component-helpers/scheduling/corev1/nodeaffinity`): a pod's `nodeSelector` and required node
 * affinity against a Node's labels and name.
 *
 * @module
 */
import type { Node } from './kinds/node.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from './kinds/pod.js';

/**
 * Whether a node satisfies one node selector requirement (upstream `nodeaffinity`):
 * `In`/`NotIn` against the label value (a missing label satisfies `NotIn`), `Exists`,
 * `DoesNotExist`, and `Gt`/`Lt`, which need the label to exist and both sides to be integers.
 */
export function matchesRequirement(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const INT = /^[+-]?\d+$/;
      if (!INT.test(value) || !INT.test(values[0]!)) return false;
      const a = BigInt(value);
      const b = BigInt(values[0]!);
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/**
 * Whether a node matches a node selector term: all `matchExpressions` against labels and all
 * `matchFields` (only `metadata.name`) hold. A term with no requirements matches nothing.
 */
export function matchesTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of exprs) if (!matchesRequirement(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) return false;
  for (const r of fields) {
    if (r.key !== 'metadata.name') return false;
    if (!matchesRequirement(r, node.metadata.name)) return false;
  }
  return true;
}

/**
 * Whether a node satisfies a pod's `nodeSelector` (every label equal) and its required node
 * affinity (any term matches).
 */
export function matchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const sel = pod.spec.nodeSelector;
  if (sel !== undefined) {
    const labels = node.metadata.labels ?? {};
    for (const k in sel) if (labels[k] !== sel[k]) return false;
  }
  const req = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req !== undefined) return req.nodeSelectorTerms.some((t) => matchesTerm(t, node));
  return true;
}

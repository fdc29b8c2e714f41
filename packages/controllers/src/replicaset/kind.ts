/**
 * The two kinds this controller runs on. Upstream runs the ReplicaSet controller on
 * ReplicationControllers through a conversion (`pkg/controller/replication`: an informer and
 * client adapter that turns each RC into a ReplicaSet and back). Here the controller is generic
 * over a small adapter instead: {@link ReplicaSetKind} and {@link ReplicationControllerKind}
 * say how to read the selector, template, replicas and status of each kind, and how to put a
 * new status on an object.
 *
 * @module
 */
import { ReplicaSets, ReplicationControllers, nothing, selectorFromLabelSelector, selectorFromSet } from '@kubeloop/core';
import type { KubeObject, PodTemplateSpec, ReplicaSet, ReplicationController, ResourceDefinition, Selector } from '@kubeloop/core';

/** A `ReplicaFailure` condition (and any other) as both kinds store it. */
export interface ReplicaCondition {
  /** The condition type, e.g. `ReplicaFailure`. */
  readonly type: string;
  /** `True`, `False` or `Unknown`. */
  readonly status: 'True' | 'False' | 'Unknown';
  /** When the status last changed (RFC 3339). */
  readonly lastTransitionTime?: string | undefined;
  /** A CamelCase reason, e.g. `FailedCreate`. */
  readonly reason?: string | undefined;
  /** A human-readable message. */
  readonly message?: string | undefined;
}

/** The status the controller computes, common to ReplicaSets and ReplicationControllers. */
export interface ReplicaStatus {
  /** Active pods the object controls. */
  readonly replicas: number;
  /** Of those, pods whose labels match the template's labels. */
  readonly fullyLabeledReplicas?: number | undefined;
  /** Of those, pods that are Ready. */
  readonly readyReplicas?: number | undefined;
  /** Of those, pods Ready for at least `minReadySeconds`. */
  readonly availableReplicas?: number | undefined;
  /** The `metadata.generation` this status was computed for. */
  readonly observedGeneration?: number | undefined;
  /** Conditions; the controller owns `ReplicaFailure`. */
  readonly conditions?: readonly ReplicaCondition[] | undefined;
}

/**
 * How the controller reads and writes one replicated kind — the part of upstream's RC→RS
 * conversion the controller needs.
 */
export interface ReplicatedKind<T extends KubeObject> {
  /** The resource (ReplicaSets or ReplicationControllers). */
  readonly resource: ResourceDefinition<T>;
  /** The `apiVersion` of owner references to objects of this kind. */
  readonly apiVersion: string;
  /** The kind, as in owner references. */
  readonly kind: string;
  /** The controller's name in the manager (`replicaset`, `replicationcontroller`). */
  readonly controllerName: string;
  /** The component events are recorded under (`replicaset-controller`, `replication-controller`). */
  readonly component: string;
  /** The pod selector; a missing or empty one matches nothing (upstream refuses to sync it). */
  selector(object: T): Selector;
  /** The pod template, if any. */
  template(object: T): PodTemplateSpec | undefined;
  /** `spec.replicas` (defaulted to 1 by the API server). */
  replicas(object: T): number;
  /** `spec.minReadySeconds`, 0 when absent. */
  minReadySeconds(object: T): number;
  /** The current status. */
  status(object: T): ReplicaStatus;
  /** `object` with `status` replacing its status. */
  withStatus(object: T, status: ReplicaStatus): T;
}

const NOTHING: Selector = nothing;

/**
 * Memoizes a selector per object: objects from the store and caches are frozen and shared, so
 * one parse per object version serves every pod event and sync that looks at it.
 */
function memoized<T extends object>(build: (object: T) => Selector): (object: T) => Selector {
  const cache = new WeakMap<T, Selector>();
  return (object) => {
    let selector = cache.get(object);
    if (selector === undefined) {
      selector = build(object);
      cache.set(object, selector);
    }
    return selector;
  };
}

/** ReplicaSets (apps/v1): a label selector with `matchLabels` and `matchExpressions`. */
export const ReplicaSetKind: ReplicatedKind<ReplicaSet> = {
  resource: ReplicaSets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  controllerName: 'replicaset',
  component: 'replicaset-controller',
  selector: memoized((rs: ReplicaSet) => {
    // Validation forbids an empty selector; were one stored anyway, it selects nothing here.
    const ls = rs.spec.selector;
    if (Object.keys(ls.matchLabels ?? {}).length + (ls.matchExpressions ?? []).length === 0) return NOTHING;
    try {
      return selectorFromLabelSelector(ls);
    } catch {
      return NOTHING;
    }
  }),
  template: (rs) => rs.spec.template,
  replicas: (rs) => rs.spec.replicas,
  minReadySeconds: (rs) => rs.spec.minReadySeconds ?? 0,
  status: (rs) => rs.status,
  withStatus: (rs, status) => ({ ...rs, status: status as ReplicaSet['status'] }),
};

/** ReplicationControllers (core/v1): a map selector, as upstream's conversion turns into `matchLabels`. */
export const ReplicationControllerKind: ReplicatedKind<ReplicationController> = {
  resource: ReplicationControllers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  controllerName: 'replicationcontroller',
  component: 'replication-controller',
  selector: memoized((rc: ReplicationController) => {
    const set = rc.spec.selector;
    if (set === undefined || Object.keys(set).length === 0) return NOTHING;
    try {
      return selectorFromSet(set);
    } catch {
      return NOTHING;
    }
  }),
  template: (rc) => rc.spec.template,
  replicas: (rc) => rc.spec.replicas,
  minReadySeconds: (rc) => rc.spec.minReadySeconds ?? 0,
  status: (rc) => rc.status,
  withStatus: (rc, status) => ({ ...rc, status: status as ReplicationController['status'] }),
};

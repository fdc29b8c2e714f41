/**
 * The StatefulSet status, pure (upstream `computeReplicaStatus` and `completeRollingUpdate`).
 *
 * @module
 */
import type { Pod, StatefulSet, StatefulSetStatus } from '@kubeloop/core';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
import { STATEFULSET_REVISION_LABEL } from './decide.js';

/**
 * The status of `set` from its pods (upstream `computeReplicaStatus`): `replicas` counts every
 * pod, `readyReplicas` the Running and Ready ones, `availableReplicas` those also available for
 * `minReadySeconds`; `currentReplicas` and `updatedReplicas` count the pods not being deleted
 * of `currentRevision` and `updateRevision`. When a RollingUpdate completed (every pod updated
 * and ready, as many as `spec.replicas`), the current revision becomes the update revision
 * (upstream `completeRollingUpdate`).
 */
export function computeStatefulSetStatus(set: StatefulSet, pods: readonly Pod[], currentRevision: string, updateRevision: string, nowMs: number): StatefulSetStatus {
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  const minReady = set.spec.minReadySeconds ?? 0;
  for (const pod of pods) {
    replicas++;
    if (pod.status?.phase === 'Running' && isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const rev = pod.metadata.labels?.[STATEFULSET_REVISION_LABEL];
    if (rev === currentRevision) current++;
    if (rev === updateRevision) updated++;
  }
  let cur = currentRevision;
  if (set.spec.updateStrategy.type === 'RollingUpdate' && updated === set.spec.replicas && ready === set.spec.replicas && replicas === set.spec.replicas) {
    cur = updateRevision;
    current = updated;
  }
  return {
    ...set.status,
    observedGeneration: set.metadata.generation ?? set.status.observedGeneration,
    replicas,
    readyReplicas: ready,
    availableReplicas: available,
    currentReplicas: current,
    updatedReplicas: updated,
    currentRevision: cur,
    updateRevision,
    collisionCount: set.status.collisionCount ?? 0,
  };
}

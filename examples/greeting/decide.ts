/**
 * What the greeting controller decides, as pure functions: the ConfigMap a Greeting should
 * have, and the status to report. The reconciler only reads, calls these and writes.
 */
import type { ConfigMap, Condition, KubeObject } from '@kubeloop/core';
import type { Greeting } from './greeting.js';

/** The finalizer that makes deletion wait for the controller's cleanup. */
export const GREETING_FINALIZER = 'example.kubeloop.dev/cleanup';

/** The name of a Greeting's ConfigMap: `<greeting>-greeting`. */
export function configMapName(greeting: Greeting): string {
  return `${greeting.metadata.name}-greeting`;
}

/** The ConfigMap a Greeting should own: its message and language, with a controller reference. */
export function desiredConfigMap(greeting: Greeting): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(greeting),
      namespace: greeting.metadata.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'greeting-controller', 'example.kubeloop.dev/greeting': greeting.metadata.name ?? '' },
      ownerReferences: [
        {
          apiVersion: greeting.apiVersion,
          kind: greeting.kind,
          name: greeting.metadata.name ?? '',
          uid: greeting.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: { message: greeting.spec.message, language: greeting.spec.language },
  };
}

/** Whether the live ConfigMap carries what the Greeting asks for. */
export function configMapUpToDate(live: ConfigMap, greeting: Greeting): boolean {
  const want = desiredConfigMap(greeting);
  return live.data?.['message'] === want.data?.['message'] && live.data?.['language'] === want.data?.['language'];
}

/** Whether `obj` is controlled by `greeting` (same uid), so the controller may change it. */
export function ownedBy(obj: KubeObject, greeting: Greeting): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === greeting.metadata.uid);
}

/**
 * The status to publish: the generation acted on, the ConfigMap's name, and a `Ready`
 * condition whose `lastTransitionTime` only moves when its status changes.
 */
export function desiredStatus(greeting: Greeting, ready: boolean, reason: string, message: string, now: string): NonNullable<Greeting['status']> {
  const previous = greeting.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready ? 'True' : 'False';
  const condition: Condition = {
    type: 'Ready',
    status,
    reason,
    message,
    observedGeneration: greeting.metadata.generation,
    lastTransitionTime: previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now,
  };
  return { observedGeneration: greeting.metadata.generation, configMapName: configMapName(greeting), conditions: [condition] };
}

/**
 * Pod control (upstream `PodControlInterface` / `RealPodControl`): how a workload controller
 * creates pods from its template and deletes them, with the events upstream records. A small
 * interface so decisions can be tested against a fake.
 *
 * @module
 */
import { Pods, isApiError } from '@kubeloop/core';
import type { Client, EventRecorder, InputOf, KubeObject, OwnerReference, Pod, PodTemplateSpec } from '@kubeloop/core';

/** A pod as a controller asks for it: the API server fills in name, uid and defaults. */
export type PodRequest = InputOf<typeof Pods>;

/**
 * The pod a controller creates from its template (upstream `GetPodFromTemplate`): the
 * template's labels, annotations, finalizers and spec, `generateName` `<owner>-`, the owner's
 * namespace and the controller reference.
 *
 * @example
 * ```ts
 * podFromTemplate(rs.spec.template, rs, newControllerRef(rs));
 * // { metadata: { generateName: 'web-5d8f-', namespace: 'default', labels: {...}, ownerReferences: [...] }, spec }
 * ```
 */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, ref: OwnerReference | undefined): PodRequest {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name ?? ''}-`,
      namespace: owner.metadata.namespace ?? 'default',
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ...(ref ? { ownerReferences: [ref] } : {}),
    },
    spec: template.spec,
  } as PodRequest;
}

/** Creates and deletes pods on behalf of an owner. */
export interface PodControl {
  /**
   * Creates `pod` for `owner`. Records `SuccessfulCreate` (`Created pod: <name>`) or
   * `FailedCreate` (`Error creating: <message>`) on the owner.
   *
   * Errors: whatever the API server rejects the create with.
   */
  createPod(pod: PodRequest, owner: KubeObject): Promise<Pod>;
  /**
   * Deletes the pod `namespace/name` for `owner`. Records `SuccessfulDelete`
   * (`Deleted pod: <name>`) or `FailedDelete` on the owner.
   *
   * Errors: whatever the API server rejects the delete with (NotFound included: callers
   * usually treat it as done).
   */
  deletePod(namespace: string, name: string, owner: KubeObject): Promise<void>;
}

/** The real pod control: writes through `client`, records through `recorder`. */
export function clientPodControl(client: Client, recorder: EventRecorder): PodControl {
  return {
    async createPod(pod, owner) {
      try {
        const created = await client.create(Pods, pod);
        void recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
        return created;
      } catch (error) {
        void recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    },
    async deletePod(namespace, name, owner) {
      try {
        await client.delete(Pods, { namespace, name });
        void recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      } catch (error) {
        if (!isApiError(error, 'NotFound')) {
          void recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${error instanceof Error ? error.message : String(error)}`);
        }
        throw error;
      }
    },
  };
}

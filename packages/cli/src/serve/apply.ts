/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`) and the field-manager
 * bookkeeping of the scale subresource, over core's {@link Client}. The field-set arithmetic
 * (what the applier owns, conflicts, `force`, the fields it stops applying) is core's
 * `applyManagedFields`; this module reads the live object, hands it over, and writes the result
 * back at the read revision, re-reading on a write conflict as upstream's patch handler does.
 *
 * @module
 */
import { applyManagedFields, badRequest, formatTime, invalid, isApiError, recordUpdate } from '@kubeloop/core';
import type { Client, Clock, KubeObject, ObjectKey, ResourceDefinition, Scale, WarningSink, WriteOptions } from '@kubeloop/core';

/** How a write runs under the request's `fieldValidation` and `dryRun` (the handler's `write`). */
export type WriteRunner = <T>(run: (options: WriteOptions & WarningSink) => Promise<T>) => Promise<T>;

/** One server-side apply request. */
export interface ApplyRequest {
  /** The kind addressed. */
  readonly def: ResourceDefinition;
  /** The object addressed (namespace and name from the URL). */
  readonly key: ObjectKey;
  /** The applied configuration (the parsed YAML or JSON body). */
  readonly body: unknown;
  /** `?fieldManager=`: required. */
  readonly fieldManager: string | undefined;
  /** `?force=true`: take the contested fields from their owners. */
  readonly force: boolean;
  /** `status` when applying to the status subresource. */
  readonly subresource: 'status' | undefined;
}

/** What an apply did: the stored object, and whether the apply created it (201) or not (200). */
export interface ApplyOutcome {
  /** The object as stored (or as it would be, on a dry run). */
  readonly object: KubeObject;
  /** Whether the object did not exist before. */
  readonly created: boolean;
}

/** The 422 upstream answers a `PatchOptions` that is not valid. */
function invalidPatchOptions(field: string, type: 'FieldValueRequired' | 'FieldValueForbidden', detail: string): Error {
  return invalid('PatchOptions', 'meta.k8s.io', '', [{ type, field, detail }]);
}

/**
 * Checks the query of a patch: `force` only with apply, and apply needs a `fieldManager`
 * (422 `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`).
 */
export function checkPatchOptions(apply: boolean, fieldManager: string | undefined, force: string | null): void {
  if (!apply && force !== null) throw invalidPatchOptions('force', 'FieldValueForbidden', 'may not be specified for non-apply patch');
  if (apply && (fieldManager === undefined || fieldManager === '')) throw invalidPatchOptions('fieldManager', 'FieldValueRequired', 'is required for apply patch');
}

/** The applied configuration as an object of `def` named as the URL names it. */
function appliedObject(def: ResourceDefinition, key: ObjectKey, body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of an apply patch must be an object');
  const object = body as Record<string, unknown>;
  if (object.apiVersion !== def.apiVersion || object.kind !== def.kind) {
    throw badRequest(`the API version in the data (${String(object.apiVersion ?? '')}) does not match the expected API version (${def.apiVersion})`);
  }
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw badRequest('metadata: must be an object');
  if (meta.name !== undefined && meta.name !== key.name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${key.name})`);
  if (key.namespace !== undefined && meta.namespace !== undefined && meta.namespace !== key.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (meta.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
  const { resourceVersion: _rv, ...rest } = meta;
  return { ...object, metadata: { ...rest, name: key.name, ...(key.namespace !== undefined ? { namespace: key.namespace } : {}) } };
}

/**
 * Server-side apply of `request.body` by `request.fieldManager`: creates the object when it does
 * not exist, else merges the applied configuration into it with core's `applyManagedFields` and
 * updates it at the revision read (re-reading on a write conflict, at most 5 times, unless the
 * configuration pins a `resourceVersion`).
 *
 * Errors: the 422 of {@link checkPatchOptions}; 400 for a body that is not an object of the kind
 * named by the URL; 409 `Apply failed with N conflict(s)` when another manager owns a field the
 * apply changes and `force` is not set; and the store's own (validation, admission).
 */
export async function serverSideApply(client: Client, clock: Clock, write: WriteRunner, request: ApplyRequest): Promise<ApplyOutcome> {
  const { def, key, force, subresource } = request;
  checkPatchOptions(true, request.fieldManager, null);
  const manager = request.fieldManager!;
  const applied = appliedObject(def, key, request.body);
  const pinned = typeof (request.body as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion === 'string';
  for (let attempt = 0; ; attempt++) {
    let live: KubeObject | undefined;
    try {
      live = await client.get(def, key);
    } catch (e) {
      // Applying to the status of an object that does not exist is a 404, as upstream.
      if (!isApiError(e, 'NotFound') || subresource !== undefined) throw e;
    }
    const { object, managedFields } = applyManagedFields(live as unknown as Record<string, unknown> | undefined, applied, {
      manager,
      apiVersion: def.apiVersion,
      time: formatTime(clock.now()),
      force,
      subresource,
      statusSubresource: def.subresources.status === true,
    });
    const metadata = { ...(object.metadata as Record<string, unknown>), managedFields };
    if (live === undefined) {
      const next = { ...object, apiVersion: def.apiVersion, kind: def.kind, metadata } as unknown as KubeObject;
      // The apply has already recorded its managedFields: the store must not record an Update on top.
      return { object: await write((o) => client.create(def, next, { ...o, fieldManager: undefined })), created: true };
    }
    const next = { ...object, apiVersion: def.apiVersion, kind: def.kind, metadata: { ...metadata, resourceVersion: live.metadata.resourceVersion } } as unknown as KubeObject;
    try {
      const stored = await write((o) => (subresource === 'status' ? client.updateStatus(def, next, { ...o, fieldManager: undefined }) : client.update(def, next, { ...o, fieldManager: undefined })));
      return { object: stored, created: false };
    } catch (e) {
      if (isApiError(e, 'Conflict') && !pinned && attempt < 5 && e.details.causes === undefined) continue;
      throw e;
    }
  }
}

/**
 * Sets the replica count of a scalable object through its `scale` subresource on behalf of
 * `manager`, recording the change in managedFields as an Update of subresource `scale` (so a
 * later apply of another `spec.replicas` conflicts with the scaler, as upstream). Validation
 * and the Scale answered are core's `updateScale`/`getScale`.
 *
 * Errors: those of `updateScale` (422 for a negative or fractional count, 409 for a stale
 * `resourceVersion`, 404).
 */
export async function scaleWithManager(client: Client, clock: Clock, def: ResourceDefinition, key: ObjectKey, scale: Scale, manager: string | undefined): Promise<Scale> {
  const paths = def.subresources.scale;
  const replicas = scale.spec?.replicas ?? 0;
  if (manager === undefined || manager === '' || paths === undefined || !Number.isInteger(replicas) || replicas < 0) return client.updateScale(def, key, scale);
  const pinned = scale.metadata?.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    const current = await client.get(def, key);
    if (pinned && pinned !== current.metadata.resourceVersion) return client.updateScale(def, key, scale);
    const next = setPath(current, paths.specReplicasPath, replicas);
    const managedFields = recordUpdate(current, next, current.metadata.managedFields, { manager, apiVersion: def.apiVersion, time: formatTime(clock.now()), subresource: 'scale' });
    const body = { ...next, metadata: { ...next.metadata, ...(managedFields && managedFields.length > 0 ? { managedFields } : {}) } } as KubeObject;
    try {
      await client.update(def, body, {});
      return await client.getScale(def, key);
    } catch (e) {
      if (isApiError(e, 'Conflict') && !pinned && attempt < 5) continue;
      throw e;
    }
  }
}

/** `obj` with the value at the dotted `path` (e.g. `spec.replicas`) set; objects on the way are copied. */
function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const record = (obj ?? {}) as Record<string, unknown>;
  return { ...record, [head!]: rest.length === 0 ? value : setPath(record[head!], rest.join('.'), value) } as T;
}

/**
 * `apply`: create an object from a manifest, or bring the live object in line with it.
 *
 * @module
 */
import { isApiError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client, WriteOptions } from './types.js';

/** What {@link apply} did. */
export interface ApplyResult<T extends KubeObject> {
  /** `created`, `configured` (changed) or `unchanged`, as kubectl prints them. */
  readonly action: 'created' | 'configured' | 'unchanged';
  /** The stored object after the apply. */
  readonly object: T;
}

/** Options of {@link apply}: the write options, and what the caller already knows. */
export interface ApplyOptions extends WriteOptions {
  /**
   * The caller has just seen that no such object exists (it holds a current cache, as an
   * in-process API server's reader): `apply` creates without reading first — a read that
   * finds nothing costs an error — and reads and patches if the object existed after all.
   */
  readonly absent?: boolean | undefined;
}

/**
 * Creates `manifest`, or, when an object with its name exists, merge-patches the live object
 * with the manifest (status excluded): every field the manifest sets takes the manifest's
 * value — so re-applying a Deployment's YAML after `kubectl scale` restores the YAML's
 * `spec.replicas`, as in upstream — and fields the manifest leaves out keep their live values.
 *
 * Caveats: unlike `kubectl apply`, fields removed from the manifest since the last apply are
 * not removed from the live object (there is no last-applied record).
 * Errors: whatever the create or patch fails with (`Invalid`, `Conflict` after retries are the
 * caller's to handle).
 */
export async function apply<T extends KubeObject, In>(
  client: Client,
  resource: ResourceDefinition<T, In>,
  manifest: In,
  applyOptions: ApplyOptions = {},
): Promise<ApplyResult<T>> {
  const { absent, ...options } = applyOptions;
  const body = manifest as unknown as KubeObject;
  const key = { namespace: body.metadata?.namespace, name: body.metadata?.name ?? '' };
  if (absent === true) {
    try {
      return { action: 'created', object: await client.create(resource, manifest, options) };
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
    }
  }
  let live: T | undefined;
  if (key.name !== '') {
    try {
      live = await client.get(resource, key);
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
  }
  if (!live) return { action: 'created', object: await client.create(resource, manifest, options) };
  const { status: _status, ...rest } = body as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, ...metadata } = rest.metadata ?? {};
  const patched = await client.patch(resource, key, { type: 'merge', body: { ...rest, metadata } as Record<string, unknown> }, options);
  return { action: patched.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured', object: patched };
}

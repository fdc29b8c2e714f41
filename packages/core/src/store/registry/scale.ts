/**
 * The `scale` subresource of scalable kinds (upstream's `autoscaling/v1` `Scale`): reads and
 * writes the replica count at the paths the kind declares in `subresources.scale`.
 *
 * @module
 */
import { ApiError, STALE_OBJECT_MESSAGE, conflict, invalid, type FieldError } from '../../api/errors.js';
import { toSelectorString } from '../../api/labels.js';
import type { KubeObject, LabelSelector, ObjectKey } from '../../api/meta.js';
import type { ResourceDefinition } from '../../api/registry.js';
import { validateNonNegative } from '../../api/validation.js';
import type { Scale } from '../../client/types.js';
import { getPath, setPath } from '../../util/objects.js';
import type { RegistryStore } from './store.js';

/** The `Scale` of a scalable kind's object; 404 for a kind without the subresource. */
export async function getScale(store: RegistryStore, requested: ResourceDefinition, key: ObjectKey): Promise<Scale> {
  const resource = store.definition(requested);
  if (!resource.subresources.scale) throw new ApiError('NotFound', 'the server could not find the requested resource');
  const obj = await store.get(resource, key);
  return toScale(obj, resource);
}

/**
 * Writes `spec.replicas` of a `Scale` to the object (422 for a negative or fractional count,
 * 409 for a stale `metadata.resourceVersion`); returns the new `Scale`.
 */
export async function updateScale(store: RegistryStore, requested: ResourceDefinition, key: ObjectKey, scale: Scale): Promise<Scale> {
  const resource = store.definition(requested);
  const paths = resource.subresources.scale;
  if (!paths) throw new ApiError('NotFound', 'the server could not find the requested resource');
  const replicas = scale.spec.replicas ?? 0;
  const errs: FieldError[] = validateNonNegative(replicas, 'spec.replicas');
  if (!Number.isInteger(replicas)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be an integer' });
  }
  if (errs.length > 0) throw invalid('Scale', 'autoscaling', key.name, errs);
  const current = await store.get(resource, key);
  const rv = scale.metadata.resourceVersion;
  if (rv && rv !== current.metadata.resourceVersion) {
    throw conflict(resource.plural, resource.group, key.name, STALE_OBJECT_MESSAGE);
  }
  const next = setPath(current, paths.specReplicasPath, replicas);
  const stored = await store.update(resource, next, {}, undefined);
  return toScale(stored, resource);
}

/** The `Scale` view of an object of a scalable kind. */
export function toScale(obj: KubeObject, resource: ResourceDefinition): Scale {
  const paths = resource.subresources.scale!;
  const selector = paths.labelSelectorPath ? getPath(obj, paths.labelSelectorPath) : undefined;
  const selectorText =
    typeof selector === 'string'
      ? selector
      : selector && typeof selector === 'object'
        ? 'matchLabels' in selector || 'matchExpressions' in selector
          ? toSelectorString(selector as LabelSelector)
          : toSelectorString({ matchLabels: selector as Record<string, string> })
        : undefined;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: (getPath(obj, paths.specReplicasPath) as number | undefined) ?? 0 },
    status: {
      replicas: (getPath(obj, paths.statusReplicasPath) as number | undefined) ?? 0,
      ...(selectorText !== undefined ? { selector: selectorText } : {}),
    },
  };
}

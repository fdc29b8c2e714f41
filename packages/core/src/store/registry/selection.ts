/**
 * Label and field selectors of list and watch requests, turned into the storage's
 * {@link SelectionPredicate} (upstream's `SelectionPredicate` with the kind's `GetAttrs`).
 *
 * @module
 */
import { badRequest } from '../../api/errors.js';
import { parseFieldSelector, unsupportedFields, type FieldSelector } from '../../api/fields.js';
import { everything, parseSelector, selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceDefinition } from '../../api/registry.js';
import type { SelectorInput } from '../../client/types.js';
import type { SelectionPredicate } from '../storage.js';

/** A label selector from a request; 400 BadRequest when it does not parse. */
export function toSelector(input: SelectorInput | undefined): Selector {
  if (input === undefined) return everything;
  if (typeof input === 'string') {
    try {
      return parseSelector(input);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
  }
  return selectorFromLabelSelector(input);
}

/**
 * A field selector from a request; 400 BadRequest when it does not parse or names a field the
 * kind does not support (`metadata.name`, `metadata.namespace` and its `fieldSelectors`).
 */
export function toFieldSelector(resource: ResourceDefinition, text: string | undefined): FieldSelector {
  let sel: FieldSelector;
  try {
    sel = parseFieldSelector(text ?? '');
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  const supported = ['metadata.name', 'metadata.namespace', ...Object.keys(resource.fieldSelectors ?? {})];
  const bad = unsupportedFields(sel, supported);
  if (bad.length > 0) throw badRequest(`field label not supported: ${bad[0]}`);
  return sel;
}

/** A field of an object as field selectors read it. */
export function fieldValue(resource: ResourceDefinition, obj: KubeObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata.name;
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  return resource.fieldSelectors?.[field]?.get(obj);
}

/**
 * The storage predicate of a request's selectors; `undefined` when they select everything (the
 * namespace goes into the storage prefix).
 */
export function predicateFor(
  resource: ResourceDefinition,
  labelSelector: SelectorInput | undefined,
  fieldSelector: string | undefined,
): SelectionPredicate | undefined {
  const labels = toSelector(labelSelector);
  const fields = toFieldSelector(resource, fieldSelector);
  if (labels === everything && fields.empty()) return undefined;
  return { labels, fields, field: (obj, f) => fieldValue(resource, obj, f) };
}

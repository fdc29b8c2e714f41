/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), what kubectl sends for
 * built-in kinds (`apply`, `set image`, `edit`, `label`): a JSON merge patch in which lists of
 * objects that upstream declares `patchStrategy: merge` are merged item by item on their
 * `patchMergeKey` (containers by `name`, container ports by `containerPort`...) instead of
 * replaced, with the `$patch`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and
 * `$retainKeys` directives.
 *
 * Caveat: merge keys are looked up by field name (core's `LIST_FIELDS`, from upstream's
 * `patchMergeKey` tags, the same table server-side apply and the served OpenAPI read), not by
 * the kind's full schema; a list not in the table is replaced as a whole, as upstream does for
 * lists without a patch strategy.
 *
 * @module
 */

import { listMapKeysOf, listMetaOf } from '@kubeloop/core';

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Thrown for a patch that is not a valid strategic merge patch (answered with 400). */
export class StrategicMergePatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrategicMergePatchError';
  }
}

/** The `patchMergeKey` of the list `field`: the first key of its list-map key tuple. */
function mergeKeyOf(field: string, items: readonly Json[]): string | undefined {
  return listMapKeysOf(field, items)?.[0];
}

function mergeList(field: string, original: Json, patch: readonly Json[], order: readonly Json[] | undefined): Json[] {
  const current = Array.isArray(original) ? original : [];
  if (listMetaOf(field).listType === 'set' && patch.every((p) => !isObject(p))) {
    return [...current, ...patch.filter((p) => !current.includes(p))];
  }
  const key = mergeKeyOf(field, [...patch, ...current]);
  if (key === undefined || !patch.every(isObject)) {
    if (patch.some((p) => isObject(p) && p.$patch !== undefined)) throw new StrategicMergePatchError(`$patch directives in ${field} need a merge key`);
    return [...patch];
  }
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace'));
  }
  const result: Json[] = [...current];
  for (const item of patch as JsonObject[]) {
    const id = item[key];
    const at = result.findIndex((r) => isObject(r) && r[key] === id);
    if (item.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
      continue;
    }
    if (item.$patch !== undefined && item.$patch !== 'merge') throw new StrategicMergePatchError(`unknown patch type: ${String(item.$patch)} in ${field}`);
    const { $patch: _ignored, ...body } = item;
    if (at >= 0) result[at] = strategicMerge(result[at], body);
    else result.push(strategicMerge(undefined, body));
  }
  if (order && order.every(isObject)) {
    // `$setElementOrder/<field>`: the listed items first, in that order, then the others.
    const rank = new Map(order.map((o, i) => [(o as JsonObject)[key], i]));
    const indexed = result.map((r, i) => ({ r, i, rank: isObject(r) ? rank.get(r[key]) : undefined }));
    indexed.sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER) || a.i - b.i);
    return indexed.map((x) => x.r);
  }
  return result;
}

/**
 * Applies a strategic merge patch to `original` and returns the result (neither is changed).
 *
 * Errors: {@link StrategicMergePatchError} for an unknown `$patch` value or a directive of the
 * wrong shape.
 *
 * @example
 * ```ts
 * strategicMerge({ containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] },
 *   { containers: [{ name: 'b', image: 'y:2' }] });
 * // { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }] }
 * ```
 */
export function strategicMerge(original: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return undefined;
  const result: JsonObject = isObject(original) ? { ...original } : {};
  const retain = patch.$retainKeys;
  for (const [field, value] of Object.entries(patch)) {
    if (field === '$patch' || field === '$retainKeys' || field.startsWith('$setElementOrder/')) continue;
    if (field.startsWith('$deleteFromPrimitiveList/')) {
      const list = field.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(value)) throw new StrategicMergePatchError(`${field} must be a list`);
      if (Array.isArray(result[list])) result[list] = (result[list] as Json[]).filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete result[field];
    } else if (Array.isArray(value)) {
      const order = patch[`$setElementOrder/${field}`];
      result[field] = mergeList(field, result[field], value, Array.isArray(order) ? order : undefined);
    } else if (isObject(value)) {
      const merged = strategicMerge(result[field], value);
      if (merged === undefined) delete result[field];
      else result[field] = merged;
    } else {
      result[field] = value;
    }
  }
  // `$setElementOrder/<field>` without the field itself reorders the current list.
  for (const [field, order] of Object.entries(patch)) {
    if (!field.startsWith('$setElementOrder/') || !Array.isArray(order)) continue;
    const list = field.slice('$setElementOrder/'.length);
    if (patch[list] === undefined && Array.isArray(result[list])) result[list] = mergeList(list, result[list], [], order);
  }
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new StrategicMergePatchError('$retainKeys must be a list');
    for (const field of Object.keys(result)) if (!retain.includes(field)) delete result[field];
  }
  return result;
}

/**
 * Patches as the API server applies them: RFC 7386 JSON merge patch and RFC 6902 JSON patch.
 * Both are pure: they return a new value and never modify their input (stored objects are
 * frozen).
 *
 * @module
 */
import { ApiError } from '../api/errors.js';
import type { JsonPatchOperation } from '../client/types.js';

/**
 * Applies an RFC 7386 merge patch: objects merge key by key, `null` deletes a key, anything
 * else (arrays included) replaces the target.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = applyMergePatch(base[key], value);
  }
  return base;
}

function decodePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw patchError(`invalid JSON pointer "${path}": must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function patchError(message: string): ApiError {
  return new ApiError('Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function copyContainer(value: unknown, path: string): Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return [...value];
  if (value !== null && typeof value === 'object') return { ...(value as Record<string, unknown>) };
  throw patchError(`path "${path}" does not exist`);
}

function arrayIndex(arr: unknown[], token: string, path: string, forInsert: boolean): number {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw patchError(`invalid array index "${token}" in "${path}"`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw patchError(`array index ${i} out of bounds in "${path}"`);
  return i;
}

/** Reads the value at a JSON pointer; throws when it does not exist. */
function read(doc: unknown, tokens: readonly string[], path: string): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, path, false)];
    else if (cur !== null && typeof cur === 'object' && t in (cur as object)) cur = (cur as Record<string, unknown>)[t];
    else throw patchError(`path "${path}" does not exist`);
  }
  return cur;
}

type Edit = 'add' | 'replace' | 'remove';

/** Returns a copy of `doc` with one edit at `tokens`, copying only along the path. */
function edit(doc: unknown, tokens: readonly string[], kind: Edit, value: unknown, path: string): unknown {
  if (tokens.length === 0) {
    if (kind === 'remove') throw patchError('cannot remove the whole document');
    return value;
  }
  const [head, ...rest] = tokens as [string, ...string[]];
  const container = copyContainer(doc, path);
  if (Array.isArray(container)) {
    if (rest.length > 0) {
      const i = arrayIndex(container, head, path, false);
      container[i] = edit(container[i], rest, kind, value, path);
    } else if (kind === 'add') {
      container.splice(arrayIndex(container, head, path, true), 0, value);
    } else {
      const i = arrayIndex(container, head, path, false);
      if (kind === 'remove') container.splice(i, 1);
      else container[i] = value;
    }
    return container;
  }
  if (rest.length > 0) {
    if (!(head in container)) throw patchError(`path "${path}" does not exist`);
    container[head] = edit(container[head], rest, kind, value, path);
  } else if (kind === 'add') {
    container[head] = value;
  } else {
    if (!(head in container)) throw patchError(`path "${path}" does not exist`);
    if (kind === 'remove') delete container[head];
    else container[head] = value;
  }
  return container;
}

/**
 * Applies an RFC 6902 JSON patch. All operations apply or none do (the input is never
 * modified).
 *
 * @throws {@link ApiError} `Invalid` when a path does not exist, an index is out of bounds or a
 * `test` operation fails.
 */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOperation[]): unknown {
  let cur = doc;
  for (const op of ops) {
    const tokens = decodePointer(op.path);
    switch (op.op) {
      case 'add':
      case 'replace':
        cur = edit(cur, tokens, op.op, structuredClone(op.value), op.path);
        break;
      case 'remove':
        cur = edit(cur, tokens, 'remove', undefined, op.path);
        break;
      case 'test': {
        const actual = read(cur, tokens, op.path);
        if (JSON.stringify(actual) !== JSON.stringify(op.value)) {
          throw patchError(`testing value at "${op.path}" failed`);
        }
        break;
      }
      case 'move':
      case 'copy': {
        const from = decodePointer(op.from);
        const value = read(cur, from, op.from);
        if (op.op === 'move') cur = edit(cur, from, 'remove', undefined, op.from);
        cur = edit(cur, tokens, 'add', structuredClone(value), op.path);
        break;
      }
      default:
        throw patchError(`unknown operation "${(op as { op: string }).op}"`);
    }
  }
  return cur;
}

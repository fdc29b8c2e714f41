/**
 * Collecting and checking the manifests a `kubeloop run` was given, before anything runs.
 *
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, ManifestError, createBuiltinRegistry, manifestLocation, parseManifests, resolveManifest, validateForCreate } from '@kubeloop/core';
import type { ResolvedManifest, ResourceRegistry } from '@kubeloop/core';

/** Why the command's input was rejected; the message names the file, object and field. */
export class InputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** The file names a directory contributes: its own `*.yaml`, `*.yml` and `*.json` files. */
export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** One manifest file, read and checked. */
export interface ManifestFile {
  /** The path as given or found in a given directory. */
  readonly path: string;
  /** Its text, as read. */
  readonly text: string;
  /** Its documents, each resolved to a served kind and decoded by that kind's schema. */
  readonly manifests: readonly ResolvedManifest[];
}

/** The part of the file system manifest collection reads (node:fs by default; tests may fake it). */
export interface ManifestFs {
  /** Whether `path` is a directory; throws when it does not exist. */
  isDirectory(path: string): boolean;
  /** The entry names of a directory. */
  readdir(path: string): readonly string[];
  /** The UTF-8 text of a file. */
  readFile(path: string): string;
}

/** {@link ManifestFs} over node:fs. */
export const nodeFs: ManifestFs = {
  isDirectory: (path) => statSync(path).isDirectory(),
  readdir: (path) => readdirSync(path),
  readFile: (path) => readFileSync(path, 'utf8'),
};

/**
 * The manifest files named by `paths`, in order: a file stands for itself; a directory for its
 * own files ending in one of {@link MANIFEST_EXTENSIONS}, sorted by name (not recursive, like
 * `kubectl apply -f dir`). A file named twice is kept once, at its first place.
 *
 * @throws {@link InputError} for a path that does not exist.
 */
export function collectManifestFiles(paths: readonly string[], fs: ManifestFs = nodeFs): string[] {
  const out: string[] = [];
  for (const path of paths) {
    let dir: boolean;
    try {
      dir = fs.isDirectory(path);
    } catch (e) {
      throw new InputError(`${path}: no such file or directory`, { cause: e });
    }
    const files = dir
      ? fs
          .readdir(path)
          .filter((name) => MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext)))
          .sort()
          .map((name) => join(path, name))
      : [path];
    for (const file of files) if (!out.includes(file)) out.push(file);
  }
  return out;
}

/**
 * Parses and checks the manifests of one text: each document must parse, name an `apiVersion`
 * and `kind` the simulated cluster serves (`registry`) and pass what the API server checks on
 * a create without reading its store (core's `validateForCreate`: the schema, `metadata` and
 * the kind's own validation), so that a bad document is reported before anything is applied.
 *
 * @throws {@link InputError} naming `source`, the document and object, and the field path and
 * reason (from core's `ManifestError`, or the kind's `Invalid` error).
 */
export function checkManifests(text: string, source: string, registry: ResourceRegistry): ResolvedManifest[] {
  try {
    return parseManifests(text, source).map((raw) => {
      const resolved = resolveManifest(registry, raw);
      try {
        validateForCreate(resolved.resource, resolved.object);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        throw new InputError(`${manifestLocation(resolved)}: ${e.message}`, { cause: e });
      }
      return resolved;
    });
  } catch (e) {
    if (e instanceof ManifestError) throw new InputError(e.message, { cause: e });
    throw e;
  }
}

/** Reads a file's text, or fails with an {@link InputError} naming it. */
export function readManifestFile(path: string, fs: ManifestFs = nodeFs): string {
  try {
    return fs.readFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read file`, { cause: e });
  }
}

/**
 * Reads and checks every file with {@link checkManifests}. Nothing is applied here; the caller
 * applies only when every file passed.
 *
 * @throws {@link InputError} for a file that cannot be read or holds a bad manifest.
 */
export function loadManifestFiles(files: readonly string[], fs: ManifestFs = nodeFs, registry: ResourceRegistry = createBuiltinRegistry()): ManifestFile[] {
  return files.map((path) => {
    const text = readManifestFile(path, fs);
    return { path, text, manifests: checkManifests(text, path, registry) };
  });
}

/**
 * Manifests: Kubernetes YAML or JSON text as `kubectl apply -f` reads it, turned into objects
 * and resolved to the registered resource that serves each one.
 *
 * @module
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './meta.js';
import type { ResourceDefinition, ResourceRegistry } from './registry.js';

/** Why a manifest could not be read or resolved. */
export type ManifestErrorCode = 'syntax' | 'not-an-object' | 'missing-field' | 'unknown-kind';

/**
 * A manifest that cannot be used, with where it came from.
 *
 * Guarantees: `message` names the source (file), the document index and, where known, the
 * object (`Pod "request-pod"`), e.g.
 * `pod-request-pod.yaml (document 1, Pod "request-pod"): apiVersion not set (found unknown field "piVersion")`.
 */
export class ManifestError extends Error {
  /** What went wrong. */
  readonly code: ManifestErrorCode;
  /** The file or label the text came from. */
  readonly source: string;
  /** 1-based index of the document in the file. */
  readonly document: number;

  constructor(code: ManifestErrorCode, source: string, document: number, what: string, detail: string) {
    super(`${source} (document ${document}${what ? `, ${what}` : ''}): ${detail}`);
    this.name = 'ManifestError';
    this.code = code;
    this.source = source;
    this.document = document;
  }
}

/** One document of a manifest file, not yet resolved. */
export interface RawManifest {
  /** The parsed document. */
  readonly body: Record<string, unknown>;
  /** The file or label it came from. */
  readonly source: string;
  /** 1-based document index within the source. */
  readonly document: number;
}

/**
 * Parses YAML or JSON text holding one or more documents (`---` separated). Empty documents
 * are skipped; a `kind: List` document contributes its `items`.
 *
 * @throws {@link ManifestError} `syntax` with the line of the first YAML error, or
 * `not-an-object` for a document that is not a mapping.
 */
export function parseManifests(text: string, source = '<input>'): RawManifest[] {
  const out: RawManifest[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const n = i + 1;
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new ManifestError('syntax', source, n, '', `invalid YAML${line ? ` at line ${line}` : ''}: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ManifestError('not-an-object', source, n, '', `expected an object, found ${Array.isArray(value) ? 'a list' : typeof value}`);
    }
    const body = value as Record<string, unknown>;
    if (body['kind'] === 'List' && Array.isArray(body['items'])) {
      for (const item of body['items'] as unknown[]) {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          throw new ManifestError('not-an-object', source, n, '', 'every item of a List must be an object');
        }
        out.push({ body: item as Record<string, unknown>, source, document: n });
      }
      return;
    }
    out.push({ body, source, document: n });
  });
  return out;
}

/** A manifest resolved to the resource that serves it. */
export interface ResolvedManifest {
  /** The resource definition serving the manifest's `apiVersion` and `kind`. */
  readonly resource: ResourceDefinition;
  /** The manifest body, as written (decoding and validation happen on write). */
  readonly object: KubeObject;
  /** The file or label it came from. */
  readonly source: string;
  /** 1-based document index within the source. */
  readonly document: number;
}

/**
 * Where a manifest's object comes from, as every error about it is prefixed:
 * `<source> (document <n>, <Kind> "<name>")`, the name being `metadata.name`, else
 * `metadata.generateName`, left out with its quotes when neither is set; e.g.
 * `web.yaml (document 2, Deployment "web")`. Errors found while checking a manifest and errors
 * the API server returns while applying it carry the same prefix, so a user finds the document
 * either way.
 */
export function manifestLocation(manifest: Pick<ResolvedManifest, 'source' | 'document' | 'object'>): string {
  const meta = manifest.object.metadata as { name?: string; generateName?: string } | undefined;
  const name = meta?.name || meta?.generateName || '';
  return `${manifest.source} (document ${manifest.document}, ${manifest.object.kind}${name ? ` "${name}"` : ''})`;
}

const TOP_LEVEL_HINT = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status', 'data', 'stringData', 'binaryData', 'type', 'items']);

/**
 * Finds the resource serving a manifest, as kubectl maps `apiVersion` + `kind` before sending.
 *
 * @throws {@link ManifestError} `missing-field` for a manifest without `apiVersion` or `kind`
 * (naming unknown top-level fields, which usually explain it: a typo such as `piVersion`), or
 * `unknown-kind` for a kind the registry does not serve
 * (`no matches for kind "Foo" in version "example.com/v1"`).
 */
export function resolveManifest(registry: ResourceRegistry, manifest: RawManifest): ResolvedManifest {
  const { body, source, document } = manifest;
  const apiVersion = body['apiVersion'];
  const kind = body['kind'];
  const meta = body['metadata'] as Record<string, unknown> | undefined;
  const name = typeof meta?.['name'] === 'string' ? meta['name'] : typeof meta?.['generateName'] === 'string' ? `${meta['generateName']}*` : '';
  const what = typeof kind === 'string' ? `${kind}${name ? ` "${name}"` : ''}` : name ? `"${name}"` : '';
  const missing = [typeof apiVersion === 'string' && apiVersion !== '' ? '' : 'apiVersion not set', typeof kind === 'string' && kind !== '' ? '' : 'kind not set'].filter(Boolean);
  if (missing.length > 0) {
    const unknown = Object.keys(body).filter((k) => !TOP_LEVEL_HINT.has(k));
    const hint = unknown.length > 0 ? ` (found unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')})` : '';
    throw new ManifestError('missing-field', source, document, what, `${missing.join(', ')}${hint}`);
  }
  const resource = registry.forKind(apiVersion as string, kind as string);
  if (!resource) {
    throw new ManifestError('unknown-kind', source, document, what, `no matches for kind "${String(kind)}" in version "${String(apiVersion)}"`);
  }
  return { resource, object: body as unknown as KubeObject, source, document };
}

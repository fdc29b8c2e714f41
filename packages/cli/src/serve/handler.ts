/**
 * The Kubernetes REST API over Node's `http` request/response pair, in front of core's
 * {@link Client}: authentication, routing, discovery, the verbs (get; list with
 * `limit`/`continue` and `resourceVersion`/`resourceVersionMatch` — see `listpaging.ts`; watch
 * with bookmarks; create, update, patch, delete, deletecollection; the status, scale, binding,
 * eviction and log subresources — see `log.ts`) and server-side Tables. Request bodies are
 * JSON, YAML or Kubernetes protobuf (`protobuf.ts`). It knows nothing of the store's internals:
 * everything goes through the `Client` interface, the resource registry and, for logs, a
 * {@link PodLogSource}.
 *
 * Guarantees: every failure is answered with a `metav1.Status` carrying upstream's code, reason
 * and message (core's `ApiError`); a request body over 3 MiB gets 413, malformed JSON 400, an
 * unknown path 404, a request without the bearer token 401; the handler never throws (an
 * unexpected error is a 500 Status) and a failed request changes nothing.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import YAML from 'yaml';
import { ApiError, RealClock, applyMergePatch, badRequest, isApiError, tooLargeResourceVersion, versionDocument } from '@kubeloop/core';
import type { Client, Clock, VersionInfo, DeleteOptions, Pod, WriteOptions, WarningSink, JsonPatchOperation, KubeObject, ObjectKey, Patch, PropagationPolicy, ResourceDefinition, ResourceRegistry, Scale, Status, WatchEvent } from '@kubeloop/core';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, OPENAPI_V2_PROTOBUF, openApiV2Protobuf, subresourcesOf } from './discovery.js';
import { openApiV2Document, openApiV3Document, openApiV3Index } from './openapi.js';
import type { AggregatedDiscoveryVersion, CreateOnlyResource } from './discovery.js';
import { checkPatchOptions, scaleWithManager, serverSideApply } from './apply.js';
import { advancePosition, formatLine, linesAfter, logContainer, parseLogQuery, renderLog } from './log.js';
import type { PodLogLine, PodLogSource } from './log.js';
import { ExpiredContinueError, ListPager, parseLimit } from './listpaging.js';
import type { ListQuery } from './listpaging.js';
import { KUBERNETES_PROTOBUF, ProtobufDecodeError, decodeKubernetesProtobuf } from './protobuf.js';
import { StrategicMergePatchError, strategicMerge } from './strategic.js';
import { toTable } from './table.js';
import { nodeProxy } from './node-proxy.js';
import { chooseProtocol, exitStatus, parseExecQuery, playExec, refuseUpgrade } from './exec.js';
import type { PodExecSource } from './exec.js';
import { ViewClient, versionView } from './versions.js';
import type { KubeletSource } from './node-proxy.js';
import type { IncludeObject } from './table.js';

/** The largest request body accepted, as kube-apiserver's limit: 3 MiB. */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** What `GET /version` answers: core's {@link VersionInfo} (re-exported here, where it used to live). */
export type { VersionInfo };

/** How an {@link ApiHandler} is built. */
export interface ApiHandlerOptions {
  /** Where requests go: the simulated cluster's API server, or any `Client`. */
  readonly client: Client;
  /** The kinds served (discovery and routing). */
  readonly registry: ResourceRegistry;
  /** The cluster's clock: Table ages are measured on it. */
  readonly clock: Clock;
  /**
   * The clock watch timeouts (`timeoutSeconds`) run on: the client's time, so the wall clock by
   * default (core's `RealClock`), whatever the speed of the cluster's clock.
   */
  readonly timeoutClock?: Clock | undefined;
  /** The bearer token every request but `/healthz`, `/livez` and `/readyz` must carry (unless a `gate` is given). */
  readonly token: string;
  /**
   * Authentication and authorization in the token's place (`serve/auth.ts`): called once per
   * request but the health checks, before routing, with a reader of the body. It answers the
   * request itself (a 401 or 403 Status, or an endpoint it serves) or returns `undefined` to let
   * the handler serve it; what it throws is answered as a Status.
   */
  readonly gate?: ((req: IncomingMessage, url: URL, readBody: () => Promise<unknown>) => Promise<{ readonly code: number; readonly body: unknown } | undefined>) | undefined;
  /**
   * The create-only resources the `gate` answers (`serve/auth.ts`'s `REVIEW_RESOURCES`), listed in
   * discovery beside the registry's kinds; the handler itself never serves them (default none).
   */
  readonly createOnly?: readonly CreateOnlyResource[] | undefined;
  /** What `/version` reports. */
  readonly version: VersionInfo;
  /** `host:port` reported in `/api`'s `serverAddressByClientCIDRs` (default `127.0.0.1`). */
  readonly serverAddress?: string | undefined;
  /** Where `pods/log` reads container logs (the fake kubelets); without it the subresource answers 404. */
  readonly logs?: PodLogSource | undefined;
  /** The kubelets behind `nodes/<node>/proxy/…` (see `node-proxy.ts`); without it the proxy answers 404. */
  readonly kubelets?: KubeletSource | undefined;
  /** Where `pods/exec` runs commands (the fake containers, see `exec.ts`); without it exec answers 404. */
  readonly exec?: PodExecSource | undefined;
}

/** A Status for a failure that has no core `ApiError` reason of its own (413, 415, 406). */
function rawStatus(code: number, reason: string, message: string): Status {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason: reason as Status['reason'], code };
}

/** Thrown inside the handler for failures outside core's reasons; turned into a Status. */
class HttpFailure extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

/** The parsed target of a resource request. */
interface Target {
  readonly def: ResourceDefinition;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** The client that speaks `def`: the cluster's, or a {@link ViewClient} for another served version. */
  readonly client: Client;
  /** An object as the table printer reads it (the stored form; the identity for a stored version). */
  readonly printable: (object: KubeObject) => KubeObject;
}

const asStored = (object: KubeObject): KubeObject => object;

/**
 * A protobuf request body as its JSON object ({@link decodeKubernetesProtobuf}): 400 when it is
 * malformed, 415 when it holds a kind or field kubeloop does not decode.
 */
function decodeProtobufBody(raw: Uint8Array): unknown {
  try {
    return decodeKubernetesProtobuf(raw);
  } catch (e) {
    if (!(e instanceof ProtobufDecodeError)) throw e;
    if (e.code === 'malformed') throw badRequest(e.message);
    throw new HttpFailure(rawStatus(415, 'UnsupportedMediaType', e.message));
  }
}

/**
 * `value` without its null-valued object keys, at any depth: Go decodes a JSON `null` into a
 * field as the field's zero value (and a CRD's structural schema prunes it), so
 * `creationTimestamp: null` — which kubectl sends — means "not set".
 */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== null) out[k] = dropNulls(v);
  return out;
}

/** Whether a strategic merge patch means the same as a JSON merge patch: no lists, no `$` directives. */
function strategicIsMerge(patch: unknown): boolean {
  if (Array.isArray(patch)) return false;
  if (patch === null || typeof patch !== 'object') return true;
  return Object.entries(patch as Record<string, unknown>).every(([k, v]) => !k.startsWith('$') && strategicIsMerge(v));
}

/** Whether a patch names the resourceVersion it applies to (then a conflict is the client's to resolve). */
function isPinned(patch: unknown): boolean {
  const metadata = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof metadata?.resourceVersion === 'string';
}

/** The media types of an `Accept` or `Content-Type` header, each with its parameters. */
function mediaTypes(header: string | undefined): { type: string; params: Record<string, string> }[] {
  return (header ?? '').split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

/** The list parameters of a query (`limit`, `continue`, `resourceVersion`, `resourceVersionMatch`). */
function listQuery(q: URLSearchParams): ListQuery {
  return { limit: parseLimit(q.get('limit')), continue: q.get('continue') ?? undefined, resourceVersion: q.get('resourceVersion') ?? undefined, resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined };
}

/** What a list reads, as the pager's scope: `?` marks a selection (then no `remainingItemCount`). */
function listScope(def: ResourceDefinition, s: { namespace: string | undefined; labelSelector: string | undefined; fieldSelector: string | undefined }): string {
  const base = `${def.group}/${def.plural}/${s.namespace ?? ''}`;
  return s.labelSelector === undefined && s.fieldSelector === undefined ? base : `${base}?${s.labelSelector ?? ''}&${s.fieldSelector ?? ''}`;
}

/** The field manager of a request that names none: its User-Agent up to the first `/` (`kubectl/v1.33.0 (...)` → `kubectl`), at most 128 characters. */
function managerFromUserAgent(userAgent: string | undefined): string | undefined {
  const prefix = (userAgent ?? '').split('/')[0]!.slice(0, 128);
  return prefix === '' ? undefined : prefix;
}

function queryBool(value: string | null): boolean {
  return value === 'true' || value === '1';
}

/**
 * The REST API handler. Build it with the cluster's client, registry and clock; pass
 * {@link ApiHandler.handle} to `http.createServer` or `https.createServer`.
 *
 * @example
 * ```ts
 * const api = new ApiHandler({ client: cluster.server, registry: cluster.server.registry, clock: cluster.clock, token, version });
 * const server = https.createServer({ cert, key }, api.handle);
 * ```
 */
export class ApiHandler {
  readonly #options: ApiHandlerOptions;
  readonly #token: Buffer;
  readonly #watches = new Set<() => void>();
  /**
   * The last watch event line encoded, with the (frozen, shared) object and the type it encodes:
   * the store hands one change to its watchers one after the other, so each watcher that sees it
   * with the same type sends this line instead of encoding the object again.
   */
  #lastLine: { readonly object: KubeObject; readonly type: string; readonly line: string } | undefined;
  readonly #timeoutClock: Clock;
  /** The snapshots of chunked lists, aged on the timeout (wall) clock as etcd compacts on wall time. */
  readonly #pager: ListPager;

  constructor(options: ApiHandlerOptions) {
    this.#options = options;
    this.#token = Buffer.from(options.token);
    this.#timeoutClock = options.timeoutClock ?? new RealClock();
    this.#pager = new ListPager({ clock: this.#timeoutClock });
  }

  /** How many watch streams are open now. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Ends every open watch stream (on shutdown); later requests are still served. */
  closeWatches(): void {
    for (const close of [...this.#watches]) close();
  }

  /** Answers one request. Never throws; every failure is answered with a Status. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#serve(req, res).catch((e: unknown) => this.#fail(res, e));
  };

  /**
   * Answers an upgrade request (pass it to the server's `upgrade` event): `pods/exec` over
   * WebSocket (see `serve/exec.ts`); anything else, or a failure, is refused with an HTTP response
   * carrying a Status. Never throws.
   */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex): void => {
    this.#upgrade(req, socket).catch((e: unknown) => {
      const status = this.#status(e);
      refuseUpgrade(socket, status.code, status);
    });
  };

  async #upgrade(req: IncomingMessage, socket: Duplex): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubeloop');
    if (this.#options.gate) {
      const reply = await this.#options.gate(req, url, () => Promise.resolve(undefined));
      if (reply) return refuseUpgrade(socket, reply.code, reply.body as object);
    } else if (!this.#authenticated(req)) {
      return refuseUpgrade(socket, 401, rawStatus(401, 'Unauthorized', 'Unauthorized'));
    }
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/([a-z]+)\/?$/.exec(url.pathname);
    const source = this.#options.exec;
    if (match === null || source === undefined) throw this.#notFound();
    let parts: string[];
    try {
      parts = match.slice(1).map(decodeURIComponent);
    } catch {
      throw badRequest(`malformed path: ${url.pathname}`);
    }
    const [namespace, name, subresource] = parts as [string, string, string];
    if (subresource !== 'exec') throw badRequest(`kubeloop serve does not serve pods/${subresource}; it serves pods/exec without stdin`);
    const query = parseExecQuery(url.searchParams);
    if (query.stdin || query.tty) throw badRequest('kubeloop serve runs exec without stdin or a TTY (leave out -i and -t): the fake container runs the command to its end at once');
    const protocol = chooseProtocol(req);
    if (protocol === undefined) throw badRequest('kubeloop serve speaks pods/exec over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io), as kubectl 1.30 and later do by default; not over SPDY');
    if (query.command.length === 0) throw badRequest('you must specify at least 1 command');
    const pods = this.#options.registry.forResource('pods') as ResourceDefinition<Pod>;
    const pod = await this.#options.client.get(pods, { namespace, name });
    const names = pod.spec.containers.map((c) => c.name);
    const container = query.container ?? (names.length === 1 ? names[0]! : undefined);
    if (container === undefined) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    const running = (pod.status?.containerStatuses ?? []).some((c) => c.name === container && c.state?.running !== undefined);
    if (!running) throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
    const result = source.exec(pod, container, query.command);
    const status = result.notFound
      ? rawStatus(500, 'InternalError', `Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${query.command[0]!}": executable file not found in $PATH: unknown`)
      : exitStatus(result.exitCode);
    playExec(req, socket, protocol, query, { output: result.output, status });
  }

  #authenticated(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return false;
    const given = Buffer.from(match[1]!);
    return given.length === this.#token.length && timingSafeEqual(given, this.#token);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubeloop');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource`);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    // --- authentication and authorization: one hook per request (serve/auth.ts) ---
    if (this.#options.gate) {
      const reply = await this.#options.gate(req, url, () => this.#body(req));
      if (reply) {
        req.resume();
        this.#send(res, reply.code, reply.body);
        return;
      }
    } else if (!this.#authenticated(req)) {
      req.resume();
      this.#send(res, 401, rawStatus(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    // --- end of authentication and authorization ---
    let segments: string[];
    try {
      segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw badRequest(`malformed path: ${path}`);
    }
    if (req.method === 'GET' && this.#discovery(req, res, segments)) return;
    const { registry } = this.#options;
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 3) [group, version, rest] = ['', segments[1]!, segments.slice(2)];
    else if (segments[0] === 'apis' && segments.length >= 4) [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    else throw this.#notFound();
    if (group === '' && version === 'v1' && rest[0] === 'nodes' && rest[2] === 'proxy' && rest[1] !== undefined && this.#options.kubelets) {
      const reply = nodeProxy(this.#options.kubelets, req.method ?? 'GET', rest[1], rest.slice(3));
      res.writeHead(reply.code, { 'Content-Type': reply.contentType, 'Content-Length': String(Buffer.byteLength(reply.body)) }).end(reply.body);
      return;
    }
    // The resource in the URL's version: its stored version, or another one it is served in.
    const served = (plural: string | undefined): Pick<Target, 'def' | 'client' | 'printable'> | undefined => {
      if (plural === undefined) return undefined;
      const def = registry.forResource(group === '' ? plural : `${plural}.${group}`);
      if (def === undefined) return undefined;
      if (def.version === version) return { def, client: this.#options.client, printable: asStored };
      const view = versionView(def, version);
      return view && { def: view.def, client: new ViewClient(this.#options.client, view), printable: view.toStored };
    };
    let target: Target;
    const namespaced = rest[0] === 'namespaces' && rest.length >= 3 ? served(rest[2]) : undefined;
    if (namespaced?.def.namespaced) {
      if (rest.length > 5) throw this.#notFound();
      target = { ...namespaced, namespace: rest[1], name: rest[3], subresource: rest[4] };
    } else {
      const found = served(rest[0]);
      // A namespaced object is only addressed inside its namespace (`/api/v1/pods` lists them all).
      if (!found || rest.length > 3 || (found.def.namespaced && rest.length > 1)) throw this.#notFound();
      target = { ...found, namespace: undefined, name: rest[1], subresource: rest[2] };
    }
    if (target.subresource !== undefined && !subresourcesOf(target.def).some((s) => s.name === target.subresource)) throw this.#notFound();
    await this.#resource(req, res, url, target);
  }

  #notFound(): HttpFailure {
    return new HttpFailure({ ...rawStatus(404, 'NotFound', 'the server could not find the requested resource'), details: { causes: [{ reason: 'UnexpectedServerResponse' as never, message: '404 page not found', field: '' }] } });
  }

  /** Serves `/version` and the discovery documents; false when `segments` is not one of them. */
  #discovery(req: IncomingMessage, res: ServerResponse, segments: string[]): boolean {
    const { registry } = this.#options;
    const createOnly = this.#options.createOnly ?? [];
    const key = segments.join('/');
    if (key === 'version') {
      const v = this.#options.version;
      this.#send(res, 200, versionDocument(v));
      return true;
    }
    if (key === 'api' || key === 'apis') {
      const aggregated = mediaTypes(req.headers.accept).find((m) => m.params.g === 'apidiscovery.k8s.io' && m.params.as === 'APIGroupDiscoveryList' && (m.params.v === 'v2' || m.params.v === 'v2beta1'));
      if (aggregated) {
        const v = aggregated.params.v as AggregatedDiscoveryVersion;
        this.#send(res, 200, aggregatedDiscovery(registry, key === 'api', v, createOnly), `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
      } else {
        this.#send(res, 200, key === 'api' ? apiVersions(this.#options.serverAddress ?? '127.0.0.1') : apiGroupList(registry, createOnly));
      }
      return true;
    }
    let doc: object | undefined;
    if (key === 'openapi/v2') {
      // JSON unless the client asks for gnostic's protobuf (kubectl does).
      if (!mediaTypes(req.headers.accept).some((m) => m.type.includes('protobuf'))) {
        this.#send(res, 200, openApiV2Document(registry));
        return true;
      }
      const body = openApiV2Protobuf(registry);
      res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': String(body.length) }).end(body);
      return true;
    }
    if (segments[0] === 'openapi' && segments[1] === 'v3') {
      const rest = segments.slice(2);
      if (rest.length === 0) doc = openApiV3Index(registry);
      else if (rest[0] === 'api' && rest.length === 2) doc = openApiV3Document(registry, '', rest[1]!);
      else if (rest[0] === 'apis' && rest.length === 3) doc = openApiV3Document(registry, rest[1]!, rest[2]!);
      if (doc === undefined) throw this.#notFound();
      this.#send(res, 200, doc);
      return true;
    }
    if (segments[0] === 'api' && segments.length === 2) doc = apiResourceList(registry, '', segments[1]!, createOnly);
    else if (segments[0] === 'apis' && segments.length === 2) doc = apiGroup(registry, segments[1]!, createOnly);
    else if (segments[0] === 'apis' && segments.length === 3) doc = apiResourceList(registry, segments[1]!, segments[2]!, createOnly);
    else return false;
    if (doc === undefined) throw this.#notFound();
    this.#send(res, 200, doc);
    return true;
  }

  async #resource(req: IncomingMessage, res: ServerResponse, url: URL, target: Target): Promise<void> {
    const { def, namespace, name, subresource, client, printable } = target;
    const q = url.searchParams;
    const key: ObjectKey | undefined = name === undefined ? undefined : { ...(namespace !== undefined ? { namespace } : {}), name };
    const dryRun = q.getAll('dryRun').includes('All');
    // As upstream: a write that names no field manager is recorded under its User-Agent's program name.
    const fieldManager = q.get('fieldManager') || managerFromUserAgent(req.headers['user-agent']);
    const warnings: string[] = [];
    const onWarning = (w: string): void => void warnings.push(w);
    const writeOptions = { dryRun, ...(fieldManager !== undefined ? { fieldManager } : {}), onWarning } as const;
    const fieldValidation = q.get('fieldValidation') ?? 'Warn';
    if (fieldValidation !== 'Strict' && fieldValidation !== 'Warn' && fieldValidation !== 'Ignore') {
      throw badRequest(`fieldValidation: Unsupported value: "${fieldValidation}": supported values: "Ignore", "Strict", "Warn"`);
    }
    /**
     * Runs a write under `fieldValidation`: `Strict` first runs it as a dry run and refuses it
     * with upstream's strict decoding error when the body had unknown or duplicate fields;
     * `Ignore` drops the warnings; `Warn` (the default) returns them as `Warning` headers.
     */
    const write = async <T>(run: (options: typeof writeOptions) => Promise<T>): Promise<T> => {
      if (fieldValidation === 'Strict') {
        const found: string[] = [];
        const checked = await run({ ...writeOptions, dryRun: true, onWarning: (w) => void found.push(w) });
        if (found.length > 0) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${found.join(', ')}`);
        if (dryRun) return checked;
      }
      const result = await run(writeOptions);
      if (fieldValidation === 'Ignore') warnings.length = 0;
      return result;
    };
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      if (key === undefined) {
        if (queryBool(q.get('watch'))) return this.#watch(req, res, target, q);
        const selection = { namespace, labelSelector: q.get('labelSelector') || undefined, fieldSelector: q.get('fieldSelector') || undefined };
        const query = listQuery(q);
        // At a revision (from the history window, as etcd reads at one) for `Exact`, and for upstream's
        // legacy case that means the same: a `limit` with a revision and no match.
        const rv = query.resourceVersion ?? '';
        const exact = rv !== '' && rv !== '0' && (query.resourceVersionMatch === 'Exact' || ((query.resourceVersionMatch ?? '') === '' && query.limit !== undefined && (query.continue ?? '') === ''));
        const page = await this.#pager.page(listScope(def, selection), query, () => client.list(def, exact ? { ...selection, resourceVersion: rv, resourceVersionMatch: 'Exact' } : selection));
        const table = this.#tableRequested(req, q);
        if (!table) return this.#send(res, 200, page);
        const rows = toTable(def.kind, page.items.map(printable), { nowMs: this.#options.clock.now(), resourceVersion: page.metadata.resourceVersion, include: table }) as { metadata: object };
        this.#send(res, 200, { ...rows, metadata: { ...page.metadata, ...rows.metadata } });
        return;
      }
      if (subresource === 'log') return this.#log(req, res, key, q);
      if (subresource === 'scale') return this.#send(res, 200, await client.getScale(def, key));
      if (subresource !== undefined && subresource !== 'status') throw this.#methodNotAllowed();
      const object = await client.get(def, key);
      // As upstream's watch cache serves a GET with a resourceVersion: the current object when it is at
      // least that new (`NotOlderThan`; a GET has no `Exact`), 504 for a revision the store has not reached.
      const asked = q.get('resourceVersion') ?? '';
      if (asked !== '' && asked !== '0') {
        if (!/^\d+$/.test(asked)) throw badRequest(`invalid resource version "${asked}"`);
        // Only a revision past the object's own needs the store's current one.
        if (Number(asked) <= Number(object.metadata.resourceVersion ?? '0')) return this.#sendObject(req, res, q, target, object);
        const current = (await client.list(def, { namespace, fieldSelector: `metadata.name=${key.name}` })).metadata.resourceVersion ?? '0';
        if (Number(asked) > Number(current)) throw tooLargeResourceVersion(asked, current);
      }
      return this.#sendObject(req, res, q, target, object);
    }
    if (method === 'POST') {
      const body = await this.#body(req);
      if (key === undefined) {
        const object = this.#objectBody(body, def, namespace, undefined);
        const created = await write((o) => client.create(def, object, o));
        return this.#send(res, 201, created, undefined, warnings);
      }
      if (subresource === 'binding') {
        const { target, metadata } = body as { target?: { name?: unknown }; metadata?: { uid?: unknown; resourceVersion?: unknown } };
        if (typeof target?.name !== 'string') throw badRequest('Binding.target.name: Required value');
        // As upstream's BindingREST: the Binding's uid and resourceVersion are preconditions on the pod.
        const uid = typeof metadata?.uid === 'string' && metadata.uid !== '' ? metadata.uid : undefined;
        const resourceVersion = typeof metadata?.resourceVersion === 'string' && metadata.resourceVersion !== '' ? metadata.resourceVersion : undefined;
        await client.bind(key, { name: target.name }, { preconditions: { ...(uid === undefined ? {} : { uid }), ...(resourceVersion === undefined ? {} : { resourceVersion }) } });
        return this.#send(res, 201, { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 });
      }
      if (subresource === 'eviction') {
        const options = this.#deleteOptions((body as { deleteOptions?: unknown }).deleteOptions ?? {}, q);
        await client.evict(key, options);
        return this.#send(res, 201, { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 });
      }
      throw this.#methodNotAllowed();
    }
    if (key === undefined) {
      if (method === 'DELETE' && subresource === undefined && (namespace !== undefined || !def.namespaced)) return this.#deleteCollection(req, res, target, q);
      throw this.#methodNotAllowed();
    }
    if (method === 'PUT') {
      const body = await this.#body(req);
      if (subresource === 'scale') return this.#send(res, 200, await scaleWithManager(client, this.#options.clock, def, key, body as Scale, fieldManager));
      const object = this.#objectBody(body, def, namespace, key.name);
      const updated = await write((o) => (subresource === 'status' ? client.updateStatus(def, object, o) : client.update(def, object, o)));
      return this.#send(res, 200, updated, undefined, warnings);
    }
    if (method === 'PATCH') {
      const contentType = mediaTypes(req.headers['content-type'])[0]?.type ?? '';
      const body = await this.#body(req);
      const apply = contentType === 'application/apply-patch+yaml';
      checkPatchOptions(apply, fieldManager, q.get('force'));
      if (apply && subresource !== 'scale') {
        const request = { def, key, body, fieldManager: q.get('fieldManager') ?? undefined, force: queryBool(q.get('force')), subresource: subresource === 'status' ? ('status' as const) : undefined };
        const outcome = await serverSideApply(client, this.#options.clock, write, request);
        return this.#send(res, outcome.created ? 201 : 200, outcome.object, undefined, warnings);
      }
      let patch: Patch;
      if (contentType === 'application/json-patch+json') {
        if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
        // A null inside an added value is the field's zero value once decoded (kubectl's
        // `rollout undo` replaces the template with one carrying `creationTimestamp: null`).
        patch = { type: 'json', body: (body as JsonPatchOperation[]).map((op) => (op !== null && typeof op === 'object' && 'value' in op && op.value !== null && typeof op.value === 'object' ? { ...op, value: dropNulls(op.value) } : op)) };
      } else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of a merge patch must be a JSON object');
        if (contentType === 'application/strategic-merge-patch+json' && !strategicIsMerge(body) && subresource !== 'scale') {
          return this.#send(res, 200, await this.#strategicPatch(client, def, key, body, subresource === 'status', write), undefined, warnings);
        }
        patch = { type: 'merge', body: body as Record<string, unknown> };
      } else {
        throw new HttpFailure(rawStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`));
      }
      if (subresource === 'scale') {
        if (patch.type !== 'merge') throw new HttpFailure(rawStatus(415, 'UnsupportedMediaType', 'the scale subresource accepts merge patches only'));
        const scale = await client.getScale(def, key);
        return this.#send(res, 200, await scaleWithManager(client, this.#options.clock, def, key, applyMergePatch(scale, patch.body) as Scale, fieldManager));
      }
      const patched = await write((o) => client.patch(def, key, patch, { ...o, ...(subresource === 'status' ? { subresource: 'status' as const } : {}) }));
      return this.#send(res, 200, patched, undefined, warnings);
    }
    if (method === 'DELETE') {
      if (subresource !== undefined) throw this.#methodNotAllowed();
      const body = await this.#body(req, true);
      const deleted = await client.delete(def, key, this.#deleteOptions(body ?? {}, q));
      if (deleted.metadata.deletionTimestamp !== undefined) return this.#send(res, 200, deleted);
      this.#send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: key.name, group: def.group, kind: def.plural, uid: deleted.metadata.uid } });
      return;
    }
    throw this.#methodNotAllowed();
  }

  /**
   * `DELETE` on a collection (upstream's `deletecollection`): lists with the request's label
   * and field selectors, deletes each object with the body's DeleteOptions, and answers the list
   * of what was deleted (objects that stay, with finalizers or a grace period, as they are now).
   * An object already gone meanwhile is skipped; any other failure stops and is the answer.
   */
  async #deleteCollection(req: IncomingMessage, res: ServerResponse, { def, namespace, client }: Target, q: URLSearchParams): Promise<void> {
    const options = this.#deleteOptions((await this.#body(req, true)) ?? {}, q);
    const list = await client.list(def, { namespace, labelSelector: q.get('labelSelector') || undefined, fieldSelector: q.get('fieldSelector') || undefined });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      const key: ObjectKey = { ...(item.metadata.namespace !== undefined ? { namespace: item.metadata.namespace } : {}), name: item.metadata.name ?? '' };
      try {
        deleted.push(await client.delete(def, key, options));
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
      }
    }
    this.#send(res, 200, { apiVersion: list.apiVersion, kind: list.kind, metadata: { resourceVersion: list.metadata.resourceVersion }, items: deleted });
  }

  /**
   * A strategic merge patch with lists or directives: read the object, merge the patch into it
   * ({@link strategicMerge}), write it back as an update at the read revision; on a conflict
   * (someone wrote in between) read and merge again, as upstream's patch handler does, unless
   * the patch itself pins a resourceVersion.
   */
  async #strategicPatch(client: Client, def: ResourceDefinition, key: ObjectKey, body: unknown, status: boolean, write: <T>(run: (options: WriteOptions & WarningSink) => Promise<T>) => Promise<T>): Promise<KubeObject> {
    const pinned = isPinned(body);
    for (let attempt = 0; ; attempt++) {
      const current = await client.get(def, key);
      let next: unknown;
      try {
        next = strategicMerge(current, body);
      } catch (e) {
        if (e instanceof StrategicMergePatchError) throw badRequest(e.message);
        throw e;
      }
      if (next === null || typeof next !== 'object' || Array.isArray(next)) throw badRequest('the patch deleted the whole object');
      const object = next as KubeObject;
      try {
        return await write((o) => (status ? client.updateStatus(def, object, o) : client.update(def, object, o)));
      } catch (e) {
        if (isApiError(e, 'Conflict') && !pinned && attempt < 5) continue;
        throw e;
      }
    }
  }

  #methodNotAllowed(): ApiError {
    return new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  /** The Table request of `Accept`, if any: what each row should carry. */
  /** One object, as a Table when one is asked for. */
  #sendObject(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, { def, printable }: Target, object: KubeObject): void {
    const table = this.#tableRequested(req, q);
    this.#send(res, 200, table ? toTable(def.kind, [printable(object)], { nowMs: this.#options.clock.now(), resourceVersion: object.metadata.resourceVersion, include: table }) : object);
  }

  #tableRequested(req: IncomingMessage, q: URLSearchParams): IncludeObject | undefined {
    const wants = mediaTypes(req.headers.accept).some((m) => m.params.as === 'Table' && m.params.g === 'meta.k8s.io' && (m.params.v === 'v1' || m.params.v === 'v1beta1'));
    if (!wants) return undefined;
    const include = q.get('includeObject');
    return include === 'None' || include === 'Object' ? include : 'Metadata';
  }

  /** DeleteOptions from the body and the query (`propagationPolicy`, `gracePeriodSeconds`, `dryRun`, `preconditions`). */
  #deleteOptions(body: unknown, q: URLSearchParams): DeleteOptions {
    const b = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const policy = (b.propagationPolicy ?? q.get('propagationPolicy') ?? undefined) as string | undefined;
    if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw new ApiError('BadRequest', `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    const orphan = b.orphanDependents ?? (q.has('orphanDependents') ? queryBool(q.get('orphanDependents')) : undefined);
    const graceRaw = b.gracePeriodSeconds ?? q.get('gracePeriodSeconds') ?? undefined;
    // A number in the body, decimal digits in the query (`Number(" ")` would read a blank as 0).
    const wellFormed = b.gracePeriodSeconds !== undefined ? typeof graceRaw === 'number' && Number.isInteger(graceRaw) : typeof graceRaw === 'string' && /^-?\d+$/.test(graceRaw);
    if (graceRaw !== undefined && !wellFormed) throw badRequest(`gracePeriodSeconds: Invalid value: ${JSON.stringify(graceRaw)}: must be an integer`);
    const grace = graceRaw === undefined ? undefined : Number(graceRaw);
    const dryRun = (Array.isArray(b.dryRun) && b.dryRun.includes('All')) || q.getAll('dryRun').includes('All');
    const pre = b.preconditions as { uid?: unknown; resourceVersion?: unknown } | undefined;
    const preconditions = pre && typeof pre === 'object' ? { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) } : undefined;
    const propagationPolicy: PropagationPolicy | undefined = (policy as PropagationPolicy | undefined) ?? (orphan === true ? 'Orphan' : orphan === false ? 'Background' : undefined);
    return { ...(propagationPolicy ? { propagationPolicy } : {}), ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}), ...(preconditions ? { preconditions } : {}), ...(dryRun ? { dryRun } : {}) };
  }

  /**
   * The body of a create or update as an object of `def`: kind and apiVersion must match (they
   * are filled in when absent), the namespace must be the URL's (filled in when absent), and an
   * update's name must be the URL's.
   */
  #objectBody(body: unknown, def: ResourceDefinition, namespace: string | undefined, name: string | undefined): Record<string, unknown> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
    const object = dropNulls(body) as Record<string, unknown>;
    const kind = object.kind ?? def.kind;
    const apiVersion = object.apiVersion ?? def.apiVersion;
    if (kind !== def.kind || (apiVersion !== def.apiVersion && !Object.keys(def.conversions ?? {}).includes(String(apiVersion)))) {
      throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${def.apiVersion})`);
    }
    const meta = object.metadata;
    if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) throw badRequest('metadata: must be an object');
    const metadata = { ...((meta as Record<string, unknown> | undefined) ?? {}) };
    if (namespace !== undefined) {
      if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      metadata.namespace = namespace;
    }
    if (name !== undefined && metadata.name !== name) {
      throw badRequest(`the name of the object (${String(metadata.name ?? '')}) does not match the name on the URL (${name})`);
    }
    return { ...object, apiVersion, kind, metadata };
  }

  /**
   * Reads the request body, at most {@link MAX_REQUEST_BODY_BYTES}, as JSON (or YAML with a YAML
   * content type). Fails with 413 beyond the limit and 400 for a malformed body; an empty body
   * is `undefined` when `optional`, else a 400.
   */
  async #body(req: IncomingMessage, optional = false): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): HttpFailure => new HttpFailure(rawStatus(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_REQUEST_BODY_BYTES}`));
    if (declared > MAX_REQUEST_BODY_BYTES) {
      req.resume();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_REQUEST_BODY_BYTES) over = true; // keep draining, keep nothing
      else chunks.push(buffer);
    }
    if (over) throw tooLarge();
    const raw = Buffer.concat(chunks);
    const type = mediaTypes(req.headers['content-type'])[0]?.type ?? '';
    if (type === KUBERNETES_PROTOBUF && raw.length > 0) return decodeProtobufBody(raw);
    const text = raw.toString('utf8');
    if (text.trim() === '') {
      if (optional) return undefined;
      throw badRequest('the request body is empty');
    }
    if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && !/^application\/[a-z-]+\+(json|yaml)$/.test(type)) {
      throw new HttpFailure(rawStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`));
    }
    try {
      return type === 'application/yaml' || type === 'application/apply-patch+yaml' ? YAML.parse(text) : JSON.parse(text);
    } catch (e) {
      throw badRequest(`the request body is not valid ${type.includes('yaml') ? 'YAML' : 'JSON'}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * `?watch=1`: a chunked stream of `{"type","object"}` lines, Table rows when a Table is
   * asked for; an `ERROR` event with the Status (410 `Expired` for a resourceVersion that left
   * the history window) ends it. Ends after `timeoutSeconds` (on the timeout clock), when the client
   * goes away, or on {@link ApiHandler.closeWatches}.
   */
  #watch(req: IncomingMessage, res: ServerResponse, { def, namespace, client, printable }: Target, q: URLSearchParams): void {
    const table = this.#tableRequested(req, q);
    const { clock } = this.#options;
    const resourceVersion = q.get('resourceVersion') || undefined;
    // As upstream parses it before the stream starts: a malformed revision is a 400, not an ERROR event.
    if (resourceVersion !== undefined && !/^\d+$/.test(resourceVersion)) throw badRequest(`invalid resource version "${resourceVersion}"`);
    const events = client.watch(def, {
      namespace,
      labelSelector: q.get('labelSelector') || undefined,
      fieldSelector: q.get('fieldSelector') || undefined,
      resourceVersion,
      allowWatchBookmarks: queryBool(q.get('allowWatchBookmarks')),
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let first = true;
    // Set once subscribed; a watch that fails at once ends before `subscribe` returns.
    const watch: { subscription?: { unsubscribe(): void } } = {};
    let ended = false;
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? NaN);
    const timer = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? this.#timeoutClock.setTimer(timeoutSeconds * 1000, () => end()) : undefined;
    // The lines of one turn (a burst of writes fans out within one) go out as one chunk: one
    // write, and one chunk frame, per watcher and turn instead of one per event.
    let pending = '';
    const flush = (): void => {
      const chunk = pending;
      pending = '';
      if (chunk !== '' && !res.destroyed) res.write(chunk);
    };
    const send = (line: string): void => {
      if (ended) return;
      if (pending === '') process.nextTick(flush);
      pending += line;
    };
    const end = (): void => {
      if (ended) return;
      flush();
      ended = true;
      this.#watches.delete(end);
      timer?.cancel();
      watch.subscription?.unsubscribe();
      res.end();
    };
    this.#watches.add(end);
    const write = (event: object): void => send(`${JSON.stringify(event)}\n`);
    res.on('close', end);
    watch.subscription = events.subscribe({
      next: (event: WatchEvent<KubeObject>) => {
        if (event.type === 'BOOKMARK') {
          write({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: def.apiVersion, metadata: event.object.metadata } });
          return;
        }
        if (!table) {
          const last = this.#lastLine;
          if (last !== undefined && last.object === event.object && last.type === event.type) return send(last.line);
          const line = `${JSON.stringify(event)}\n`;
          // Only a frozen object is known not to change under the line.
          this.#lastLine = Object.isFrozen(event.object) ? { object: event.object, type: event.type, line } : undefined;
          send(line);
          return;
        }
        write({ type: event.type, object: toTable(def.kind, [printable(event.object)], { nowMs: clock.now(), resourceVersion: event.object.metadata.resourceVersion, include: table, noHeaders: !first }) });
        first = false;
      },
      error: (e: unknown) => {
        write({ type: 'ERROR', object: this.#status(e) });
        end();
      },
      complete: end,
    });
    if (ended) watch.subscription.unsubscribe();
  }

  /**
   * `GET pods/{name}/log`: the container's lines as `text/plain` ({@link renderLog}); with
   * `follow`, a chunked stream that sends new lines as the container writes them (polled once a
   * second on the cluster's clock) and ends when the container has terminated, the pod is gone,
   * the client leaves, or on {@link ApiHandler.closeWatches}. A pod not yet on a node answers
   * an empty body, as upstream.
   */
  async #log(req: IncomingMessage, res: ServerResponse, key: ObjectKey, q: URLSearchParams): Promise<void> {
    const source = this.#options.logs;
    if (source === undefined) throw this.#notFound();
    const query = parseLogQuery(q);
    const pods = this.#options.registry.forResource('pods') as ResourceDefinition<Pod>;
    const pod = await this.#options.client.get(pods, key);
    const container = logContainer(pod, query.container);
    const headers = { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' };
    if (pod.spec.nodeName === undefined || pod.spec.nodeName === '') {
      res.writeHead(200, { ...headers, 'Content-Length': '0' }).end();
      return;
    }
    const read = (p: Pod): readonly PodLogLine[] => {
      try {
        return source.logs(p, container, { previous: query.previous });
      } catch (e) {
        throw badRequest(e instanceof Error ? e.message : String(e));
      }
    };
    const { clock } = this.#options;
    const lines = read(pod);
    const text = renderLog(lines, query, clock.now());
    if (!query.follow || query.previous) {
      res.writeHead(200, { ...headers, 'Content-Length': String(Buffer.byteLength(text)) }).end(text);
      return;
    }
    res.writeHead(200, { ...headers, 'Transfer-Encoding': 'chunked' });
    res.write(text);
    let budget = query.limitBytes === undefined ? Infinity : query.limitBytes - Buffer.byteLength(text);
    // Where the stream is: after the last line of the log as read (tail and since only cut the first batch).
    let position = advancePosition(undefined, lines);
    let ended = false;
    let timer: { cancel(): void } | undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.#watches.delete(end);
      timer?.cancel();
      res.end();
    };
    this.#watches.add(end);
    res.on('close', end);
    const poll = async (): Promise<void> => {
      if (ended) return;
      let current: Pod;
      let fresh: readonly PodLogLine[] = [];
      try {
        current = await this.#options.client.get(pods, key);
        fresh = linesAfter(read(current), position);
      } catch {
        return end();
      }
      position = advancePosition(position, fresh);
      const chunk = fresh.map((l) => formatLine(l, query.timestamps)).join('');
      if (chunk !== '' && budget > 0) {
        const bytes = Buffer.from(chunk).subarray(0, budget);
        budget -= bytes.length;
        res.write(bytes);
      }
      const status = [...(current.status?.containerStatuses ?? []), ...(current.status?.initContainerStatuses ?? [])].find((s) => s.name === container);
      if (budget <= 0 || status?.state?.terminated !== undefined || current.metadata.uid !== pod.metadata.uid) return end();
      if (!ended) timer = clock.setTimer(1000, () => void poll());
    };
    timer = clock.setTimer(1000, () => void poll());
  }

  /** `e` as the Status a client receives. */
  #status(e: unknown): Status {
    if (e instanceof HttpFailure) return e.status;
    if (e instanceof ExpiredContinueError) return { ...e.toStatus(), ...({ metadata: { continue: e.continueToken } } as object) };
    if (isApiError(e)) return e.toStatus();
    return rawStatus(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`);
  }

  #fail(res: ServerResponse, e: unknown): void {
    const status = this.#status(e);
    if (res.headersSent) {
      res.end();
      return;
    }
    this.#send(res, status.code, status);
  }

  #send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', warnings: readonly string[] = []): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | string[]> = { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-cache, private' };
    if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`);
    res.writeHead(code, headers).end(text);
  }
}

/**
 * `HttpClient`: core's {@link Client} over the Kubernetes REST API, so that a controller written
 * against `Client` runs unchanged in-process, against `kubeloop serve` and against a real
 * cluster. It speaks plain JSON over Node's `http`/`https` modules (no generated client):
 *
 * - each verb is one request to the resource's URL (`/api/v1/namespaces/{ns}/pods/{name}`,
 *   `/apis/{group}/{version}/…`), subresources as path suffixes (`/status`, `/scale`,
 *   `/binding`, `/eviction`);
 * - a failed request rejects with core's {@link ApiError}, rebuilt from the server's
 *   `metav1.Status` (reason, code, message, details), so controller code switches on the same
 *   reasons as in-process;
 * - a watch is one chunked response of JSON lines; its `ERROR` event (410 `Expired` when the
 *   revision left the server's window) errors the observable, the end of the response completes
 *   it. Reconnecting from the last revision and relisting on 410 is the informer's watcher's job
 *   (`informer/watcher.ts`), exactly as with the in-process server;
 * - every request (watches included) first takes a token from a client-side
 *   {@link TokenBucket} (client-go's QPS 5 / burst 10 by default), on the injected clock.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Observable } from 'rxjs';
import { ApiError, codeOf } from '../../api/errors.js';
import type { ApiErrorDetails, StatusCause, StatusReason } from '../../api/errors.js';
import type { KubeObject, ObjectKey, ObjectList } from '../../api/meta.js';
import type { ResourceDefinition } from '../../api/registry.js';
import { toSelectorString } from '../../api/labels.js';
import type { Clock } from '../../clock/clock.js';
import type { WarningSink } from '../../store/registry/store.js';
import { deepFreeze } from '../../util/objects.js';
import type { BindOptions, BindingTarget, Client, DeleteOptions, ListOptions, Patch, PatchOptions, Scale, WatchEvent, WatchOptions, WriteOptions } from '../types.js';
import type { ClusterConnection, ReadTextFile } from './config.js';
import { DEFAULT_BURST, DEFAULT_QPS, TokenBucket } from './rate-limit.js';

/** How an {@link HttpClient} is built. */
export interface HttpClientOptions {
  /** Where the API server is and how to authenticate (see `loadKubeconfig`, `inClusterConfig`). */
  readonly connection: ClusterConnection;
  /** The clock rate limiting and token-file refreshes run on (production: `RealClock`). */
  readonly clock: Clock;
  /** Requests per second, sustained (default 5, client-go's); ≤ 0 or `Infinity` disables the limit. */
  readonly qps?: number | undefined;
  /** Requests allowed at once above the sustained rate (default 10, client-go's). */
  readonly burst?: number | undefined;
  /** The `User-Agent` header (default `kubeloop/<node version>`). */
  readonly userAgent?: string | undefined;
  /**
   * `timeoutSeconds` sent with every watch (default 300): the server ends the watch after it
   * and the watcher re-watches from the last revision, so a silently dead connection is noticed
   * (client-go's reflector asks for 5–10 minutes). 0 sends none.
   */
  readonly watchTimeoutSeconds?: number | undefined;
  /** How often a `tokenFile` is read again, in ms (default 60 000, client-go's cached file token source). */
  readonly tokenFileRefreshMs?: number | undefined;
  /** How the token file is read (default: synchronously from disk). */
  readonly readFile?: ReadTextFile | undefined;
}

const REASONS = new Set<StatusReason>(['BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'AlreadyExists', 'Conflict', 'Gone', 'Expired', 'Invalid', 'MethodNotAllowed', 'TooManyRequests', 'InternalError', 'ServiceUnavailable', 'Timeout']);

/** The reason client-go's `errors.FromObject`/`reasonForError` would give a bare HTTP code. */
function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return code >= 500 ? 'InternalError' : 'BadRequest';
  }
}

/**
 * The {@link ApiError} a response with HTTP `code` and body `body` stands for: the body's
 * `metav1.Status` when it is one — its `reason` (when core knows it, else the one its code
 * implies, e.g. 413 `RequestEntityTooLarge` → `BadRequest`), `message` and `details` (name,
 * group, kind, causes, retryAfterSeconds) — else client-go's generic
 * `the server responded with the status code N but did not return more information`.
 */
export function apiErrorFromResponse(code: number, body: unknown): ApiError {
  const status = body !== null && typeof body === 'object' && (body as { kind?: unknown }).kind === 'Status' ? (body as Record<string, unknown>) : undefined;
  const statusCode = typeof status?.['code'] === 'number' ? status['code'] : code;
  const given = status?.['reason'];
  const reason = typeof given === 'string' && REASONS.has(given as StatusReason) && codeOf(given as StatusReason) === statusCode ? (given as StatusReason) : reasonForCode(statusCode);
  const message = typeof status?.['message'] === 'string' && status['message'] !== '' ? status['message'] : `the server responded with the status code ${statusCode} but did not return more information`;
  const d = status?.['details'];
  const details: { -readonly [K in keyof ApiErrorDetails]: ApiErrorDetails[K] } = {};
  if (d !== null && typeof d === 'object') {
    const r = d as Record<string, unknown>;
    if (typeof r['name'] === 'string') details.name = r['name'];
    if (typeof r['group'] === 'string') details.group = r['group'];
    if (typeof r['kind'] === 'string') details.kind = r['kind'];
    if (Array.isArray(r['causes'])) details.causes = r['causes'] as StatusCause[];
    if (typeof r['retryAfterSeconds'] === 'number') details.retryAfterSeconds = r['retryAfterSeconds'];
  }
  return new ApiError(reason, message, details);
}

/** The warnings of `Warning: 299 - "text"` headers (RFC 7234, as kube-apiserver sends them). */
function warningsOf(header: string | string[] | undefined): string[] {
  const out: string[] = [];
  for (const line of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    // One header may carry several comma-separated warnings (and Node joins repeated headers so).
    for (const m of line.matchAll(/(?:^|,)\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"(?:\s+"[^"]*")?/g)) out.push(m[1]!.replace(/\\(.)/g, '$1'));
  }
  return out;
}

/** The object with `apiVersion` and `kind` filled in from the resource (list items come without them). */
function typed<T extends KubeObject>(def: ResourceDefinition<T>, object: unknown): T {
  const o = object as KubeObject;
  if (o !== null && typeof o === 'object' && (o.apiVersion === undefined || o.kind === undefined)) {
    return { ...o, apiVersion: o.apiVersion ?? def.apiVersion, kind: o.kind ?? def.kind } as T;
  }
  return o as T;
}

function selectorQuery(options: ListOptions): Record<string, string | undefined> {
  const { labelSelector, fieldSelector } = options;
  return {
    labelSelector: labelSelector === undefined ? undefined : typeof labelSelector === 'string' ? labelSelector : toSelectorString(labelSelector),
    fieldSelector,
  };
}

/** A response read to the end. */
interface Response {
  readonly code: number;
  readonly body: unknown;
}

/**
 * The typed client over HTTP. Build it from a {@link ClusterConnection}.
 *
 * Guarantees: everything {@link Client} promises — objects returned are deeply frozen; every
 * failure is an {@link ApiError} (an HTTP failure carries the server's Status; a connection or
 * TLS failure is `ServiceUnavailable` with the socket error as `cause`); TLS certificates are
 * verified unless the connection says `insecureSkipTlsVerify`. Requests pass the rate limiter in
 * the order they are made.
 *
 * Caveats: `delete` of an object that is removed at once returns what the server's `Status`
 * says of it (apiVersion, kind, name, namespace, uid), as kube-apiserver does not return the
 * removed object; `watch` completes when the server ends the stream (after
 * `watchTimeoutSeconds`, or on shutdown) — the informer re-watches. Call {@link HttpClient.close}
 * to end open watches and free the connection pool.
 *
 * @example
 * ```ts
 * const client = new HttpClient({ connection: loadKubeconfig(), clock: new RealClock() });
 * const manager = createManager({ client, clock, rng, registry });
 * ```
 */
export class HttpClient implements Client {
  /** The connection in use. */
  readonly connection: ClusterConnection;
  readonly #clock: Clock;
  readonly #limiter: TokenBucket;
  readonly #base: URL;
  readonly #agent: HttpAgent;
  readonly #send: typeof httpRequest;
  readonly #userAgent: string;
  readonly #watchTimeoutSeconds: number;
  readonly #tokenRefreshMs: number;
  readonly #readFile: ReadTextFile;
  #token: { value: string | undefined; readAt: number } | undefined;
  readonly #open = new Set<() => void>();
  #closed = false;

  constructor(options: HttpClientOptions) {
    const { connection } = options;
    this.connection = connection;
    this.#clock = options.clock;
    this.#limiter = new TokenBucket(options.clock, options.qps ?? DEFAULT_QPS, options.burst ?? DEFAULT_BURST);
    this.#base = new URL(connection.server);
    if (this.#base.protocol === 'https:') {
      this.#agent = new HttpsAgent({
        keepAlive: true,
        ...(connection.certificateAuthority !== undefined ? { ca: connection.certificateAuthority } : {}),
        ...(connection.clientCertificate !== undefined ? { cert: connection.clientCertificate, key: connection.clientKey } : {}),
        ...(connection.tlsServerName !== undefined ? { servername: connection.tlsServerName } : {}),
        rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
      });
      this.#send = httpsRequest;
    } else if (this.#base.protocol === 'http:') {
      this.#agent = new HttpAgent({ keepAlive: true });
      this.#send = httpRequest;
    } else {
      throw new RangeError(`server must be an http or https URL, got ${connection.server}`);
    }
    this.#userAgent = options.userAgent ?? `kubeloop/${process.versions.node}`;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.#tokenRefreshMs = options.tokenFileRefreshMs ?? 60_000;
    this.#readFile = options.readFile ?? ((p) => readFileSync(p, 'utf8'));
  }

  /** How many watch streams are open now. */
  get openWatches(): number {
    return this.#open.size;
  }

  /** Ends open watches (they complete) and closes pooled connections. Later calls fail with `ServiceUnavailable`. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const end of [...this.#open]) end();
    this.#agent.destroy();
  }

  // -------------------------------------------------------------------------------------------
  // The verbs
  // -------------------------------------------------------------------------------------------

  async get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    const { body } = await this.#call('GET', this.#path(resource, key.namespace, key.name));
    return deepFreeze(typed(resource, body));
  }

  async list<T extends KubeObject>(resource: ResourceDefinition<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const { body } = await this.#call('GET', this.#path(resource, options.namespace), { ...selectorQuery(options), resourceVersion: options.resourceVersion, resourceVersionMatch: options.resourceVersionMatch });
    const list = body as { metadata?: ObjectList<T>['metadata']; items?: unknown[] | null };
    return deepFreeze({
      apiVersion: resource.apiVersion,
      kind: resource.listKind,
      metadata: list.metadata ?? { resourceVersion: '' },
      items: (list.items ?? []).map((item) => typed(resource, item)),
    });
  }

  watch<T extends KubeObject>(resource: ResourceDefinition<T>, options: WatchOptions = {}): Observable<WatchEvent<T>> {
    return new Observable<WatchEvent<T>>((subscriber) => {
      const abort = new AbortController();
      let response: IncomingMessage | undefined;
      const end = (): void => {
        this.#open.delete(end);
        abort.abort();
        response?.destroy();
        subscriber.complete();
      };
      this.#open.add(end);
      const query = {
        watch: 'true',
        ...selectorQuery(options),
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: this.#watchTimeoutSeconds > 0 ? String(this.#watchTimeoutSeconds) : undefined,
      };
      const fail = (e: unknown): void => {
        this.#open.delete(end);
        subscriber.error(e);
      };
      this.#open$('GET', this.#path(resource, options.namespace), query, undefined, undefined, abort.signal).then(
        async (res) => {
          response = res;
          if (abort.signal.aborted) return void res.destroy();
          if ((res.statusCode ?? 0) !== 200) return fail(await this.#errorOf(res));
          let buffer = '';
          let stopped = false;
          const line = (text: string): void => {
            if (stopped || text.trim() === '') return;
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(text) as typeof event;
            } catch (e) {
              stopped = true;
              res.destroy();
              fail(new ApiError('InternalError', `unable to decode an event from the watch stream: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
              return;
            }
            switch (event.type) {
              case 'ADDED':
              case 'MODIFIED':
              case 'DELETED':
                subscriber.next(deepFreeze({ type: event.type, object: typed(resource, event.object) }));
                return;
              case 'BOOKMARK':
                subscriber.next(deepFreeze({ type: 'BOOKMARK', object: event.object as { metadata: { resourceVersion: string } } }));
                return;
              case 'ERROR': {
                stopped = true;
                res.destroy();
                const status = event.object as { code?: unknown } | null;
                fail(apiErrorFromResponse(typeof status?.code === 'number' ? status.code : 500, status));
                return;
              }
              default:
                stopped = true;
                res.destroy();
                fail(new ApiError('InternalError', `got invalid watch event type: ${String(event.type)}`));
            }
          };
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let nl: number;
            while (!stopped && (nl = buffer.indexOf('\n')) >= 0) {
              const text = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              line(text);
            }
          });
          res.on('end', () => {
            line(buffer);
            buffer = '';
            if (!stopped) {
              stopped = true;
              end();
            }
          });
          // A reset connection mid-stream: the watch ended, as a server closing it. The watcher
          // re-watches from the last revision it saw, which loses nothing.
          res.on('error', () => {
            if (!stopped) {
              stopped = true;
              end();
            }
          });
          res.on('aborted', () => {
            if (!stopped) {
              stopped = true;
              end();
            }
          });
        },
        (e: unknown) => {
          if (!abort.signal.aborted) fail(e);
        },
      );
      return () => {
        this.#open.delete(end);
        abort.abort();
        response?.destroy();
      };
    });
  }

  async create<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions = {}): Promise<T> {
    // As the in-process server: a namespaced object without a namespace goes to `default`.
    const namespace = (object as KubeObject).metadata?.namespace ?? (resource.namespaced ? 'default' : undefined);
    const { body } = await this.#call('POST', this.#path(resource, namespace), this.#writeQuery(options), withTypeMeta(resource, object), undefined, options as WarningSink);
    return deepFreeze(typed(resource, body));
  }

  update<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions = {}): Promise<T> {
    return this.#put(resource, object, undefined, options);
  }

  updateStatus<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions = {}): Promise<T> {
    return this.#put(resource, object, 'status', options);
  }

  async patch<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, patch: Patch, options: PatchOptions = {}): Promise<T> {
    const contentType = patch.type === 'json' ? 'application/json-patch+json' : 'application/merge-patch+json';
    const { body } = await this.#call('PATCH', this.#path(resource, key.namespace, key.name, options.subresource), this.#writeQuery(options), patch.body, contentType, options as WarningSink);
    return deepFreeze(typed(resource, body));
  }

  async delete<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, options: DeleteOptions = {}): Promise<T> {
    const { body } = await this.#call('DELETE', this.#path(resource, key.namespace, key.name), {}, deleteOptionsBody(options));
    const status = body as { kind?: unknown; details?: { uid?: unknown } } | undefined;
    if (status?.kind === 'Status') {
      const uid = typeof status.details?.uid === 'string' ? status.details.uid : undefined;
      return deepFreeze({
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        metadata: { name: key.name, ...(key.namespace !== undefined ? { namespace: key.namespace } : {}), ...(uid !== undefined ? { uid } : {}) },
      } as unknown as T);
    }
    return deepFreeze(typed(resource, body));
  }

  async getScale(resource: ResourceDefinition, key: ObjectKey): Promise<Scale> {
    const { body } = await this.#call('GET', this.#path(resource, key.namespace, key.name, 'scale'));
    return deepFreeze(body as Scale);
  }

  async updateScale(resource: ResourceDefinition, key: ObjectKey, scale: Scale): Promise<Scale> {
    const { body } = await this.#call('PUT', this.#path(resource, key.namespace, key.name, 'scale'), {}, { ...scale, apiVersion: 'autoscaling/v1', kind: 'Scale' });
    return deepFreeze(body as Scale);
  }

  async bind(key: ObjectKey, target: BindingTarget, options: BindOptions = {}): Promise<void> {
    const namespace = podNamespace(key);
    // Upstream's Binding carries its preconditions in its metadata.
    const { uid, resourceVersion } = options.preconditions ?? {};
    await this.#call('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(key.name)}/binding`, {}, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: key.name, namespace, ...(uid === undefined ? {} : { uid }), ...(resourceVersion === undefined ? {} : { resourceVersion }) },
      target: { apiVersion: 'v1', kind: 'Node', name: target.name },
    });
  }

  async evict(key: ObjectKey, options: DeleteOptions = {}): Promise<void> {
    const namespace = podNamespace(key);
    await this.#call('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(key.name)}/eviction`, {}, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: key.name, namespace },
      deleteOptions: deleteOptionsBody(options),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  async #put<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, subresource: 'status' | undefined, options: WriteOptions): Promise<T> {
    const metadata = (object as KubeObject).metadata ?? {};
    const namespace = metadata.namespace ?? (resource.namespaced ? 'default' : undefined);
    const body = withTypeMeta(resource, object);
    const { body: stored } = await this.#call('PUT', this.#path(resource, namespace, metadata.name ?? '', subresource), this.#writeQuery(options), body, undefined, options as WarningSink);
    return deepFreeze(typed(resource, stored));
  }

  /**
   * The URL path of a resource, a named object or its subresource. A named object of a
   * namespaced kind without a namespace is in `default`, as with the in-process server (whose
   * keys default so); a collection without one is every namespace's; a cluster-scoped kind
   * ignores it.
   */
  #path(resource: ResourceDefinition, namespace: string | undefined, name?: string, subresource?: string): string {
    const prefix = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
    if (name !== undefined && name === '') throw new ApiError('BadRequest', 'resource name may not be empty');
    if (resource.namespaced && name !== undefined && namespace === undefined) namespace = 'default';
    if (resource.namespaced && name !== undefined && namespace === '') {
      throw new ApiError('BadRequest', 'an empty namespace may not be set when a resource name is provided');
    }
    const ns = resource.namespaced && namespace !== undefined && namespace !== '' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const tail = name === undefined ? '' : `/${encodeURIComponent(name)}${subresource === undefined ? '' : `/${subresource}`}`;
    return `${prefix}${ns}/${resource.plural}${tail}`;
  }

  #writeQuery(options: WriteOptions): Record<string, string | undefined> {
    return { dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager };
  }

  /** The bearer token: the inline one, or the token file's content (re-read every `tokenFileRefreshMs`). */
  #bearer(): string | undefined {
    const { token, tokenFile } = this.connection;
    if (token !== undefined) return token;
    if (tokenFile === undefined) return undefined;
    const now = this.#clock.now();
    if (this.#token === undefined || now - this.#token.readAt >= this.#tokenRefreshMs) {
      try {
        this.#token = { value: this.#readFile(tokenFile).trim(), readAt: now };
      } catch (e) {
        // Keep the last token we had (client-go's cached source does): the file is being rotated.
        if (this.#token === undefined) throw new ApiError('Unauthorized', `cannot read the token file ${tokenFile}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
    return this.#token.value;
  }

  /** Takes a rate-limiter token, sends the request, resolves with the response's head once it arrives. */
  async #open$(method: string, path: string, query: Record<string, string | undefined>, body: unknown, contentType: string | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    if (this.#closed) throw new ApiError('ServiceUnavailable', 'the client is closed');
    await this.#limiter.take(signal);
    const url = new URL(this.#base.href.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const token = this.#bearer();
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.#userAgent,
      ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
      ...(text !== undefined ? { 'Content-Type': contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(text)) } : {}),
    };
    const requestOptions: RequestOptions = { method, headers, agent: this.#agent, ...(signal !== undefined ? { signal } : {}) };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.#send(url, requestOptions, resolve);
      req.on('error', (e) => reject(new ApiError('ServiceUnavailable', `${method} ${url.href}: ${e.message}`, { cause: e })));
      req.end(text);
    });
  }

  /** Reads a failed response's body and turns it into an {@link ApiError}. */
  async #errorOf(res: IncomingMessage): Promise<ApiError> {
    const text = await readAll(res).catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return apiErrorFromResponse(res.statusCode ?? 500, body);
  }

  /** One request/response exchange: the parsed body of a 2xx, else the {@link ApiError} of the Status. */
  async #call(method: string, path: string, query: Record<string, string | undefined> = {}, body?: unknown, contentType?: string, sink?: WarningSink): Promise<Response> {
    const res = await this.#open$(method, path, query, body, contentType);
    const code = res.statusCode ?? 0;
    if (sink?.onWarning) for (const w of warningsOf(res.headersDistinct['warning'])) sink.onWarning(w);
    if (code < 200 || code >= 300) throw await this.#errorOf(res);
    let text: string;
    try {
      text = await readAll(res);
    } catch (e) {
      throw new ApiError('ServiceUnavailable', `${method} ${path}: the connection broke while reading the response: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    try {
      return { code, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch (e) {
      throw new ApiError('InternalError', `${method} ${path}: the server sent a response that is not JSON`, { cause: e });
    }
  }
}

/** The namespace of a pod key: `default` when it names none, as the in-process server. */
function podNamespace(key: ObjectKey): string {
  return key.namespace ?? 'default';
}

/** A write's body: the object with `apiVersion` and `kind` filled in where it left them out. */
function withTypeMeta(resource: ResourceDefinition, object: unknown): Record<string, unknown> {
  const o = object as { apiVersion?: unknown; kind?: unknown };
  return { ...(object as object), apiVersion: o.apiVersion ?? resource.apiVersion, kind: o.kind ?? resource.kind };
}

/** `metav1.DeleteOptions` as JSON. */
function deleteOptionsBody(options: DeleteOptions): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    ...(options.propagationPolicy !== undefined ? { propagationPolicy: options.propagationPolicy } : {}),
    ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
    ...(options.preconditions !== undefined ? { preconditions: options.preconditions } : {}),
    ...(options.dryRun ? { dryRun: ['All'] } : {}),
  };
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the response was aborted')));
  });
}

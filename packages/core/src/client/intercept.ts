/**
 * Client interceptors: the hook through which latency and faults are injected between a
 * component and the API (the testing toolkit builds its fault schedules on it), and through
 * which users can add their own cross-cutting behaviour (logging, metrics, throttling).
 *
 * @module
 */
import { defer, type Observable } from 'rxjs';
import type { ApiError } from '../api/errors.js';
import type { KubeObject, ObjectKey, ObjectList } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Clock } from '../clock/clock.js';
import type { BindOptions, BindingTarget, Client, DeleteOptions, ListOptions, Patch, PatchOptions, Scale, WatchEvent, WatchOptions, WriteOptions } from './types.js';

/** The client methods, as intercepted. */
export type ClientVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'updateStatus'
  | 'patch'
  | 'delete'
  | 'getScale'
  | 'updateScale'
  | 'bind'
  | 'evict';

/** Verbs that change state. */
export const WRITE_VERBS: ReadonlySet<ClientVerb> = new Set(['create', 'update', 'updateStatus', 'patch', 'delete', 'updateScale', 'bind', 'evict']);

/** One intercepted call. */
export interface ClientRequest {
  /** Which method. */
  readonly verb: ClientVerb;
  /** The resource (pods for `bind` and `evict`; undefined when the client does not know it). */
  readonly resource: ResourceDefinition | undefined;
  /** The object's identity, when the call names one. */
  readonly key: ObjectKey | undefined;
}

/**
 * Wraps client calls. Each method receives the request and `next`, which performs the call
 * (through the interceptors registered after this one); it may delay, fail, retry or observe.
 *
 * Guarantees: interceptors run in the order given to {@link withInterceptors}, outermost first.
 */
export interface ClientInterceptor {
  /** Wraps a request/response call. */
  request?<R>(request: ClientRequest, next: () => Promise<R>): Promise<R>;
  /** Wraps a watch stream (e.g. to drop it or fail it with 410). */
  watch?<T extends KubeObject>(request: ClientRequest, next: () => Observable<WatchEvent<T>>): Observable<WatchEvent<T>>;
}

/** A client whose calls go through `interceptors` before reaching `client`. */
export function withInterceptors(client: Client, ...interceptors: readonly ClientInterceptor[]): Client {
  const call = <R>(request: ClientRequest, run: () => Promise<R>): Promise<R> => {
    let next = run;
    for (let i = interceptors.length - 1; i >= 0; i--) {
      const interceptor = interceptors[i]!;
      if (!interceptor.request) continue;
      const inner = next;
      next = () => interceptor.request!(request, inner);
    }
    return next();
  };
  const req = (verb: ClientVerb, resource: ResourceDefinition | undefined, key?: ObjectKey): ClientRequest => ({ verb, resource, key });
  const keyOf = (o: unknown): ObjectKey => {
    const meta = (o as Partial<KubeObject> | undefined)?.metadata;
    return { namespace: meta?.namespace, name: meta?.name ?? '' };
  };
  return {
    get: <T extends KubeObject>(r: ResourceDefinition<T>, key: ObjectKey) => call(req('get', r, key), () => client.get(r, key)),
    list: <T extends KubeObject>(r: ResourceDefinition<T>, o?: ListOptions): Promise<ObjectList<T>> => call(req('list', r), () => client.list(r, o)),
    watch: <T extends KubeObject>(r: ResourceDefinition<T>, o?: WatchOptions): Observable<WatchEvent<T>> => {
      let next = (): Observable<WatchEvent<T>> => client.watch(r, o);
      const request = req('watch', r);
      for (let i = interceptors.length - 1; i >= 0; i--) {
        const interceptor = interceptors[i]!;
        if (!interceptor.watch) continue;
        const inner = next;
        next = () => interceptor.watch!(request, inner);
      }
      return defer(next);
    },
    create: <T extends KubeObject, In>(r: ResourceDefinition<T, In>, o: In, w?: WriteOptions) => call(req('create', r, keyOf(o)), () => client.create(r, o, w)),
    update: <T extends KubeObject, In>(r: ResourceDefinition<T, In>, o: In, w?: WriteOptions) => call(req('update', r, keyOf(o)), () => client.update(r, o, w)),
    updateStatus: <T extends KubeObject, In>(r: ResourceDefinition<T, In>, o: In, w?: WriteOptions) =>
      call(req('updateStatus', r, keyOf(o)), () => client.updateStatus(r, o, w)),
    patch: <T extends KubeObject>(r: ResourceDefinition<T>, key: ObjectKey, p: Patch, o?: PatchOptions) =>
      call(req('patch', r, key), () => client.patch(r, key, p, o)),
    delete: <T extends KubeObject>(r: ResourceDefinition<T>, key: ObjectKey, o?: DeleteOptions) => call(req('delete', r, key), () => client.delete(r, key, o)),
    getScale: (r: ResourceDefinition, key: ObjectKey): Promise<Scale> => call(req('getScale', r, key), () => client.getScale(r, key)),
    updateScale: (r: ResourceDefinition, key: ObjectKey, s: Scale): Promise<Scale> => call(req('updateScale', r, key), () => client.updateScale(r, key, s)),
    bind: (key: ObjectKey, t: BindingTarget, o?: BindOptions) => call(req('bind', undefined, key), () => client.bind(key, t, o)),
    evict: (key: ObjectKey, o?: DeleteOptions) => call(req('evict', undefined, key), () => client.evict(key, o)),
  };
}

/**
 * Delays every request by `delayMs(request)` on the clock before performing it (a slow API
 * server or network). Watches are not delayed.
 */
export function latency(clock: Clock, delayMs: number | ((request: ClientRequest) => number)): ClientInterceptor {
  return {
    async request<R>(request: ClientRequest, next: () => Promise<R>): Promise<R> {
      const ms = typeof delayMs === 'number' ? delayMs : delayMs(request);
      if (ms > 0) await clock.sleep(ms);
      return next();
    },
  };
}

/**
 * Fails requests for which `decide` returns an error, without performing them (so a failed
 * write changed nothing, as with a real API server that refused it). Returning `undefined`
 * lets the request through.
 */
export function faults(decide: (request: ClientRequest) => ApiError | undefined): ClientInterceptor {
  return {
    async request<R>(request: ClientRequest, next: () => Promise<R>): Promise<R> {
      const error = decide(request);
      if (error) throw error;
      return next();
    },
  };
}

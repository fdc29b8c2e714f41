/**
 * The controller: informer events → predicates → handler → rate-limited queue → N workers →
 * reconcile → one exhaustive switch over the outcome (controller-runtime's `pkg/internal/controller`,
 * kube-rs's `Controller`). The {@link ControllerBuilder} only assembles these small pieces:
 *
 * ```
 * source(informer, predicates, handler) ──► queue ──► worker × N ──► reconcile ──► applyOutcome
 * ```
 *
 * @module
 */
import { Observable, type Subscription } from 'rxjs';
import type { KubeObject } from '../api/meta.js';
import { keyString, parseKeyString } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Clock } from '../clock/clock.js';
import type { InformerSelection, SharedInformerFactory } from '../informer/factory.js';
import type { Informer } from '../informer/informer.js';
import type { InformerEvent } from '../informer/store.js';
import { createRateLimitingQueue } from '../workqueue/create.js';
import type { RateLimitingWorkqueue } from '../workqueue/rate-limiting.js';
import type { RateLimiter } from '../workqueue/rate-limiters.js';
import { RuntimeError } from './errors.js';
import type { EventHandler, MapFunc } from './handler.js';
import { enqueueForObject, enqueueForOwner, enqueueMapped } from './handler.js';
import type { ControllerMetrics, ReconcileResultLabel, RuntimeMetrics } from './metrics.js';
import type { Predicate } from './predicate.js';
import type { ReconcileContext, Reconciler, Request, Result } from './reconciler.js';
import { RequeueAfterError, TerminalError } from './reconciler.js';

// ---------------------------------------------------------------------------------------------
// Sources: informer events → requests
// ---------------------------------------------------------------------------------------------

/**
 * The requests an informer's events call for: each event passes every predicate, then the
 * handler maps it to requests (kube-rs's `trigger_*` functions, controller-runtime's `Kind`
 * source with its handler and predicates).
 */
export function requestsFrom<T extends KubeObject>(
  events$: Observable<InformerEvent<T>>,
  handler: EventHandler<T>,
  predicates: readonly Predicate<T>[] = [],
): Observable<Request> {
  // One subscriber in between, not a filter and a mergeMap: every informer event of every
  // controller passes here, and mergeMap subscribed to an inner observable per event.
  return new Observable<Request>((subscriber) =>
    events$.subscribe({
      next: (event) => {
        let requests: readonly Request[];
        try {
          if (!predicates.every((p) => p(event))) return;
          requests = handler.map(event);
        } catch (error) {
          // As filter and mergeMap do: a predicate or handler that throws errors the stream.
          subscriber.error(error);
          return;
        }
        for (const request of requests) subscriber.next(request);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
}

/**
 * The requests an informer's events call for, fed to `onRequest` through a plain handler of the
 * informer ({@link Informer.addEventHandler}) rather than an RxJS subscriber per event: the same
 * requests in the same order as {@link requestsFrom} over `informer.events$`. A predicate or
 * handler that throws ends the feed and is passed to `onError` (where `requestsFrom`'s stream
 * errors); what a throwing `onRequest` throws is reported as RxJS reports an unhandled error
 * and the feed goes on (as with an RxJS subscriber). Returns the function that stops the feed.
 */
function feedRequests<T extends KubeObject>(
  informer: Informer<T>,
  handler: EventHandler<T>,
  predicates: readonly Predicate<T>[],
  onRequest: (request: Request) => void,
  onError: (error: unknown) => void,
): () => void {
  let failed = false;
  // Known once the cache has been replayed to the handler, which may fail before that.
  const feed: { remove?: () => void } = {};
  const remove = informer.addEventHandler((event) => {
    if (failed) return;
    let requests: readonly Request[];
    try {
      for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(event)) return;
      requests = handler.map(event);
    } catch (error) {
      failed = true;
      feed.remove?.();
      onError(error);
      return;
    }
    for (let i = 0; i < requests.length; i++) {
      try {
        onRequest(requests[i]!);
      } catch (error) {
        reportUnhandled(error);
      }
    }
  });
  feed.remove = remove;
  if (failed) remove();
  return remove;
}

/**
 * Reports an error nobody handles the way RxJS reports one (`config.onUnhandledError`, else
 * thrown on a later turn): what a subscriber without an error callback does with it.
 */
function reportUnhandled(error: unknown): void {
  new Observable<never>((subscriber) => subscriber.error(error)).subscribe();
}

/** One watched resource of a controller: where events come from and how they become requests. */
export interface WatchSource {
  /** The watched resource (for diagnostics). */
  readonly resource: ResourceDefinition;
  /** The requests this source produces, already filtered and mapped. Hot; completes with the informer. */
  readonly requests$: Observable<Request>;
  /**
   * The same requests as `requests$`, fed to a plain function without an RxJS subscriber in
   * between; {@link Controller.start} uses it when present. `onError` receives what would error
   * `requests$` (after which nothing more is fed). Returns the function that stops the feed.
   */
  readonly listen?: ((onRequest: (request: Request) => void, onError: (error: unknown) => void) => () => void) | undefined;
}

// ---------------------------------------------------------------------------------------------
// Outcomes: the one exhaustive switch
// ---------------------------------------------------------------------------------------------

/** How one reconcile ended: its {@link Result}, or what it threw. */
export type ReconcileOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'requeueAfter'; readonly delayMs: number }
  | { readonly kind: 'error'; readonly error: unknown; readonly requeueAfterMs?: number | undefined }
  | { readonly kind: 'terminal'; readonly error: TerminalError };

/**
 * Classifies how a reconcile ended. A returned value that is not a {@link Result} counts as an
 * error; a {@link RequeueAfterError} is an error of its cause, with its delay.
 */
export function outcomeOf(settled: { readonly ok: true; readonly result: Result } | { readonly ok: false; readonly error: unknown }): ReconcileOutcome {
  if (!settled.ok) {
    if (settled.error instanceof RequeueAfterError) return { kind: 'error', error: settled.error.cause, requeueAfterMs: settled.error.requeueAfterMs };
    return settled.error instanceof TerminalError ? { kind: 'terminal', error: settled.error } : { kind: 'error', error: settled.error };
  }
  const result = settled.result as Result | undefined;
  if (result?.kind === 'done') return { kind: 'done' };
  if (result?.kind === 'requeueAfter') return { kind: 'requeueAfter', delayMs: result.delayMs };
  return { kind: 'error', error: new RuntimeError('invalid-option', `reconcile returned ${JSON.stringify(result)}, not a result: return done or requeueAfter(ms)`) };
}

/**
 * Applies an outcome to the queue and returns the metrics label (controller-runtime's
 * `reconcileHandler`):
 *
 * | outcome | queue | label |
 * |---|---|---|
 * | done | `forget` | `success` |
 * | requeueAfter(d) | `forget`, `addAfter(key, d)` | `requeue_after` |
 * | error | `addRateLimited` (5 ms, 10 ms, 20 ms … per item) | `error` |
 * | error with `requeueAfterMs` d | `addRateLimited`, `addAfter(key, d)` (the earlier wins) | `error` |
 * | terminal | `forget`, nothing added | `error` |
 *
 * The caller still calls `queue.done(key)` afterwards.
 */
export function applyOutcome(queue: RateLimitingWorkqueue<string>, key: string, outcome: ReconcileOutcome): ReconcileResultLabel {
  switch (outcome.kind) {
    case 'done':
      queue.forget(key);
      return 'success';
    case 'requeueAfter':
      queue.forget(key);
      queue.addAfter(key, outcome.delayMs);
      return 'requeue_after';
    case 'error':
      queue.addRateLimited(key);
      if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
      return 'error';
    case 'terminal':
      queue.forget(key);
      return 'error';
    default:
      return unreachable(outcome);
  }
}

function unreachable(x: never): never {
  throw new Error(`unhandled reconcile outcome ${JSON.stringify(x)}`);
}

// ---------------------------------------------------------------------------------------------
// The controller
// ---------------------------------------------------------------------------------------------

/** A reconcile function, accepted wherever a {@link Reconciler} is. */
export type ReconcileFunc = (request: Request, context: ReconcileContext) => Promise<Result>;

/** Called after a failed reconcile (an error that will be retried, or a terminal one). */
export type ReconcileErrorHandler = (request: Request, error: unknown, terminal: boolean) => void;

/** Everything a {@link Controller} is made of (what the builder assembles). */
export interface ControllerOptions {
  /** Unique name: the queue's name and the `controller` label of its metrics. */
  readonly name: string;
  /** Time for the queue and the reconcile durations. */
  readonly clock: Clock;
  /** What to do with a request. */
  readonly reconciler: Reconciler;
  /** Where requests come from; subscribed when the controller starts. */
  readonly sources: readonly WatchSource[];
  /** Number of workers, `MaxConcurrentReconciles` (default 1). */
  readonly concurrency?: number;
  /** Retry policy of the queue (default: client-go's controller rate limiter). */
  readonly rateLimiter?: RateLimiter<string>;
  /** Where metrics go; none when absent. */
  readonly metrics?: RuntimeMetrics;
  /** Called after every failed reconcile (logging, events). */
  readonly onError?: ReconcileErrorHandler;
  /** Informers whose caches must be synced before workers start (checked by the manager). */
  readonly informers?: readonly Informer<KubeObject>[];
}

/**
 * A running unit of a manager (controller-runtime's `manager.Runnable`).
 *
 * Guarantees expected: `start(signal)` returns a promise that settles once the runnable has
 * fully stopped after `signal` aborted (the manager awaits it for graceful shutdown).
 */
export interface Runnable {
  /** For diagnostics. */
  readonly name: string;
  /** Whether it may only run while this manager holds the leader lease. */
  readonly needLeaderElection: boolean;
  /** Runs until `signal` aborts; settles once everything it started has stopped. */
  start(signal: AbortSignal): Promise<void>;
}

/**
 * A controller: a queue of requests fed by its sources, drained by `concurrency` workers that
 * call the reconciler.
 *
 * Guarantees:
 * - never two concurrent reconciles of one request (the queue's processing set), even with
 *   several workers; a request that changed during its reconcile is reconciled again after it;
 * - every outcome is handled in one exhaustive switch (controller-runtime's `reconcileHandler`):
 *
 *   | outcome | queue | metrics label |
 *   |---|---|---|
 *   | `done` | `forget` | `success` |
 *   | `requeueAfter(d)` | `forget`, `addAfter(key, d)` | `requeue_after` |
 *   | an error | `addRateLimited` (5 ms, 10 ms, 20 ms … per item) | `error` |
 *   | a {@link RequeueAfterError} of d | `addRateLimited`, `addAfter(key, d)` (the earlier wins) | `error` |
 *   | a {@link TerminalError} | `forget`, nothing added | `error` |
 *
 * - workers start only through {@link Controller.start} (the manager calls it once the caches
 *   have synced and, with leader election, once it leads);
 * - shutdown (the start signal aborting): sources are unsubscribed, the queue stops accepting
 *   and drops what was waiting, in-flight reconciles see `context.signal` aborted and are
 *   awaited; the promise returned by `start` settles when the last one returned.
 *
 * Caveats: a controller runs once; build a new one to run again (as its informers).
 */
export class Controller implements Runnable {
  /** The controller's name. */
  readonly name: string;
  /** Its queue of `namespace/name` keys. */
  readonly queue: RateLimitingWorkqueue<string>;
  /** Controllers run only on the leader. */
  readonly needLeaderElection = true;
  /** The informers it reads from; their caches must be synced before it starts. */
  readonly informers: readonly Informer<KubeObject>[];
  /** Number of workers. */
  readonly concurrency: number;

  readonly #options: ControllerOptions;
  readonly #metrics: ControllerMetrics | undefined;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #inFlight = 0;

  /** Builds a controller; prefer {@link ControllerBuilder}. */
  constructor(options: ControllerOptions) {
    this.#options = options;
    this.name = options.name;
    this.concurrency = options.concurrency ?? 1;
    this.informers = options.informers ?? [];
    this.queue = createRateLimitingQueue<string>({
      clock: options.clock,
      name: options.name,
      ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics.workqueueProvider() }),
    });
    this.#metrics = options.metrics?.controller(options.name);
    this.#metrics?.setMaxConcurrentReconciles(this.concurrency);
  }

  /** How many reconciles are running right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether the workers are running. */
  isRunning(): boolean {
    return this.#state === 'running';
  }

  /**
   * Subscribes the sources and starts the workers; runs until `signal` aborts, then shuts down
   * gracefully (see the class guarantees) and resolves.
   *
   * @throws {@link RuntimeError} `controller-state` if already started.
   */
  start(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'new') {
      throw new RuntimeError('controller-state', `controller ${this.name} was already started: build a new one to run again`);
    }
    this.#state = 'running';
    const add = (request: Request): void => this.queue.add(keyString(request));
    const subscriptions: (() => void)[] = this.#options.sources.map((source) => {
      if (source.listen !== undefined) return source.listen(add, reportUnhandled);
      const subscription: Subscription = source.requests$.subscribe(add);
      return () => subscription.unsubscribe();
    });
    const context: ReconcileContext = { signal, controllerName: this.name };
    const workers = Array.from({ length: this.concurrency }, () => this.#worker(context));
    const stopped = new Promise<void>((resolve) => {
      const stop = (): void => {
        for (const unsubscribe of subscriptions) unsubscribe();
        resolve(this.queue.shutDownWithDrain().then(() => Promise.all(workers)).then(() => {
          this.#state = 'stopped';
        }));
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    return stopped;
  }

  async #worker(context: ReconcileContext): Promise<void> {
    for (;;) {
      const next = await this.queue.get();
      if (next.shutdown) return;
      if (context.signal.aborted) {
        // Shutting down: what was waiting is dropped (the next start relists everything).
        this.queue.done(next.item);
        continue;
      }
      await this.#process(next.item, context);
    }
  }

  async #process(key: string, context: ReconcileContext): Promise<void> {
    const clock = this.#options.clock;
    const request = parseKeyString(key);
    const started = clock.now();
    this.#inFlight++;
    this.#metrics?.addActiveWorkers(1);
    let outcome: ReconcileOutcome;
    try {
      outcome = outcomeOf({ ok: true, result: await this.#options.reconciler.reconcile(request, context) });
    } catch (error) {
      outcome = outcomeOf({ ok: false, error });
    } finally {
      this.#inFlight--;
      this.#metrics?.addActiveWorkers(-1);
    }
    const label = applyOutcome(this.queue, key, outcome);
    this.#metrics?.reconciled(label, (clock.now() - started) / 1000);
    if (outcome.kind === 'error' || outcome.kind === 'terminal') {
      this.#metrics?.failed(outcome.kind === 'terminal');
      try {
        this.#options.onError?.(request, outcome.error, outcome.kind === 'terminal');
      } catch {
        // An error handler must not kill the worker (the item would never be marked done).
      }
    }
    this.queue.done(key);
  }
}

// ---------------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------------

/**
 * What a {@link ControllerBuilder} needs: a clock, a shared informer factory and optionally
 * metrics. A `Manager` is one; when given a manager, `complete()` also registers the controller
 * with it.
 */
export interface ControllerDeps {
  /** Time for queues and reconcile durations. */
  readonly clock: Clock;
  /** Where the controller's informers come from (shared with everyone else). */
  readonly informers: SharedInformerFactory;
  /** Where metrics go. */
  readonly metrics?: RuntimeMetrics | undefined;
  /** Registers a built controller (a manager's `addController`). */
  addController?(controller: Controller): void;
  /** Whether a controller with this name is registered already. */
  hasController?(name: string): boolean;
}

/** Options of `for`, `owns` and `watches`. */
export interface WatchOptions<T extends KubeObject> {
  /** Only events passing every predicate reach the handler. */
  readonly predicates?: readonly Predicate<T>[];
  /** A narrower informer (namespace, label or field selector). */
  readonly selection?: InformerSelection;
}

interface PendingWatch {
  readonly resource: ResourceDefinition;
  readonly handler: EventHandler | ((forResource: ResourceDefinition) => EventHandler);
  readonly predicates: readonly Predicate[];
  readonly selection: InformerSelection | undefined;
}

/**
 * A fluent controller builder (controller-runtime's `builder.ControllerManagedBy`): configuration
 * errors are collected and reported together by {@link ControllerBuilder.complete}.
 *
 * @example
 * ```ts
 * const controller = controllerFor(manager, ReplicaSets)
 *   .owns(Pods)
 *   .withConcurrency(5)
 *   .complete({ reconcile: async (request, { signal }) => { ...; return done; } });
 * ```
 *
 * Errors: `complete()` throws {@link RuntimeError} `invalid-controller` listing every issue:
 * no `for`, `for` given twice, a concurrency that is not a positive integer, an empty or
 * already registered name, a missing reconciler, a `watches` without a mapper.
 */
export class ControllerBuilder {
  readonly #deps: ControllerDeps;
  readonly #issues: string[] = [];
  #name: string | undefined;
  #for: PendingWatch | undefined;
  readonly #watches: PendingWatch[] = [];
  readonly #filters: Predicate[] = [];
  #concurrency = 1;
  #rateLimiter: RateLimiter<string> | undefined;
  #onError: ReconcileErrorHandler | undefined;
  #completed = false;

  /** Starts an empty builder on `deps` (a manager, or a clock plus an informer factory). */
  constructor(deps: ControllerDeps) {
    this.#deps = deps;
  }

  /** Names the controller (default: the `for` kind in lower case, e.g. `replicaset`). */
  named(name: string): this {
    this.#name = name;
    return this;
  }

  /** The resource this controller reconciles; its events enqueue the object itself. */
  for<U extends KubeObject>(resource: ResourceDefinition<U>, options: WatchOptions<U> = {}): this {
    if (this.#for !== undefined) this.#issues.push('for() was called more than once: a controller reconciles exactly one resource');
    if (!isResource(resource)) this.#issues.push('for() needs a resource definition');
    this.#for = pending(resource, enqueueForObject(), options);
    return this;
  }

  /**
   * A resource this controller creates and owns: events of its objects enqueue their controller
   * owner when that owner is of the `for` kind (`EnqueueRequestForOwner` with `OnlyControllerOwner`).
   */
  owns<U extends KubeObject>(resource: ResourceDefinition<U>, options: WatchOptions<U> = {}): this {
    if (!isResource(resource)) this.#issues.push('owns() needs a resource definition');
    this.#watches.push({ ...pending(resource, enqueueForObject(), options), handler: (owner) => enqueueForOwner(owner, { onlyController: true }) });
    return this;
  }

  /**
   * Any other resource, with a mapper from its objects to requests (`EnqueueRequestsFromMapFunc`)
   * or a full {@link EventHandler}.
   */
  watches<U extends KubeObject>(resource: ResourceDefinition<U>, mapper: MapFunc<U> | EventHandler<U>, options: WatchOptions<U> = {}): this {
    if (!isResource(resource)) this.#issues.push('watches() needs a resource definition');
    let handler: EventHandler<U> | undefined;
    if (typeof mapper === 'function') handler = enqueueMapped(mapper);
    else if (mapper !== null && typeof mapper === 'object' && typeof mapper.map === 'function') handler = mapper;
    else this.#issues.push(`watches(${resource?.resource ?? '?'}) needs a mapper function or an event handler`);
    this.#watches.push(pending(resource, handler ?? { map: () => [] }, options));
    return this;
  }

  /** A predicate applied to the events of every watched resource (`WithEventFilter`). */
  withEventFilter(predicate: Predicate): this {
    this.#filters.push(predicate);
    return this;
  }

  /** Number of workers (`MaxConcurrentReconciles`, default 1). Must be a positive integer. */
  withConcurrency(n: number): this {
    if (!Number.isInteger(n) || n < 1) this.#issues.push(`max concurrent reconciles must be a positive integer, got ${n}`);
    this.#concurrency = n;
    return this;
  }

  /** The queue's retry policy (default: client-go's controller rate limiter). */
  withRateLimiter(rateLimiter: RateLimiter<string>): this {
    this.#rateLimiter = rateLimiter;
    return this;
  }

  /** Called after every failed reconcile, e.g. to log it or record an event. */
  onError(handler: ReconcileErrorHandler): this {
    this.#onError = handler;
    return this;
  }

  /**
   * Validates the configuration, builds the controller (creating its informers in the shared
   * factory) and, when the deps are a manager, registers it.
   *
   * @throws {@link RuntimeError} `invalid-controller` with every issue found.
   */
  complete(reconciler: Reconciler | ReconcileFunc): Controller {
    const issues = [...this.#issues];
    if (this.#completed) issues.push('complete() was already called on this builder');
    const forWatch = this.#for;
    if (forWatch === undefined) issues.push('for() must be called: a controller needs the resource it reconciles');
    const name = this.#name ?? forWatch?.resource?.kind?.toLowerCase() ?? '';
    if (name === '') issues.push('the controller needs a name: call named() or for()');
    else if (this.#deps.hasController?.(name) === true) issues.push(`controller name "${name}" is already used in this manager: names must be unique`);
    const rec: Reconciler | undefined =
      typeof reconciler === 'function' ? { reconcile: reconciler } : reconciler !== null && typeof reconciler?.reconcile === 'function' ? reconciler : undefined;
    if (rec === undefined) issues.push('complete() needs a reconciler');
    if (issues.length > 0 || forWatch === undefined || rec === undefined) {
      throw new RuntimeError('invalid-controller', `invalid controller "${name || '<unnamed>'}": ${issues.join('; ')}`, { issues });
    }
    this.#completed = true;
    const informers: Informer<KubeObject>[] = [];
    const sources = [forWatch, ...this.#watches].map((w): WatchSource => {
      const informer = this.#deps.informers.informerFor(w.resource, w.selection);
      if (!informers.includes(informer)) informers.push(informer);
      const handler = typeof w.handler === 'function' ? w.handler(forWatch.resource) : w.handler;
      const predicates = [...this.#filters, ...w.predicates];
      return {
        resource: w.resource,
        requests$: requestsFrom(informer.events$, handler, predicates),
        listen: (onRequest, onError) => feedRequests(informer, handler, predicates, onRequest, onError),
      };
    });
    const controller = new Controller({
      name,
      clock: this.#deps.clock,
      reconciler: rec,
      sources,
      concurrency: this.#concurrency,
      informers,
      ...(this.#rateLimiter === undefined ? {} : { rateLimiter: this.#rateLimiter }),
      ...(this.#deps.metrics === undefined ? {} : { metrics: this.#deps.metrics }),
      ...(this.#onError === undefined ? {} : { onError: this.#onError }),
    });
    this.#deps.addController?.(controller);
    return controller;
  }
}

/**
 * Starts a {@link ControllerBuilder} for `resource` (`ControllerManagedBy(mgr).For(...)`).
 *
 * @example
 * ```ts
 * controllerFor(manager, Deployments, { predicates: [generationChanged] }).owns(ReplicaSets).complete(reconciler);
 * ```
 */
export function controllerFor<T extends KubeObject>(deps: ControllerDeps, resource: ResourceDefinition<T>, options: WatchOptions<T> = {}): ControllerBuilder {
  return new ControllerBuilder(deps).for(resource, options);
}

function isResource(r: unknown): r is ResourceDefinition {
  return r !== null && typeof r === 'object' && typeof (r as ResourceDefinition).kind === 'string' && typeof (r as ResourceDefinition).resource === 'string';
}

function pending<U extends KubeObject>(resource: ResourceDefinition<U>, handler: EventHandler<U>, options: WatchOptions<U>): PendingWatch {
  return {
    resource: resource as unknown as ResourceDefinition,
    handler: handler as unknown as EventHandler,
    predicates: (options.predicates ?? []) as unknown as readonly Predicate[],
    selection: options.selection,
  };
}

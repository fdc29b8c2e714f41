/**
 * The manager (controller-runtime's `manager.Manager`): owns the client, clock, RNG, one shared
 * informer factory, the metrics and event recorders, and runs controllers and other runnables:
 *
 * 1. `start()`: start the informers and wait for their caches to sync;
 * 2. start the runnables that do not need leader election;
 * 3. with leader election, campaign for the Lease and start the controllers once leading
 *    (without it, start them at once);
 * 4. `stop()`: stop the runnables (controllers stop accepting work, drain their queues and wait
 *    for in-flight reconciles), release the Lease, stop the informers.
 *
 * @module
 */
import 'reflect-metadata';
import { setMaxListeners } from 'node:events';
import { inject, injectable } from 'inversify';
import type { Event } from '../api/kinds/core.js';
import { Events } from '../api/kinds/core.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/types.js';
import type { Clock } from '../clock/clock.js';
import type { InformerSelection } from '../informer/factory.js';
import { SharedInformerFactory } from '../informer/factory.js';
import type { CacheReader } from '../informer/store.js';
import type { Rng } from '../rng/rng.js';
import type { Controller, ControllerDeps, Runnable } from './controller.js';
import { RuntimeError } from './errors.js';
import { EventRecorder } from './events.js';
import { LeaderElector } from './leader-election.js';
import type { LeaderCallbacks } from './leader-election.js';
import { RuntimeMetrics } from './metrics.js';
import { TOKENS } from './tokens.js';

/** Leader election of a manager. Durations default to client-go's (15 s / 10 s / 2 s). */
export interface ManagerLeaderElection {
  /** The Lease's name, e.g. `widget-operator`. */
  readonly leaseName: string;
  /** The Lease's namespace (default `kube-system`). */
  readonly leaseNamespace?: string;
  /** This candidate's identity (default: the manager's name). */
  readonly identity?: string;
  /** See `LeaderElectionOptions.leaseDurationMs`. */
  readonly leaseDurationMs?: number;
  /** See `LeaderElectionOptions.renewDeadlineMs`. */
  readonly renewDeadlineMs?: number;
  /** See `LeaderElectionOptions.retryPeriodMs`. */
  readonly retryPeriodMs?: number;
  /**
   * Release the Lease on graceful shutdown so another candidate takes over at once (default
   * true here; controller-runtime's `LeaderElectionReleaseOnCancel` defaults to false).
   */
  readonly releaseOnCancel?: boolean;
  /** Extra notifications (the manager handles start/stop itself). */
  readonly onNewLeader?: LeaderCallbacks['onNewLeader'];
}

/** The manager's own settings (what is not a shared service). */
export interface ManagerConfig {
  /** The manager's name: the events' `source.host` and the default leader identity (default `manager`). */
  readonly name?: string;
  /** Leader election; off when absent. */
  readonly leaderElection?: ManagerLeaderElection;
  /** How long `stop()` waits for runnables (default 30 000 ms, controller-runtime's default). */
  readonly gracefulShutdownTimeoutMs?: number;
  /** Resync period of the informers the manager creates (default none). */
  readonly defaultResyncMs?: number;
  /** Called with errors the manager survives (failed Lease writes, failed event writes). */
  readonly onError?: (error: unknown) => void;
}

/** Everything {@link createManager} needs: the shared services plus the {@link ManagerConfig}. */
export interface ManagerOptions extends ManagerConfig {
  /** How the manager talks to the API. */
  readonly client: Client;
  /** All time. */
  readonly clock: Clock;
  /** All randomness (jitter, event names). */
  readonly rng: Rng;
  /** The served kinds (for plugins and to resolve Events); a new empty registry when absent. */
  readonly registry?: ResourceRegistry;
  /** A shared informer factory to use instead of a new one. */
  readonly informers?: SharedInformerFactory;
  /** Metrics to use instead of a new registry. */
  readonly metrics?: RuntimeMetrics;
}

/** Why a manager stopped. */
export type StopReason = 'stopped' | 'leader-election-lost' | 'runnable-failed';

/**
 * Runs controllers and runnables against one client, with shared informers, leader election and
 * graceful shutdown.
 *
 * Guarantees:
 * - no controller worker runs before every informer created so far has synced;
 * - with leader election, controllers (runnables with `needLeaderElection`) run only while this
 *   manager leads; losing the Lease stops the whole manager (`stopReason`
 *   `leader-election-lost`), as controller-runtime exits the process — build a new manager to
 *   campaign again;
 * - `stop()` stops runnables first and waits for them (in-flight reconciles finish), then
 *   releases the Lease, then stops the informers; it is idempotent;
 * - metrics live in this manager's own registry.
 *
 * Errors: `start` throws {@link RuntimeError} `manager-state` when called twice or after stop;
 * `stop` rejects with `shutdown-timeout` if runnables did not finish within the grace period
 * (everything else is stopped anyway).
 *
 * @example
 * ```ts
 * const manager = createManager({ client: server, clock, rng, registry: server.registry });
 * controllerFor(manager, Widgets).owns(Gadgets).complete(reconciler);
 * await manager.start();
 * // ...
 * await manager.stop();
 * ```
 */
@injectable()
export class Manager implements ControllerDeps {
  /** The client controllers write through. */
  readonly client: Client;
  /** The injected clock. */
  readonly clock: Clock;
  /** The injected RNG. */
  readonly rng: Rng;
  /** The served kinds. */
  readonly registry: ResourceRegistry;
  /** The shared informer factory: one informer per resource and selection. */
  readonly informers: SharedInformerFactory;
  /** The manager's metrics. */
  readonly metrics: RuntimeMetrics;
  /** The manager's name. */
  readonly name: string;
  /** Resolves when the manager has stopped (for any reason). */
  readonly done: Promise<void>;

  readonly #config: ManagerConfig;
  readonly #runnables: Runnable[] = [];
  readonly #controllers = new Map<string, Controller>();
  readonly #recorders = new Map<string, EventRecorder>();
  readonly #running: Promise<void>[] = [];
  /**
   * Aborted to stop every runnable. Each runnable listens on it while it waits for the caches
   * (one listener per controller, a dozen in kube-controller-manager's set): no leak to warn of.
   */
  readonly #stopRunnables = unlimitedListeners(new AbortController());
  /** Aborted (after the runnables stopped) to end the campaign and release the Lease. */
  readonly #stopElection = new AbortController();
  #elector: LeaderElector | undefined;
  #election: Promise<void> | undefined;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  #leading = false;
  #stopping: Promise<void> | undefined;
  #stopReason: StopReason | undefined;
  #failure: unknown;
  readonly #resolveDone: () => void;
  #resolveElected!: () => void;
  /** Resolves once this manager leads (at once after start without leader election). */
  readonly elected: Promise<void>;

  /** Builds a manager from injected services; outside a container prefer {@link createManager}. */
  constructor(
    @inject(TOKENS.Client) client: Client,
    @inject(TOKENS.Clock) clock: Clock,
    @inject(TOKENS.Rng) rng: Rng,
    @inject(TOKENS.Registry) registry: ResourceRegistry,
    @inject(TOKENS.InformerFactory) informers: SharedInformerFactory,
    @inject(TOKENS.Metrics) metrics: RuntimeMetrics,
    @inject(TOKENS.ManagerConfig) config: ManagerConfig,
  ) {
    this.client = client;
    this.clock = clock;
    this.rng = rng;
    this.registry = registry;
    this.informers = informers;
    this.metrics = metrics;
    this.#config = config;
    this.name = config.name ?? 'manager';
    let resolveDone!: () => void;
    this.done = new Promise<void>((r) => (resolveDone = r));
    this.#resolveDone = resolveDone;
    this.elected = new Promise<void>((r) => (this.#resolveElected = r));
  }

  /** Why the manager stopped, once it has. */
  get stopReason(): StopReason | undefined {
    return this.#stopReason;
  }

  /** The error of a runnable that failed and stopped the manager, if any. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Whether this manager currently runs its leader-only runnables. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The read-only cache of `resource` from the shared informer (created on first use). */
  cache<T extends KubeObject>(resource: ResourceDefinition<T>, selection?: InformerSelection): CacheReader<T> {
    return this.informers.informerFor(resource, selection).cache;
  }

  /** The event recorder of `component` (one per component, shared). */
  recorder(component: string): EventRecorder {
    let recorder = this.#recorders.get(component);
    if (recorder === undefined) {
      const resource = (this.registry.forResource('events') as ResourceDefinition<Event> | undefined) ?? Events;
      recorder = new EventRecorder({
        client: this.client,
        clock: this.clock,
        component,
        host: this.name,
        resource,
        ...(this.#config.onError === undefined ? {} : { onError: this.#config.onError }),
      });
      this.#recorders.set(component, recorder);
    }
    return recorder;
  }

  /** Whether a controller with this name is registered. */
  hasController(name: string): boolean {
    return this.#controllers.has(name);
  }

  /** The registered controllers, in registration order. */
  controllers(): readonly Controller[] {
    return [...this.#controllers.values()];
  }

  /**
   * Registers a controller (the builder does it for you). Registering the same instance twice
   * is a no-op.
   *
   * @throws {@link RuntimeError} `duplicate-controller` for another controller with the same name.
   */
  addController(controller: Controller): void {
    const existing = this.#controllers.get(controller.name);
    if (existing === controller) return;
    if (existing !== undefined) throw new RuntimeError('duplicate-controller', `a controller named "${controller.name}" is already registered`);
    this.#controllers.set(controller.name, controller);
    this.add(controller);
  }

  /**
   * Adds a runnable; after start it is started at once (once caches have synced and, if it
   * needs leader election, while leading).
   *
   * @throws {@link RuntimeError} `manager-state` once the manager is stopping.
   */
  add(runnable: Runnable): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') throw new RuntimeError('manager-state', 'cannot add a runnable to a stopped manager');
    this.#runnables.push(runnable);
    if (this.#state === 'running' && (!runnable.needLeaderElection || this.#leading)) this.#launch(runnable);
  }

  /**
   * Starts the manager; resolves once caches have synced and the campaign (or the controllers)
   * started. Aborting `signal` stops the manager.
   *
   * @throws {@link RuntimeError} `manager-state` when already started or stopped.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'new') throw new RuntimeError('manager-state', `manager ${this.name} was already started`);
    this.#state = 'starting';
    signal?.addEventListener('abort', () => void this.stop().catch(() => undefined), { once: true });
    this.informers.start();
    try {
      await this.informers.waitForCacheSync(this.#stopRunnables.signal);
    } catch {
      return; // stopped while syncing
    }
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    for (const r of this.#runnables) if (!r.needLeaderElection) this.#launch(r);
    const le = this.#config.leaderElection;
    if (le === undefined) {
      this.#startLeading();
      return;
    }
    this.#elector = new LeaderElector({
      client: this.client,
      clock: this.clock,
      rng: this.rng.fork(),
      identity: le.identity ?? this.name,
      lease: { namespace: le.leaseNamespace ?? 'kube-system', name: le.leaseName },
      ...(le.leaseDurationMs === undefined ? {} : { leaseDurationMs: le.leaseDurationMs }),
      ...(le.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: le.renewDeadlineMs }),
      ...(le.retryPeriodMs === undefined ? {} : { retryPeriodMs: le.retryPeriodMs }),
      releaseOnCancel: le.releaseOnCancel ?? true,
      ...(this.#config.onError === undefined ? {} : { onError: this.#config.onError }),
      callbacks: {
        onStartedLeading: () => this.#startLeading(),
        onStoppedLeading: () => {
          this.#leading = false;
          this.metrics.setLeader(le.leaseName, false);
          if (this.#state === 'running') void this.#stop('leader-election-lost').catch(() => undefined);
        },
        ...(le.onNewLeader === undefined ? {} : { onNewLeader: le.onNewLeader }),
      },
    });
    this.metrics.setLeader(le.leaseName, false);
    this.#election = this.#elector.run(this.#stopElection.signal);
  }

  /** Stops the manager gracefully (see the class guarantees). Idempotent. */
  stop(): Promise<void> {
    return this.#stop('stopped');
  }

  #startLeading(): void {
    if (this.#state !== 'running') return;
    this.#leading = true;
    const le = this.#config.leaderElection;
    if (le !== undefined) this.metrics.setLeader(le.leaseName, true);
    this.#resolveElected();
    for (const r of this.#runnables) if (r.needLeaderElection) this.#launch(r);
  }

  #launch(runnable: Runnable): void {
    // Runnables added after start may have brought new informers: wait for every cache.
    const started = this.informers
      .waitForCacheSync(this.#stopRunnables.signal)
      .then(() => {
        if (this.#stopRunnables.signal.aborted) return;
        return runnable.start(this.#stopRunnables.signal);
      })
      .catch((error: unknown) => {
        if (this.#stopRunnables.signal.aborted && error === this.#stopRunnables.signal.reason) return;
        this.#failure ??= error;
        void this.#stop('runnable-failed').catch(() => undefined);
      });
    this.#running.push(started);
  }

  #stop(reason: StopReason): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopReason = reason;
    const wasNew = this.#state === 'new';
    this.#state = 'stopping';
    this.#stopping = (async () => {
      this.#stopRunnables.abort();
      const grace = this.#config.gracefulShutdownTimeoutMs ?? 30_000;
      const timer = new AbortController();
      const timedOut = await Promise.race([
        Promise.all(this.#running).then(() => false),
        this.clock.sleep(grace, timer.signal).then(
          () => true,
          () => false,
        ),
      ]);
      timer.abort();
      this.#leading = false;
      this.#stopElection.abort();
      await this.#election;
      if (!wasNew) this.informers.shutdown();
      this.#state = 'stopped';
      this.#resolveDone();
      if (timedOut) throw new RuntimeError('shutdown-timeout', `runnables of manager ${this.name} did not stop within ${grace}ms`);
    })();
    return this.#stopping;
  }
}

/**
 * Builds a {@link Manager} without a container: a new informer factory on the client (unless
 * given) and new metrics (unless given).
 */
export function createManager(options: ManagerOptions): Manager {
  const { client, clock, rng, registry, informers, metrics, ...config } = options;
  const factory =
    informers ??
    new SharedInformerFactory(client, {
      clock,
      rng: rng.fork(),
      ...(config.defaultResyncMs === undefined ? {} : { defaultResyncMs: config.defaultResyncMs }),
    });
  return new Manager(client, clock, rng, registry ?? new ResourceRegistry(), factory, metrics ?? new RuntimeMetrics(), config);
}

/** `controller` with no cap on the listeners of its signal (Node warns past 10). */
function unlimitedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}

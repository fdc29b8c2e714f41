/**
 * The garbage collector (upstream `pkg/controller/garbagecollector/garbagecollector.go`):
 * informers on every served kind feed the {@link GraphBuilder}; the nodes it points out are
 * worked off two rate-limited queues — attempt to delete (collect dependents whose owners are
 * gone, drive foreground deletions) and attempt to orphan (strip references to an owner deleted
 * with `propagationPolicy: Orphan`, then let the owner go).
 *
 * @module
 */
import type { Informer, KubeObject, Manager, OwnerReference, RateLimitingWorkqueue, ResourceDefinition, Runnable } from '@kubeloop/core';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, createRateLimitingQueue } from '@kubeloop/core';
import type { Subscription } from 'rxjs';
import type { ReferenceClass } from './decide.js';
import { attemptToDeleteDecision, classifyReference, deletingDependentsDecision, unblockReferences, withoutReferences } from './decide.js';
import { GraphBuilder } from './graph-builder.js';
import type { GraphNode, ObjectIdentity } from './graph.js';
import { AbsentOwnerCache, formatIdentity, identityFromReference } from './graph.js';
import { GarbageCollectorError, Operations } from './operations.js';

/** The component name of the collector's events (upstream's event source). */
export const GARBAGE_COLLECTOR_COMPONENT = 'garbage-collector-controller';

/** The event reason for an owner reference to a namespaced owner in another namespace. */
export const REASON_OWNER_REF_INVALID_NAMESPACE = 'OwnerRefInvalidNamespace';

/** Upstream's `--concurrent-gc-syncs` default: workers per queue. */
export const DEFAULT_CONCURRENT_GC_SYNCS = 20;

/** Options of the garbage collector ({@link garbageCollectorPlugin}). */
export interface GarbageCollectorOptions {
  /** Workers per queue (`--concurrent-gc-syncs`, default {@link DEFAULT_CONCURRENT_GC_SYNCS}). */
  readonly workers?: number | undefined;
  /**
   * Resources not watched (upstream `ignoredResources`), as `plural.group` / `plural`; default
   * {@link DEFAULT_IGNORED_RESOURCES}. Objects of ignored kinds are never collected, nor are
   * those of kinds that cannot be deleted, listed and watched (the metrics API).
   */
  readonly ignoredResources?: readonly string[] | undefined;
}

/**
 * Whether the collector watches a kind at all (upstream `GetDeletableResources`): discovery
 * lists `delete`, `list` and `watch` for it. The metrics API (`get`, `list`) is not.
 */
function deletable(resource: ResourceDefinition): boolean {
  const verbs = resource.verbs;
  return verbs === undefined || (verbs.includes('delete') && verbs.includes('list') && verbs.includes('watch'));
}

/** Upstream's default `ignoredResources`: the core and `events.k8s.io` Events. */
export const DEFAULT_IGNORED_RESOURCES: readonly string[] = ['events', 'events.events.k8s.io'];

type WorkerAction = 'forget' | 'requeue';

/**
 * The garbage collector, as a manager runnable (leader only).
 *
 * Guarantees:
 * - a dependent is deleted only after a live read of it (by name, same uid) and a live read of
 *   each of its owners (or an absent-owner cache entry written after such a read) found no solid
 *   owner; the delete carries a uid precondition. A cache miss alone never deletes anything;
 * - level-triggered: a new incarnation rebuilds the graph from its informers' snapshots, and a
 *   first observation of an object being deleted with `orphan`/`foregroundDeletion` starts the
 *   same work as the transition would have;
 * - work is queued in stable orders (dependents by uid), so a seeded run is reproducible.
 *
 * Caveats: kinds registered after the collector was built are not watched (upstream resyncs
 * discovery every 30 s); an owner reference to a kind the registry does not serve is retried
 * forever with backoff, as upstream.
 */
export class GarbageCollector implements Runnable {
  /** For diagnostics. */
  readonly name = 'garbage-collector';
  /** Runs only on the leader, as upstream's controller manager. */
  readonly needLeaderElection = true;
  /** The graph builder (exposed read-only for tests). */
  readonly graph: GraphBuilder;

  readonly #manager: Manager;
  readonly #ops: Operations;
  readonly #informers: readonly Informer<KubeObject>[];
  readonly #workers: number;
  readonly #attemptToDelete: RateLimitingWorkqueue<string>;
  readonly #attemptToOrphan: RateLimitingWorkqueue<string>;
  readonly #absent = new AbsentOwnerCache();

  /** Builds the collector on a manager; its informers are created now, so they sync with the manager's. */
  constructor(manager: Manager, options: GarbageCollectorOptions = {}) {
    this.#manager = manager;
    this.#workers = options.workers ?? DEFAULT_CONCURRENT_GC_SYNCS;
    this.#ops = new Operations(manager.client, manager.registry);
    const ignored = new Set(options.ignoredResources ?? DEFAULT_IGNORED_RESOURCES);
    const resources: ResourceDefinition[] = manager.registry.all().filter((r) => !ignored.has(r.resource) && deletable(r));
    this.#informers = resources.map((r) => manager.informers.informerFor(r));
    const metrics = manager.metrics.workqueueProvider();
    this.#attemptToDelete = createRateLimitingQueue<string>({ clock: manager.clock, name: 'garbage_collector_attempt_to_delete', metrics });
    this.#attemptToOrphan = createRateLimitingQueue<string>({ clock: manager.clock, name: 'garbage_collector_attempt_to_orphan', metrics });
    this.graph = new GraphBuilder(
      {
        attemptToDelete: (uid, o) => (o?.rateLimited === true ? this.#attemptToDelete.addRateLimited(uid) : this.#attemptToDelete.add(uid)),
        attemptToOrphan: (uid) => this.#attemptToOrphan.add(uid),
        invalidNamespaceOwnerReference: (dependent, ownerUid) => this.#reportInvalidNamespace(dependent, ownerUid),
      },
      this.#absent,
    );
  }

  /** Watches, and works both queues with `workers` workers each, until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const subscriptions: Subscription[] = [];
    for (const informer of this.#informers) {
      subscriptions.push(
        informer.events$.subscribe((e) => {
          if (e.type === 'add') this.graph.push({ type: 'upsert', object: e.object });
          else if (e.type === 'delete') this.graph.push({ type: 'delete', object: e.object });
          else if (e.old.metadata.uid !== e.object.metadata.uid) {
            // Deleted and re-created under the same name between two observations.
            this.graph.push({ type: 'delete', object: e.old });
            this.graph.push({ type: 'upsert', object: e.object });
          } else this.graph.push({ type: 'upsert', object: e.object, old: e.old });
        }),
      );
    }
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this.#workers; i++) {
      workers.push(this.#work(this.#attemptToDelete, (uid) => this.#attemptToDeleteWorker(uid), signal));
      workers.push(this.#work(this.#attemptToOrphan, (uid) => this.#attemptToOrphanWorker(uid), signal));
    }
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (const s of subscriptions) s.unsubscribe();
    this.#attemptToDelete.shutDown();
    this.#attemptToOrphan.shutDown();
    await Promise.all(workers);
  }

  async #work(queue: RateLimitingWorkqueue<string>, handle: (uid: string) => Promise<WorkerAction>, signal: AbortSignal): Promise<void> {
    for (;;) {
      const next = await queue.get();
      if (next.shutdown) return;
      const uid = next.item;
      try {
        if (signal.aborted) continue;
        const action = await handle(uid);
        if (action === 'requeue') queue.addRateLimited(uid);
        else queue.forget(uid);
      } finally {
        queue.done(uid);
      }
    }
  }

  /** Upstream `attemptToDeleteWorker`. */
  async #attemptToDeleteWorker(uid: string): Promise<WorkerAction> {
    const node = this.graph.node(uid);
    if (node === undefined) return 'forget';
    try {
      await this.#attemptToDeleteItem(node);
    } catch (error) {
      if (error instanceof GarbageCollectorError && (error.code === 'virtual-delete-enqueued' || error.code === 'namespaced-owner-of-cluster-scoped')) return 'forget';
      return 'requeue';
    }
    // A virtual node not observed yet is looked at again: it may have been created and deleted
    // while a watch was down (upstream issue 56121).
    return this.graph.node(uid)?.virtual === true ? 'requeue' : 'forget';
  }

  /** Upstream `attemptToDeleteItem`. */
  async #attemptToDeleteItem(item: GraphNode): Promise<void> {
    // Being deleted (not in the foreground) is a one-way trip: its dependents are looked at once it is gone.
    if (item.beingDeleted && !item.deletingDependents) return;
    const latest = await this.#ops.get(item.identity, item.identity.namespace);
    if (latest === undefined || latest.metadata.uid !== item.identity.uid) {
      this.graph.push({ type: 'virtual-delete', identity: item.identity });
      throw new GarbageCollectorError('virtual-delete-enqueued', 'enqueued virtual delete event');
    }
    if (item.deletingDependents) {
      await this.#processDeletingDependentsItem(item);
      return;
    }
    const references = latest.metadata.ownerReferences ?? [];
    if (references.length === 0) return;
    const classified: { reference: OwnerReference; class: ReferenceClass }[] = [];
    for (const reference of references) classified.push({ reference, class: await this.#classify(reference, item) });
    const dependents = item.sortedDependents();
    const action = attemptToDeleteDecision({
      references: classified,
      finalizers: latest.metadata.finalizers ?? [],
      hasDependents: dependents.length > 0,
      aDependentIsDeletingDependents: dependents.some((d) => d.deletingDependents),
    });
    switch (action.type) {
      case 'keep':
        return;
      case 'remove-references':
        await this.#ops.patchOwnerReferences(item.identity, (refs) => withoutReferences(refs, action.uids));
        return;
      case 'delete':
        if (action.unblockOwnerReferences) await this.#ops.patchOwnerReferences(item.identity, unblockReferences);
        await this.#ops.delete(item.identity, action.policy);
        return;
    }
  }

  /** Upstream `isDangling` + `classifyReferences` for one reference: absent-owner cache, then a live read. */
  async #classify(reference: OwnerReference, item: GraphNode): Promise<ReferenceClass> {
    const clusterScoped = identityFromReference(reference, '');
    const namespaced = identityFromReference(reference, item.identity.namespace);
    if (this.#absent.has(clusterScoped) || this.#absent.has(namespaced)) return 'dangling';
    const resource = this.#ops.resource(reference);
    const owner = await this.#ops.get(reference, item.identity.namespace);
    const cls = classifyReference(reference, owner?.metadata);
    if (cls === 'dangling') this.#absent.add(resource.namespaced ? namespaced : clusterScoped);
    return cls;
  }

  /** Upstream `processDeletingDependentsItem`. */
  async #processDeletingDependentsItem(item: GraphNode): Promise<void> {
    const blocking = item.blockingDependents();
    const action = deletingDependentsDecision(blocking.map((d) => ({ uid: d.identity.uid, deletingDependents: d.deletingDependents })));
    if (action.type === 'remove-finalizer') {
      await this.#ops.removeFinalizer(item.identity, FOREGROUND_FINALIZER);
      return;
    }
    for (const uid of action.uids) this.#attemptToDelete.add(uid);
  }

  /**
   * Upstream `attemptToOrphanWorker`: strip the owner's references from its dependents
   * (`orphanDependents`), then its `orphan` finalizer (`removeFinalizer`); if either fails —
   * with the server's 409 among the reasons — the owner is requeued with backoff.
   */
  async #attemptToOrphanWorker(uid: string): Promise<WorkerAction> {
    const owner = this.graph.node(uid);
    if (owner === undefined) return 'forget';
    try {
      await this.#ops.orphanDependents(owner.identity, owner.sortedDependents().map((d) => d.identity));
      await this.#ops.removeFinalizer(owner.identity, ORPHAN_FINALIZER);
    } catch {
      return 'requeue';
    }
    return 'forget';
  }

  /** Upstream `reportInvalidNamespaceOwnerRef`: a Warning event on the dependent. */
  #reportInvalidNamespace(dependent: GraphNode, ownerUid: string): void {
    const reference = dependent.owners.find((r) => r.uid === ownerUid);
    if (reference === undefined) return;
    const d = dependent.identity;
    const invalid: ObjectIdentity = identityFromReference(reference, d.namespace);
    const object: KubeObject = {
      apiVersion: d.apiVersion,
      kind: d.kind,
      metadata: { name: d.name, uid: d.uid, ...(d.namespace === '' ? {} : { namespace: d.namespace }) },
    };
    void this.#manager
      .recorder(GARBAGE_COLLECTOR_COMPONENT)
      .event(object, 'Warning', REASON_OWNER_REF_INVALID_NAMESPACE, `ownerRef ${formatIdentity(invalid)} does not exist in namespace "${d.namespace}"`);
  }
}

/**
 * The in-memory API server: the embedded default backend, with the semantics controllers rely
 * on in a real cluster (DESIGN.md, "The API server contract").
 *
 * Consistency contract:
 * - One cluster-wide revision counter. Every write that changes something bumps it by one and
 *   stamps the object's `metadata.resourceVersion`; a write that changes nothing (an update
 *   equal to the stored object) is a no-op and bumps nothing, as upstream.
 * - Writes are atomic: a request is decoded, defaulted, admitted and validated in full before
 *   anything is stored; a rejected request changes nothing.
 * - Watches see every change to the objects they select, in revision order, exactly once. An
 *   object that stops matching a watch's selectors is seen as `DELETED` by that watch, one that
 *   starts matching as `ADDED`.
 * - Objects handed out are deep-frozen and shared: reads and watch fan-out never copy.
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import {
  ApiError,
  STALE_OBJECT_MESSAGE,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  invalid,
  notFound,
  type FieldError,
} from '../api/errors.js';
import { parseFieldSelector, unsupportedFields, type FieldSelector } from '../api/fields.js';
import { everything, parseSelector, selectorFromLabelSelector, toSelectorString, type Selector } from '../api/labels.js';
import {
  keyString,
  type Condition,
  type KubeObject,
  type LabelSelector,
  type ObjectKey,
  type ObjectList,
} from '../api/meta.js';
import { ResourceRegistry, type ResourceDefinition } from '../api/registry.js';
import { validateNonNegative } from '../api/validation.js';
import { formatTime, type Clock, type Timer } from '../clock/clock.js';
import type {
  BindingTarget,
  Client,
  DeleteOptions,
  ListOptions,
  Patch,
  PatchOptions,
  Scale,
  SelectorInput,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../client/types.js';
import type { Rng } from '../rng/rng.js';
import { deepEqual, deepFreeze, getPath, setPath } from '../util/objects.js';
import {
  createBody,
  decode,
  decodeStatus,
  hookApplies,
  rejectIfInvalid,
  markUndecoded,
  requireObjectBody,
  validateObjectMeta,
  type AdmissionHook,
  type AdmissionOperation,
  type StoreReader,
} from './admission.js';
import { applyJsonPatch, applyMergePatch } from './patch.js';

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
  /** Source of creation and deletion timestamps and of bookmark timers. */
  readonly clock: Clock;
  /** Source of uids and generated name suffixes. */
  readonly rng: Rng;
  /** The kinds served. A new server with only the kinds registered later if absent. */
  readonly registry?: ResourceRegistry;
  /**
   * How many change events the watch history keeps (default 10,000). A watch or relist from a
   * revision whose successors have left the window fails with 410 `Expired`.
   */
  readonly historySize?: number;
  /** How often watches that asked for bookmarks get one (default 60 s, as upstream's ~1 min). */
  readonly bookmarkIntervalMs?: number;
  /** Admission hooks installed at construction (more with {@link ApiServer.addAdmissionHook}). */
  readonly admission?: readonly AdmissionHook[];
  /**
   * Namespaces created at construction (default `default`, `kube-system`, `kube-public`,
   * `kube-node-lease`, as a new cluster has), when the registry serves `namespaces`.
   */
  readonly initialNamespaces?: readonly string[];
}

/** Finalizer that makes a Foreground deletion wait for blocking dependents (handled by the GC). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** Finalizer that makes an Orphan deletion release dependents first (handled by the GC). */
export const ORPHAN_FINALIZER = 'orphan';

type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the history: the object after it (for DELETED, its final state) and before. */
interface Change {
  readonly rv: number;
  readonly table: Table;
  readonly type: ChangeType;
  readonly object: KubeObject;
  readonly old: KubeObject | undefined;
}

interface Table {
  readonly def: ResourceDefinition;
  /** Keyed by `namespace/name` (or `name`). */
  readonly objects: Map<string, KubeObject>;
  readonly watches: Set<WatchSubscription>;
}

interface WatchSubscription {
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: FieldSelector;
  readonly table: Table;
  readonly subscriber: Subscriber<WatchEvent<KubeObject>>;
  /** Events at or below this revision have been delivered (or were part of the initial state). */
  lastRv: number;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * The in-memory API server. It implements {@link Client} directly, so a controller can be
 * handed the server itself or any client wrapping it.
 *
 * @example
 * ```ts
 * const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: createBuiltinRegistry() });
 * const cm = await server.create(ConfigMaps, { metadata: { name: 'cfg', namespace: 'default' }, data: { a: '1' } });
 * ```
 */
export class ApiServer implements Client {
  /** The kinds served. Register custom resources before creating their objects. */
  readonly registry: ResourceRegistry;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #tables = new Map<string, Table>();
  readonly #hooks: AdmissionHook[];
  readonly #bookmarkIntervalMs: number;
  /** The watches that asked for bookmarks, in the order they started. */
  readonly #bookmarkWatches = new Set<WatchSubscription>();
  #bookmarkTicker: Timer | undefined;
  /** Objects per namespace, to tell when a terminating namespace is empty. */
  readonly #perNamespace = new Map<string, number>();

  /** The revision of the last change. Invariant: every stored object's rv ≤ #rv. */
  #rv = 0;
  /** Ring buffer of the last `#historySize` changes, oldest at `#historyStart`. */
  readonly #history: (Change | undefined)[];
  #historyStart = 0;
  #historyLength = 0;
  /** Revisions above this are all in the history; a watch from below it is too old. */
  #compactedRv = 0;
  /** Changes waiting to be delivered to watches; delivered in order by the outermost write. */
  readonly #pending: Change[] = [];
  #delivering = false;

  constructor(options: ApiServerOptions) {
    this.#clock = options.clock;
    this.#rng = options.rng;
    this.registry = options.registry ?? new ResourceRegistry();
    this.#hooks = [...(options.admission ?? [])];
    this.#bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.#history = new Array<Change | undefined>(Math.max(1, options.historySize ?? 10_000));
    const namespaces = this.registry.forResource('namespaces');
    if (namespaces) {
      for (const name of options.initialNamespaces ?? DEFAULT_NAMESPACES) {
        this.#createSync(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {});
      }
    }
  }

  /** Adds an admission hook; it runs after the hooks added before it. */
  addAdmissionHook(hook: AdmissionHook): void {
    this.#hooks.push(hook);
  }

  /** The revision of the latest change (`"0"` before any). */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /**
   * Forgets the watch history up to the current revision, as etcd compaction does: watches and
   * relists from an older revision then fail with 410 `Expired`. Used by fault injection.
   */
  compact(): void {
    this.#history.fill(undefined);
    this.#historyStart = 0;
    this.#historyLength = 0;
    this.#compactedRv = this.#rv;
  }

  /** Synchronous, consistent reads of the current state (what admission hooks get). */
  readonly reader: StoreReader = {
    get: <T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): T | undefined =>
      this.#table(resource).objects.get(keyString(this.#normalizeKey(resource, key))) as T | undefined,
    list: <T extends KubeObject>(resource: ResourceDefinition<T>, namespace?: string): readonly T[] =>
      this.#select(this.#table(resource), namespace, everything, undefined) as T[],
  };

  // ---------------------------------------------------------------------------------------
  // Client: reads

  /** {@inheritDoc Client.get} */
  async get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    const table = this.#table(resource);
    const k = this.#normalizeKey(resource, key);
    const obj = table.objects.get(keyString(k));
    if (!obj) throw notFound(resource.plural, resource.group, k.name);
    return obj as T;
  }

  /** {@inheritDoc Client.list} */
  async list<T extends KubeObject>(resource: ResourceDefinition<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const table = this.#table(resource);
    const labels = toSelector(options.labelSelector);
    const fields = this.#fieldSelector(resource, options.fieldSelector);
    return {
      apiVersion: resource.apiVersion,
      kind: resource.listKind,
      metadata: { resourceVersion: String(this.#rv) },
      items: this.#select(table, options.namespace, labels, fields) as T[],
    };
  }

  /** {@inheritDoc Client.watch} */
  watch<T extends KubeObject>(resource: ResourceDefinition<T>, options: WatchOptions = {}): Observable<WatchEvent<T>> {
    return new Observable<WatchEvent<KubeObject>>((subscriber) => {
      let sub: WatchSubscription;
      try {
        const table = this.#table(resource);
        sub = {
          namespace: options.namespace,
          labels: toSelector(options.labelSelector),
          fields: this.#fieldSelector(resource, options.fieldSelector),
          table,
          subscriber,
          lastRv: 0,
        };
        this.#startWatch(sub, options.resourceVersion);
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
      if (options.allowWatchBookmarks) this.#addBookmarkWatch(sub);
      return () => {
        sub.table.watches.delete(sub);
        this.#removeBookmarkWatch(sub);
      };
    }) as unknown as Observable<WatchEvent<T>>;
  }

  // ---------------------------------------------------------------------------------------
  // Client: writes

  /** {@inheritDoc Client.create} */
  async create<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions & WarningSink = {}): Promise<T> {
    return this.#createSync(resource, object as unknown as T, options);
  }

  /** {@inheritDoc Client.update} */
  async update<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions & WarningSink = {}): Promise<T> {
    return this.#updateSync(resource, object as unknown as T, options, undefined);
  }

  /** {@inheritDoc Client.updateStatus} */
  async updateStatus<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options: WriteOptions & WarningSink = {}): Promise<T> {
    return this.#updateSync(resource, object as unknown as T, options, 'status');
  }

  /** {@inheritDoc Client.patch} */
  async patch<T extends KubeObject>(
    resource: ResourceDefinition<T>,
    key: ObjectKey,
    patch: Patch,
    options: PatchOptions & WarningSink = {},
  ): Promise<T> {
    const table = this.#table(resource);
    const k = this.#normalizeKey(resource, key);
    const current = table.objects.get(keyString(k));
    if (!current) throw notFound(resource.plural, resource.group, k.name);
    const patched = patch.type === 'merge' ? applyMergePatch(current, patch.body) : applyJsonPatch(current, patch.body);
    return this.#updateSync(resource, patched as T, options, options.subresource);
  }

  /** {@inheritDoc Client.delete} */
  async delete<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, options: DeleteOptions = {}): Promise<T> {
    return this.#deleteSync(resource, key, options) as T;
  }

  /** {@inheritDoc Client.getScale} */
  async getScale(requested: ResourceDefinition, key: ObjectKey): Promise<Scale> {
    const resource = this.#table(requested).def;
    const scale = resource.subresources.scale;
    if (!scale) throw new ApiError('NotFound', 'the server could not find the requested resource');
    const obj = await this.get(resource, key);
    return toScale(obj, resource);
  }

  /** {@inheritDoc Client.updateScale} */
  async updateScale(requested: ResourceDefinition, key: ObjectKey, scale: Scale): Promise<Scale> {
    const resource = this.#table(requested).def;
    const paths = resource.subresources.scale;
    if (!paths) throw new ApiError('NotFound', 'the server could not find the requested resource');
    const replicas = scale.spec.replicas ?? 0;
    const errs: FieldError[] = validateNonNegative(replicas, 'spec.replicas');
    if (!Number.isInteger(replicas)) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be an integer' });
    }
    if (errs.length > 0) throw invalid('Scale', 'autoscaling', key.name, errs);
    const current = await this.get(resource, key);
    const rv = scale.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) {
      throw conflict(resource.plural, resource.group, key.name, STALE_OBJECT_MESSAGE);
    }
    const next = setPath(current, paths.specReplicasPath, replicas);
    const stored = this.#updateSync(resource, next, {}, undefined);
    return toScale(stored, resource);
  }

  /** {@inheritDoc Client.bind} */
  async bind(key: ObjectKey, target: BindingTarget): Promise<void> {
    const pods = this.#builtin('pods');
    const k = this.#normalizeKey(pods, key);
    const table = this.#table(pods);
    const pod = table.objects.get(keyString(k)) as PodLike | undefined;
    if (!pod) throw notFound('pods', '', k.name);
    if (pod.metadata.deletionTimestamp) {
      throw conflict('pods', '', k.name, `pod ${k.name} is being deleted, cannot be assigned to a host`);
    }
    if (pod.spec?.nodeName) {
      throw conflict('pods', '', k.name, `pod ${k.name} is already assigned to node "${pod.spec.nodeName}"`);
    }
    const now = formatTime(this.#clock.now());
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    const next: PodLike = {
      ...pod,
      spec: { ...pod.spec, nodeName: target.name },
      status: {
        ...pod.status,
        conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: now }],
      },
    };
    this.#admitHooks(pods, 'CREATE', 'binding', next, pod, false);
    this.#commit(table, keyString(k), next as KubeObject, 'MODIFIED', pod as KubeObject, false);
  }

  /** {@inheritDoc Client.evict} */
  async evict(key: ObjectKey, options: DeleteOptions = {}): Promise<void> {
    const pods = this.#builtin('pods');
    const k = this.#normalizeKey(pods, key);
    const pod = this.#table(pods).objects.get(keyString(k)) as PodLike | undefined;
    if (!pod) throw notFound('pods', '', k.name);
    const phase = pod.status?.phase;
    const ignoresBudget = pod.metadata.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending';
    const pdbs = this.registry.forResource('poddisruptionbudgets.policy');
    if (!ignoresBudget && pdbs) {
      const budgets = this.#select(this.#table(pdbs), k.namespace, everything, undefined).filter((b) =>
        selectorFromLabelSelector((b as PdbLike).spec?.selector).matches(pod.metadata.labels),
      ) as PdbLike[];
      if (budgets.length > 1) {
        throw new ApiError('InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      }
      const budget = budgets[0];
      if (budget) {
        const allowed = budget.status?.disruptionsAllowed ?? 0;
        if (allowed <= 0) {
          throw new ApiError('TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
            causes: [
              {
                reason: 'DisruptionBudget',
                field: '',
                message: `The disruption budget ${budget.metadata.name} needs ${budget.status?.desiredHealthy ?? 0} healthy pods and has ${budget.status?.currentHealthy ?? 0} currently`,
              },
            ],
          });
        }
        if (!options.dryRun) {
          const next = {
            ...budget,
            status: {
              ...budget.status,
              disruptionsAllowed: allowed - 1,
              disruptedPods: { ...budget.status?.disruptedPods, [k.name]: formatTime(this.#clock.now()) },
            },
          };
          this.#updateSync(pdbs, next as KubeObject, {}, 'status');
        }
      }
    }
    this.#deleteSync(pods, k, options);
  }

  // ---------------------------------------------------------------------------------------
  // Write paths

  #createSync<T extends KubeObject>(requested: ResourceDefinition<T>, body: T, options: WriteOptions & WarningSink): T {
    const table = this.#table(requested);
    const resource = table.def as ResourceDefinition<T>; // the server's definition, not the caller's copy
    const { object, warnings } = decode(resource, createBody(resource, body), options.onWarning !== undefined);
    const meta = object.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (resource.namespaced) meta.namespace ??= 'default';
    else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = this.#generateName(table, meta.namespace, meta.generateName);
    meta.uid = this.#rng.uuid();
    meta.creationTimestamp = formatTime(this.#clock.now());
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    const prepared = resource.prepareForCreate ? resource.prepareForCreate(object) : object;

    const admitted = this.#admit(resource, 'CREATE', undefined, prepared, undefined, options.dryRun === true);
    const key = keyString({ namespace: admitted.metadata.namespace, name: admitted.metadata.name ?? '' });
    if (resource.namespaced) this.#checkNamespace(admitted.metadata.namespace ?? '', resource, admitted.metadata.name ?? '');
    if (table.objects.has(key)) throw alreadyExists(resource.plural, resource.group, admitted.metadata.name ?? '');
    for (const w of warnings) options.onWarning?.(w);
    if (options.dryRun) return deepFreeze(admitted);
    return this.#commit(table, key, admitted, 'ADDED', undefined, !this.#mutates(resource, 'CREATE')) as T;
  }

  /**
   * Whether a mutating hook applies: its edits are not decoded, and it may edit the request's
   * object in place, so such writes neither reuse stored fields nor are reused from.
   */
  #mutates(resource: ResourceDefinition, operation: AdmissionOperation): boolean {
    for (const hook of this.#hooks) if (hook.mutate && hookApplies(hook, resource, operation)) return true;
    return false;
  }

  #updateSync<T extends KubeObject>(
    requested: ResourceDefinition<T>,
    body: T,
    options: WriteOptions & WarningSink,
    subresource: 'status' | undefined,
  ): T {
    const table = this.#table(requested);
    const resource = table.def as ResourceDefinition<T>; // the server's definition, not the caller's copy
    requireObjectBody(resource, body);
    const k = this.#normalizeKey(resource, {
      namespace: body.metadata?.namespace,
      name: body.metadata?.name ?? '',
    });
    if (!k.name) throw invalid(resource.kind, resource.group, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name is required' }]);
    const key = keyString(k);
    const old = table.objects.get(key) as T | undefined;
    if (!old) throw notFound(resource.plural, resource.group, k.name);
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) {
      throw conflict(resource.plural, resource.group, k.name, STALE_OBJECT_MESSAGE);
    }
    const collect = options.onWarning !== undefined;
    // Decoded with no mutating hook: stored fields may be reused.
    const reuse = !this.#mutates(resource, 'UPDATE');
    let next: T;
    let warnings: readonly string[];
    const statusOnly = subresource === 'status' ? decodeStatus(resource, body, collect) : undefined;
    if (statusOnly) {
      // The status subresource changes status only.
      next = { ...old, metadata: { ...old.metadata }, status: statusOnly.status } as T;
      warnings = statusOnly.warnings;
    } else if (subresource === 'status') {
      const decoded = decode(resource, body, collect);
      next = { ...old, metadata: { ...old.metadata }, status: (decoded.object as { status?: unknown }).status } as T;
      warnings = decoded.warnings;
    } else {
      const decoded = decode(resource, body, collect, reuse ? old : undefined);
      next = decoded.object;
      warnings = decoded.warnings;
      const meta = next.metadata;
      meta.namespace = old.metadata.namespace;
      if (!resource.namespaced) delete meta.namespace;
      // As upstream's registry: a uid in the request is a precondition on the object's identity.
      if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== old.metadata.uid) {
        throw conflict(resource.plural, resource.group, k.name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`);
      }
      meta.uid = old.metadata.uid;
      meta.creationTimestamp = old.metadata.creationTimestamp;
      meta.generation = old.metadata.generation;
      if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
      else delete meta.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      else delete meta.deletionGracePeriodSeconds;
      if (resource.subresources.status) (next as { status?: unknown }).status = (old as { status?: unknown }).status;
      if (old.metadata.deletionTimestamp) {
        const before = new Set(old.metadata.finalizers ?? []);
        const added = (meta.finalizers ?? []).filter((f) => !before.has(f));
        if (added.length > 0) {
          throw invalid(resource.kind, resource.group, k.name, [
            { type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: 'no new finalizers can be added if the object is being deleted' },
          ]);
        }
      }
      if (resource.prepareForUpdate) next = resource.prepareForUpdate(next, old);
      if (specChanged(old, next)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    const admitted = this.#admit(resource, 'UPDATE', subresource, next, old, options.dryRun === true);
    for (const w of warnings) options.onWarning?.(w);
    if (deepEqual(admitted, old)) return old;
    if (options.dryRun) return deepFreeze(admitted);
    const m = admitted.metadata;
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0) {
      this.#remove(table, key, admitted);
      return admitted;
    }
    return this.#commit(table, key, admitted, 'MODIFIED', old, reuse) as T;
  }

  #deleteSync(requested: ResourceDefinition, key: ObjectKey, options: DeleteOptions): KubeObject {
    const table = this.#table(requested);
    const resource = table.def;
    const k = this.#normalizeKey(resource, key);
    const sk = keyString(k);
    const old = table.objects.get(sk);
    if (!old) throw notFound(resource.plural, resource.group, k.name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw conflict(resource.plural, resource.group, k.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        resource.plural,
        resource.group,
        k.name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    }
    this.#admitHooks(resource, 'DELETE', undefined, old, old, options.dryRun === true);
    if (options.dryRun) return old;

    const now = this.#clock.now();
    const finalizers = new Set(old.metadata.finalizers ?? []);
    // As upstream's `deletionFinalizersForGarbageCollection`, on the first delete and on later
    // ones alike: the policy asked for decides which of the two GC finalizers the object carries.
    switch (options.propagationPolicy) {
      case 'Orphan':
        finalizers.add(ORPHAN_FINALIZER);
        finalizers.delete(FOREGROUND_FINALIZER);
        break;
      case 'Foreground':
        finalizers.add(FOREGROUND_FINALIZER);
        finalizers.delete(ORPHAN_FINALIZER);
        break;
      case 'Background':
        finalizers.delete(ORPHAN_FINALIZER);
        finalizers.delete(FOREGROUND_FINALIZER);
        break;
      default:
        break;
    }
    let grace = 0;
    if (resource.resource === 'pods') grace = podGracePeriod(old as PodLike, options.gracePeriodSeconds);
    if (resource.resource === 'namespaces') return this.#deleteNamespace(table, sk, old, finalizers, now);

    if (finalizers.size === 0 && grace === 0) {
      // A delete that takes the last GC finalizer away (Background after Foreground): the
      // DELETED event shows the object as it was last written, without the finalizer.
      const last = (old.metadata.finalizers ?? []).length > 0 ? withFinalizers(old, finalizers) : old;
      this.#remove(table, sk, last);
      return last;
    }
    if (old.metadata.deletionTimestamp !== undefined && grace >= (old.metadata.deletionGracePeriodSeconds ?? 0)) {
      // Already being deleted, and this request does not shorten the grace period: only a change
      // of propagation policy (the GC finalizers) is written.
      const before = old.metadata.finalizers ?? [];
      if (before.length === finalizers.size && before.every((f) => finalizers.has(f))) return old;
      return this.#commit(table, sk, withFinalizers(old, finalizers), 'MODIFIED', old, false);
    }
    // Upstream marks the object and keeps it: `deletionTimestamp` is when it should be gone,
    // `deletionGracePeriodSeconds` 0 for finalizer-only waits.
    const next: KubeObject = {
      ...old,
      metadata: {
        ...old.metadata,
        deletionTimestamp: formatTime(now + grace * 1000),
        deletionGracePeriodSeconds: grace,
        ...(finalizers.size > 0 ? { finalizers: [...finalizers] } : {}),
      },
    };
    return this.#commit(table, sk, next, 'MODIFIED', old, false);
  }

  /**
   * Namespace deletion: the namespace goes `Terminating`, everything in it is deleted
   * (background propagation), and the namespace itself is removed once it is empty and has no
   * finalizers. Upstream splits this between the API server and the namespace controller; the
   * store does both so that a namespace deletion completes without extra controllers.
   */
  #deleteNamespace(table: Table, sk: string, old: KubeObject, finalizers: Set<string>, now: number): KubeObject {
    const name = old.metadata.name ?? '';
    let current = old;
    if (!old.metadata.deletionTimestamp) {
      const next = {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: formatTime(now), ...(finalizers.size > 0 ? { finalizers: [...finalizers] } : {}) },
        status: { ...(old as { status?: object }).status, phase: 'Terminating' },
      } as KubeObject;
      current = this.#commit(table, sk, next, 'MODIFIED', old, false);
      for (const t of this.#tables.values()) {
        if (!t.def.namespaced) continue;
        for (const obj of this.#select(t, name, everything, undefined)) {
          if (!obj.metadata.deletionTimestamp) this.#deleteSync(t.def, { namespace: name, name: obj.metadata.name ?? '' }, {});
        }
      }
    }
    this.#maybeRemoveNamespace(name);
    return table.objects.get(sk) ?? current;
  }

  #maybeRemoveNamespace(name: string): void {
    const namespaces = this.registry.forResource('namespaces');
    if (!namespaces) return;
    const table = this.#table(namespaces);
    const ns = table.objects.get(name);
    if (!ns?.metadata.deletionTimestamp || (ns.metadata.finalizers ?? []).length > 0) return;
    if ((this.#perNamespace.get(name) ?? 0) > 0) return;
    this.#remove(table, name, ns);
  }

  #checkNamespace(namespace: string, resource: ResourceDefinition, name: string): void {
    const namespaces = this.registry.forResource('namespaces');
    if (!namespaces) return;
    const ns = this.#table(namespaces).objects.get(namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(
        'Forbidden',
        `${resource.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { name, group: resource.group, kind: resource.plural },
      );
    }
  }

  #generateName(table: Table, namespace: string | undefined, prefix: string): string {
    const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
    for (;;) {
      const name = base + this.#rng.nameSuffix(5);
      if (!table.objects.has(keyString({ namespace, name }))) return name;
    }
  }

  /** Mutating hooks, validation, validating hooks; returns the admitted object (not frozen). */
  #admit<T extends KubeObject>(
    resource: ResourceDefinition<T>,
    operation: AdmissionOperation,
    subresource: string | undefined,
    object: T,
    old: T | undefined,
    dryRun: boolean,
  ): T {
    let obj = object;
    for (const hook of this.#hooks) {
      if (!hook.mutate || !hookApplies(hook, resource, operation)) continue;
      const out = hook.mutate({ operation, resource, subresource, object: obj, oldObject: old, dryRun, store: this.reader, now: this.#clock.now() } as never);
      if (out) obj = out as T;
    }
    if (subresource !== 'status') {
      const errs = validateObjectMeta(resource, obj);
      errs.push(...(resource.validate?.(obj) ?? []));
      if (old && resource.validateUpdate) errs.push(...resource.validateUpdate(obj, old));
      rejectIfInvalid(resource, obj.metadata.name ?? '', errs);
    }
    this.#admitHooks(resource, operation, subresource, obj, old, dryRun);
    return obj;
  }

  #admitHooks(
    resource: ResourceDefinition,
    operation: AdmissionOperation,
    subresource: string | undefined,
    object: KubeObject,
    old: KubeObject | undefined,
    dryRun: boolean,
  ): void {
    for (const hook of this.#hooks) {
      if (!hook.validate || !hookApplies(hook, resource, operation)) continue;
      const errs = hook.validate({ operation, resource, subresource, object, oldObject: old, dryRun, store: this.reader, now: this.#clock.now() });
      if (errs && errs.length > 0) rejectIfInvalid(resource, object.metadata.name ?? '', errs);
    }
  }

  /**
   * Stores a new version: bumps the revision, freezes, records and delivers the change.
   * `decoded` tells whether the fields that are not `old`'s came out of decoding by the
   * table's definition with no mutating hook; if not, they are marked so that later updates
   * parse them again rather than reuse them (see {@link markUndecoded}).
   */
  #commit(table: Table, key: string, object: KubeObject, type: 'ADDED' | 'MODIFIED', old: KubeObject | undefined, decoded: boolean): KubeObject {
    if (!decoded) markUndecoded(object, old);
    const rv = ++this.#rv;
    const stored = deepFreeze(withResourceVersion(object, rv));
    table.objects.set(key, stored);
    if (type === 'ADDED' && table.def.namespaced) this.#countNamespace(stored.metadata.namespace ?? '', 1);
    this.#record({ rv, table, type, object: stored, old });
    return stored;
  }

  /** Removes an object for good: a DELETED change carrying the final state at a new revision. */
  #remove(table: Table, key: string, last: KubeObject): void {
    const rv = ++this.#rv;
    const final = deepFreeze(withResourceVersion(last, rv));
    const old = table.objects.get(key);
    table.objects.delete(key);
    this.#record({ rv, table, type: 'DELETED', object: final, old });
    if (table.def.namespaced) {
      const ns = final.metadata.namespace ?? '';
      this.#countNamespace(ns, -1);
      this.#maybeRemoveNamespace(ns);
    }
  }

  #countNamespace(ns: string, delta: number): void {
    const n = (this.#perNamespace.get(ns) ?? 0) + delta;
    if (n === 0) this.#perNamespace.delete(ns);
    else this.#perNamespace.set(ns, n);
  }

  // ---------------------------------------------------------------------------------------
  // History and watch delivery

  #record(change: Change): void {
    const size = this.#history.length;
    if (this.#historyLength === size) {
      const evicted = this.#history[this.#historyStart];
      this.#compactedRv = evicted ? evicted.rv : this.#compactedRv;
      this.#history[this.#historyStart] = change;
      this.#historyStart = (this.#historyStart + 1) % size;
    } else {
      this.#history[(this.#historyStart + this.#historyLength) % size] = change;
      this.#historyLength++;
    }
    if (change.table.watches.size === 0) return;
    this.#pending.push(change);
    this.#deliverPending();
  }

  /**
   * Delivers queued changes in revision order. A watch handler that writes re-enters here; its
   * change is queued and delivered after the current one, so every watch sees revision order.
   */
  #deliverPending(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#pending.length; i++) {
        const change = this.#pending[i]!;
        for (const sub of change.table.watches) this.#deliver(sub, change);
      }
    } finally {
      this.#pending.length = 0;
      this.#delivering = false;
    }
  }

  #deliver(sub: WatchSubscription, change: Change): void {
    if (change.rv <= sub.lastRv) return;
    sub.lastRv = change.rv;
    const now = this.#matches(sub, change.object);
    if (change.type === 'DELETED') {
      if (now || (change.old !== undefined && this.#matches(sub, change.old))) sub.subscriber.next({ type: 'DELETED', object: change.object });
      return;
    }
    const before = change.old !== undefined && this.#matches(sub, change.old);
    if (now) sub.subscriber.next({ type: before ? 'MODIFIED' : 'ADDED', object: change.object });
    else if (before) sub.subscriber.next({ type: 'DELETED', object: change.object });
  }

  #matches(sub: WatchSubscription, obj: KubeObject): boolean {
    if (sub.namespace !== undefined && obj.metadata.namespace !== sub.namespace) return false;
    if (!sub.labels.matches(obj.metadata.labels)) return false;
    return sub.fields.empty() || sub.fields.matches((f) => fieldValue(sub.table.def, obj, f));
  }

  #startWatch(sub: WatchSubscription, resourceVersion: string | undefined): void {
    const wasDelivering = this.#delivering;
    this.#delivering = true; // writes made by handlers during the replay are queued
    try {
      sub.table.watches.add(sub);
      if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') {
        sub.lastRv = this.#rv;
        for (const obj of this.#select(sub.table, sub.namespace, sub.labels, sub.fields)) {
          sub.subscriber.next({ type: 'ADDED', object: obj });
        }
      } else {
        const from = Number(resourceVersion);
        if (!Number.isSafeInteger(from) || from < 0) throw badRequest(`invalid resource version "${resourceVersion}"`);
        if (from < this.#compactedRv) {
          throw expired(`too old resource version: ${from} (${this.#compactedRv + 1})`);
        }
        sub.lastRv = from;
        const size = this.#history.length;
        for (let i = 0; i < this.#historyLength; i++) {
          const change = this.#history[(this.#historyStart + i) % size]!;
          if (change.table === sub.table) this.#deliver(sub, change);
        }
        sub.lastRv = Math.max(sub.lastRv, this.#rv);
      }
    } catch (e) {
      sub.table.watches.delete(sub);
      throw e;
    } finally {
      this.#delivering = wasDelivering;
    }
    if (!wasDelivering) this.#deliverPending();
  }

  /**
   * Bookmarks come from one ticker for all the watches that asked for them, not a timer per
   * watch: a cluster keeps dozens of watches open, and each timer firing costs a turn of the
   * (virtual) clock. A watch's first bookmark thus comes within one interval of its start.
   */
  #addBookmarkWatch(sub: WatchSubscription): void {
    this.#bookmarkWatches.add(sub);
    this.#bookmarkTicker ??= this.#clock.setTimer(this.#bookmarkIntervalMs, this.#tickBookmarks);
  }

  #removeBookmarkWatch(sub: WatchSubscription): void {
    if (!this.#bookmarkWatches.delete(sub) || this.#bookmarkWatches.size > 0) return;
    this.#bookmarkTicker?.cancel();
    this.#bookmarkTicker = undefined;
  }

  readonly #tickBookmarks = (): void => {
    this.#bookmarkTicker = this.#clock.setTimer(this.#bookmarkIntervalMs, this.#tickBookmarks);
    for (const sub of [...this.#bookmarkWatches]) {
      if (!sub.table.watches.has(sub)) continue;
      sub.lastRv = Math.max(sub.lastRv, this.#rv);
      sub.subscriber.next({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(sub.lastRv) } } });
    }
  };

  // ---------------------------------------------------------------------------------------
  // Lookup helpers

  #table(resource: ResourceDefinition): Table {
    let table = this.#tables.get(resource.resource);
    if (table) return table;
    const registered = this.registry.forResource(resource.resource);
    if (!registered) {
      throw new ApiError('NotFound', `the server could not find the requested resource (${resource.resource} is not registered)`);
    }
    table = { def: registered, objects: new Map(), watches: new Set() };
    this.#tables.set(resource.resource, table);
    return table;
  }

  #builtin(resource: string): ResourceDefinition {
    const def = this.registry.forResource(resource);
    if (!def) throw new ApiError('NotFound', `the server could not find the requested resource (${resource} is not registered)`);
    return def;
  }

  #normalizeKey(resource: ResourceDefinition, key: ObjectKey): ObjectKey {
    return resource.namespaced ? { namespace: key.namespace ?? 'default', name: key.name } : { name: key.name };
  }

  #fieldSelector(resource: ResourceDefinition, text: string | undefined): FieldSelector {
    let sel: FieldSelector;
    try {
      sel = parseFieldSelector(text ?? '');
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    const supported = ['metadata.name', 'metadata.namespace', ...Object.keys(resource.fieldSelectors ?? {})];
    const bad = unsupportedFields(sel, supported);
    if (bad.length > 0) throw badRequest(`field label not supported: ${bad[0]}`);
    return sel;
  }

  #select(table: Table, namespace: string | undefined, labels: Selector, fields: FieldSelector | undefined): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of table.objects.values()) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (!labels.matches(obj.metadata.labels)) continue;
      if (fields && !fields.empty() && !fields.matches((f) => fieldValue(table.def, obj, f))) continue;
      out.push(obj);
    }
    return out.sort(compareObjects);
  }
}

/** Write options plus a sink for API warnings (e.g. `unknown field "spec.foo"`). */
export interface WarningSink {
  /** Called once per warning the request produced; the request still succeeds. */
  readonly onWarning?: ((warning: string) => void) | undefined;
}

/**
 * Stamps a revision. A fresh object from the write path is stamped in place (it is frozen
 * right after); a frozen one (e.g. the last state of a removed object) is copied shallowly.
 */
function withResourceVersion(object: KubeObject, rv: number): KubeObject {
  if (!Object.isFrozen(object) && !Object.isFrozen(object.metadata)) {
    object.metadata.resourceVersion = String(rv);
    return object;
  }
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
}


function compareObjects(a: KubeObject, b: KubeObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  const ma = a.metadata.name ?? '';
  const mb = b.metadata.name ?? '';
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

function toSelector(input: SelectorInput | undefined): Selector {
  if (input === undefined) return everything;
  if (typeof input === 'string') {
    try {
      return parseSelector(input);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
  }
  return selectorFromLabelSelector(input);
}

function fieldValue(def: ResourceDefinition, obj: KubeObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata.name;
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  return def.fieldSelectors?.[field]?.get(obj);
}

/** Whether anything outside `metadata` and `status` differs: what bumps `metadata.generation`. */
function specChanged(old: KubeObject, next: KubeObject): boolean {
  const a = old as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (key === 'metadata' || key === 'status' || key === 'apiVersion' || key === 'kind') continue;
    if (!deepEqual(a[key], b[key])) return true;
  }
  return false;
}

function toScale(obj: KubeObject, resource: ResourceDefinition): Scale {
  const paths = resource.subresources.scale!;
  const selector = paths.labelSelectorPath ? getPath(obj, paths.labelSelectorPath) : undefined;
  const selectorText =
    typeof selector === 'string'
      ? selector
      : selector && typeof selector === 'object'
        ? 'matchLabels' in selector || 'matchExpressions' in selector
          ? toSelectorString(selector as LabelSelector)
          : toSelectorString({ matchLabels: selector as Record<string, string> })
        : undefined;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: (getPath(obj, paths.specReplicasPath) as number | undefined) ?? 0 },
    status: {
      replicas: (getPath(obj, paths.statusReplicasPath) as number | undefined) ?? 0,
      ...(selectorText !== undefined ? { selector: selectorText } : {}),
    },
  };
}

/** The parts of a Pod the store itself reads (binding, eviction, graceful deletion). */
interface PodLike extends KubeObject {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
  status?: { phase?: string; conditions?: Condition[] };
}

/** The parts of a PodDisruptionBudget that eviction reads and writes. */
interface PdbLike extends KubeObject {
  spec?: { selector?: LabelSelector };
  status?: { disruptionsAllowed?: number; desiredHealthy?: number; currentHealthy?: number; disruptedPods?: Record<string, string> };
}

/**
 * Upstream's pod deletion grace period: the request's, else the pod's
 * `terminationGracePeriodSeconds` (default 30); 0 for pods that never ran on a node or have
 * finished, which are removed at once.
 */
function podGracePeriod(pod: PodLike, requested: number | undefined): number {
  if (!pod.spec?.nodeName) return 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/** `object` with `finalizers` as its finalizers; the field is left out when there are none. */
function withFinalizers(object: KubeObject, finalizers: ReadonlySet<string>): KubeObject {
  const { finalizers: _old, ...metadata } = object.metadata;
  return { ...object, metadata: finalizers.size > 0 ? { ...metadata, finalizers: [...finalizers] } : metadata };
}

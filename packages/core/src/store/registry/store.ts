/**
 * The generic registry store (upstream's `registry/generic/registry.Store`): the REST verbs of
 * every kind over a {@link Storage}, driven by the kind's strategy hooks on its
 * `ResourceDefinition` (`defaults`, `prepareForCreate`, `prepareForUpdate`, `validate`,
 * `validateUpdate`, `subresources`, `fieldSelectors`). Per-kind behaviour that upstream keeps in
 * a kind's own REST storage lives in small modules beside this one: graceful pod deletion,
 * binding and eviction (`pods.ts`), namespace lifecycle (`namespaces.ts`), scale (`scale.ts`).
 *
 * Guarantees: a request is decoded, defaulted, admitted and validated in full before anything
 * is written. Updates, patches, deletes and bindings are decided inside the storage's
 * `guaranteedUpdate`, from the object as stored: when another writer got there first, the
 * decision is made again from the fresh object, and a request that named a resourceVersion then
 * fails with 409 Conflict. Each verb answers with the storage's own promise where it can, so
 * over {@link MemoryStorage} a write is done, and its watch events delivered, in the turn it is
 * made, as the single-class server did.
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import { ApiError, STALE_OBJECT_MESSAGE, alreadyExists, badRequest, conflict, invalid } from '../../api/errors.js';
import { recordUpdate } from '../../api/managedfields.js';
import { ObjectMetaSchema, type KubeObject, type ObjectKey, type ObjectList } from '../../api/meta.js';
import type { ResourceDefinition, ResourceRegistry } from '../../api/registry.js';
import { formatTime, type Clock } from '../../clock/clock.js';
import type { DeleteOptions, ListOptions, Patch, Preconditions, WatchEvent, WatchOptions, WriteOptions } from '../../client/types.js';
import type { Rng } from '../../rng/rng.js';
import { deepEqual, deepFreeze } from '../../util/objects.js';
import { createBody, decode, decodeStatus, markUndecoded, rejectIfInvalid, requireObjectBody, validateObjectMeta, zodIssuesToFieldErrors, type AdmissionHook, type StoreReader } from '../admission.js';
import { applyJsonPatch, applyMergePatch } from '../patch.js';
import type { Storage, StorageEvent, StorageKey, UpdateDecision } from '../storage.js';
import { AdmissionChain } from './admission-chain.js';
import { finalizersAfterDelete, sameFinalizers, withFinalizers } from './finalizers.js';
import { checkNamespace, deleteNamespace, removeNamespaceIfEmpty, removeNamespaceIfEmptyNow } from './namespaces.js';
import { podGracePeriod, type PodLike } from './pods.js';
import { predicateFor } from './selection.js';
import { ServiceAllocator, type ServiceRanges } from './services.js';
import { requireVerb } from './verbs.js';
import type { Service } from '../../api/kinds/service.js';
import { notSupported } from '../../api/kinds/internal.js';

/** Write options plus a sink for API warnings (e.g. `unknown field "spec.foo"`). */
export interface WarningSink {
  /** Called for each warning the request produced (again when a storage decides the request again after a conflict); the request still succeeds. */
  readonly onWarning?: ((warning: string) => void) | undefined;
}

/** What a {@link RegistryStore} is built from. */
export interface RegistryStoreOptions {
  /** Where objects are kept. */
  readonly storage: Storage;
  /** The kinds served, with their strategies. */
  readonly registry: ResourceRegistry;
  /** Source of creation and deletion timestamps. */
  readonly clock: Clock;
  /** Source of uids and generated name suffixes. */
  readonly rng: Rng;
  /** Admission hooks installed at construction. */
  readonly admission?: readonly AdmissionHook[] | undefined;
  /** The ranges Services get their ClusterIPs and NodePorts from. */
  readonly serviceRanges: ServiceRanges;
}

/**
 * The REST verbs of every registered kind over one {@link Storage}. Internal: the
 * {@link ApiServer} facade is the public surface.
 */
export class RegistryStore {
  /** Where objects are kept. */
  readonly storage: Storage;
  /** The kinds served. */
  readonly registry: ResourceRegistry;
  /** Source of creation and deletion timestamps. */
  readonly clock: Clock;
  /** The admission chain of every write. */
  readonly admission: AdmissionChain;
  /** Service ClusterIPs and NodePorts, around what the stored Services hold. */
  readonly services: ServiceAllocator;
  readonly #rng: Rng;

  /** Synchronous reads of the storage's cache (what admission hooks get). */
  readonly reader: StoreReader = {
    get: <T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): T | undefined => {
      const def = this.definition(resource);
      return this.storage.cache.get(this.key(def, key)) as T | undefined;
    },
    list: <T extends KubeObject>(resource: ResourceDefinition<T>, namespace?: string): readonly T[] =>
      this.storage.cache.list({ resource: this.definition(resource).resource, namespace }) as T[],
  };

  constructor(options: RegistryStoreOptions) {
    this.storage = options.storage;
    this.registry = options.registry;
    this.clock = options.clock;
    this.#rng = options.rng;
    this.admission = new AdmissionChain(options.admission ?? [], this.reader, options.clock);
    this.services = new ServiceAllocator(options.serviceRanges, this.storage);
  }

  /** The server's own definition of a requested resource (not the caller's copy); 404 if unknown. */
  definition<T extends KubeObject>(requested: ResourceDefinition<T>): ResourceDefinition<T> {
    const def = this.registry.forResource(requested.resource);
    if (!def) throw unknownResource(requested.resource);
    return def as ResourceDefinition<T>;
  }

  /** A registered definition by resource name; 404 if unknown. */
  builtin(resource: string): ResourceDefinition {
    const def = this.registry.forResource(resource);
    if (!def) throw unknownResource(resource);
    return def;
  }

  /** The storage key of an object: namespaced kinds default to `default`, others have none. */
  key(resource: ResourceDefinition, key: ObjectKey): StorageKey {
    return resource.namespaced
      ? { resource: resource.resource, namespace: key.namespace ?? 'default', name: key.name }
      : { resource: resource.resource, name: key.name };
  }

  /** The stored object (`undefined` when there is none): the cache's when it has it, else the storage's. */
  async current(key: StorageKey): Promise<KubeObject | undefined> {
    return this.storage.cache.get(key) ?? (await this.storage.get(key, { ignoreNotFound: true }));
  }

  // ---------------------------------------------------------------------------------------
  // Reads

  /** {@inheritDoc Client.get} */
  get<T extends KubeObject>(requested: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    return settle(() => {
      const resource = this.definition(requested);
      return this.storage.get(this.key(resource, key)) as Promise<T>;
    });
  }

  /** {@inheritDoc Client.list} */
  async list<T extends KubeObject>(requested: ResourceDefinition<T>, options: ListOptions): Promise<ObjectList<T>> {
    const resource = this.definition(requested);
    const predicate = predicateFor(resource, options.labelSelector, options.fieldSelector);
    const revision = options.resourceVersionMatch === 'Exact' ? parseRevision(options.resourceVersion) : undefined;
    const list = await this.storage.list({ resource: resource.resource, namespace: options.namespace }, predicate, { revision });
    return {
      apiVersion: resource.apiVersion,
      kind: resource.listKind,
      metadata: { resourceVersion: String(list.revision) },
      items: list.items as T[],
    };
  }

  /** {@inheritDoc Client.watch} */
  watch<T extends KubeObject>(requested: ResourceDefinition<T>, options: WatchOptions): Observable<WatchEvent<T>> {
    return new Observable<WatchEvent<KubeObject>>((subscriber) => {
      try {
        const resource = this.definition(requested);
        const predicate = predicateFor(resource, options.labelSelector, options.fieldSelector);
        const from = parseRevision(options.resourceVersion);
        // Storage errors are already the API's (410 Expired): the client's subscriber is handed
        // to the storage as it is, so events reach it with no extra hop.
        return this.storage
          .watch({ resource: resource.resource, namespace: options.namespace }, { from, predicate, bookmarks: options.allowWatchBookmarks === true })
          .subscribe(subscriber as unknown as Subscriber<StorageEvent>);
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
    }) as unknown as Observable<WatchEvent<T>>;
  }

  // ---------------------------------------------------------------------------------------
  // Writes

  /** {@inheritDoc Client.create} */
  create<T extends KubeObject>(requested: ResourceDefinition<T>, body: T, options: WriteOptions & WarningSink): Promise<T> {
    return settle(() => {
      const resource = this.definition(requested);
      requireVerb(resource, 'create', options, undefined);
      const { object, warnings } = decode(resource, createBody(resource, body), options.onWarning !== undefined);
      const meta = object.metadata;
      if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
      if (resource.namespaced) meta.namespace ??= 'default';
      else delete meta.namespace;
      if (!meta.name && meta.generateName) meta.name = this.#generateName(resource, meta.namespace, meta.generateName);
      meta.uid = this.#rng.uuid();
      meta.creationTimestamp = formatTime(this.clock.now());
      if (resource.generation !== 'none') meta.generation = 1;
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
      const prepared = resource.prepareForCreate ? resource.prepareForCreate(object) : object;

      let admitted = this.admission.admit(resource, 'CREATE', undefined, prepared, undefined, options.dryRun === true);
      admitted = this.#withManagedFields(resource, undefined, admitted, options, undefined);
      const name = admitted.metadata.name ?? '';
      const key = this.key(resource, { namespace: admitted.metadata.namespace, name });
      const store = (): Promise<T> => {
        for (const w of warnings) options.onWarning?.(w);
        // As upstream's `beginCreate`: addresses are allocated once the request is admitted.
        const service = resource.resource === 'services';
        if (service) admitted = this.services.allocate(admitted as unknown as Service, undefined) as unknown as T;
        if (options.dryRun) {
          // Nothing is written, so the storage cannot say the name is taken: the cache does.
          if (this.storage.cache.get(key)) throw alreadyExists(resource.plural, resource.group, name);
          return Promise.resolve(deepFreeze(admitted));
        }
        if (this.admission.mutates(resource, 'CREATE') || service) markUndecoded(admitted, undefined);
        const created = this.storage.create(key, admitted) as Promise<T>;
        return service ? this.services.hold(admitted as unknown as Service, created) : created;
      };
      const pending = resource.namespaced ? checkNamespace(this, admitted.metadata.namespace ?? '', resource, name) : undefined;
      return pending ? pending.then(store) : store();
    });
  }

  /** {@inheritDoc Client.update} (and `updateStatus` with `subresource` `status`). */
  update<T extends KubeObject>(requested: ResourceDefinition<T>, body: T, options: WriteOptions & WarningSink, subresource: 'status' | undefined): Promise<T> {
    return settle(() => {
      const resource = this.definition(requested);
      requireVerb(resource, 'update', options, body?.metadata?.name);
      requireObjectBody(resource, body);
      const name = body.metadata?.name ?? '';
      if (!name) throw invalid(resource.kind, resource.group, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name is required' }]);
      const key = this.key(resource, { namespace: body.metadata?.namespace, name });
      return this.guaranteedUpdate(resource, key, (old) => this.#decideUpdate(resource, body, old as T, options, subresource)) as Promise<T>;
    });
  }

  /** {@inheritDoc Client.patch} */
  patch<T extends KubeObject>(
    requested: ResourceDefinition<T>,
    key: ObjectKey,
    patch: Patch,
    options: WriteOptions & WarningSink & { readonly subresource?: 'status' | undefined },
  ): Promise<T> {
    return settle(() => {
      const resource = this.definition(requested);
      requireVerb(resource, 'patch', options, key.name);
      const k = this.key(resource, key);
      // As upstream's patcher: the patch is applied to the object as it is at each attempt.
      return this.guaranteedUpdate(resource, k, (current) => {
        const patched = (patch.type === 'merge' ? applyMergePatch(current, patch.body) : applyJsonPatch(current, patch.body)) as T;
        requireObjectBody(resource, patched);
        const name = patched.metadata?.name;
        if (name !== k.name) throw badRequest(`the name of the object (${name ?? ''}) does not match the name on the URL (${k.name})`);
        return this.#decideUpdate(resource, patched, current as T, options, options.subresource);
      }) as Promise<T>;
    });
  }

  /** {@inheritDoc Client.delete} */
  delete(requested: ResourceDefinition, key: ObjectKey, options: DeleteOptions): Promise<KubeObject> {
    return settle(() => {
      const resource = this.definition(requested);
      requireVerb(resource, 'delete', options, key.name);
      const k = this.key(resource, key);
      if (resource.resource === 'namespaces') return deleteNamespace(this, resource, k, options);
      const done = this.guaranteedUpdate(resource, k, (old) => this.#decideDelete(resource, k, old, options));
      if (resource.resource === 'services' && !options.dryRun) done.then(() => this.services.forget(k.namespace ?? '', k.name), () => undefined);
      return done;
    });
  }

  /**
   * One attempt of an update from the stored `old` (upstream's `rest.Update` strategy calls
   * inside `GuaranteedUpdate`): what to write, or nothing for a no-op or a dry run.
   */
  #decideUpdate<T extends KubeObject>(
    resource: ResourceDefinition<T>,
    body: T,
    old: T,
    options: WriteOptions & WarningSink,
    subresource: 'status' | undefined,
  ): UpdateDecision {
    const name = old.metadata.name ?? '';
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) {
      throw conflict(resource.plural, resource.group, name, STALE_OBJECT_MESSAGE);
    }
    const collect = options.onWarning !== undefined;
    // Decoded with no mutating hook: stored fields may be reused.
    const reuse = !this.admission.mutates(resource, 'UPDATE');
    let next: T;
    let warnings: readonly string[];
    const statusOnly = subresource === 'status' ? decodeStatus(resource, body, collect) : undefined;
    if (statusOnly) {
      // The status subresource changes status only (and the annotations of a kind that says so).
      next = { ...old, metadata: statusMetadata(resource, old, body), status: statusOnly.status } as T;
      warnings = statusOnly.warnings;
    } else if (subresource === 'status') {
      const decoded = decode(resource, body, collect);
      next = { ...old, metadata: statusMetadata(resource, old, decoded.object), status: (decoded.object as { status?: unknown }).status } as T;
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
        throw conflict(resource.plural, resource.group, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`);
      }
      meta.uid = old.metadata.uid;
      // As upstream's field manager: an update that leaves managedFields out keeps them.
      if (meta.managedFields === undefined && old.metadata.managedFields !== undefined) meta.managedFields = old.metadata.managedFields;
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
          throw invalid(resource.kind, resource.group, name, [
            { type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: 'no new finalizers can be added if the object is being deleted' },
          ]);
        }
      }
      if (resource.prepareForUpdate) next = resource.prepareForUpdate(next, old);
      if (generationMoves(resource, old, next)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    let admitted = this.admission.admit(resource, 'UPDATE', subresource, next, old, options.dryRun === true);
    // As upstream's `beginUpdate`: a Service whose type now needs an address or port gets one.
    const service = resource.resource === 'services' && subresource === undefined;
    if (service) admitted = this.services.allocate(admitted as unknown as Service, old as unknown as Service) as unknown as T;
    admitted = this.#withManagedFields(resource, old, admitted, options, subresource);
    for (const w of warnings) options.onWarning?.(w);
    if (deepEqual(admitted, old)) return { type: 'none', result: old };
    if (options.dryRun) return { type: 'none', result: deepFreeze(admitted) };
    const m = admitted.metadata;
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0) {
      return { type: 'remove', last: admitted };
    }
    return write(admitted, old, reuse && !service);
  }

  /**
   * `next` with its managedFields updated for a write by `options.fieldManager` (upstream's
   * field manager for non-apply requests, {@link recordUpdate}); `next` itself when the write
   * names no field manager.
   */
  #withManagedFields<T extends KubeObject>(resource: ResourceDefinition, old: T | undefined, next: T, options: WriteOptions, subresource: 'status' | undefined): T {
    const manager = options.fieldManager;
    if (manager === undefined || manager === '') return next;
    const managedFields = recordUpdate(old, next, next.metadata.managedFields, {
      manager,
      apiVersion: resource.apiVersion,
      time: formatTime(this.clock.now()),
      subresource,
      statusSubresource: resource.subresources.status === true,
    });
    if (managedFields === next.metadata.managedFields) return next;
    const metadata = { ...next.metadata };
    if (managedFields === undefined || managedFields.length === 0) delete metadata.managedFields;
    else metadata.managedFields = managedFields;
    return { ...next, metadata };
  }

  /**
   * What a delete does to the stored `old` (upstream's `Store.Delete` with graceful deletion
   * and `deletionFinalizersForGarbageCollection`): remove it, or mark it (`deletionTimestamp`,
   * grace period, GC finalizers) and keep it.
   */
  #decideDelete(resource: ResourceDefinition, key: StorageKey, old: KubeObject, options: DeleteOptions): UpdateDecision {
    this.checkDelete(resource, key, old, options);
    if (options.dryRun) return { type: 'none', result: old };

    const now = this.clock.now();
    const finalizers = finalizersAfterDelete(old.metadata.finalizers, options.propagationPolicy);
    const grace = resource.resource === 'pods' ? podGracePeriod(old as PodLike, options.gracePeriodSeconds) : 0;
    if (finalizers.size === 0 && grace === 0) {
      // A delete that takes the last GC finalizer away (Background after Foreground): the
      // DELETED event shows the object as it was last written, without the finalizer.
      if ((old.metadata.finalizers ?? []).length > 0) return { type: 'remove', last: withFinalizers(old, finalizers) };
      return { type: 'remove', last: old, result: old };
    }
    if (old.metadata.deletionTimestamp !== undefined && grace >= (old.metadata.deletionGracePeriodSeconds ?? 0)) {
      // Already being deleted, and this request does not shorten the grace period: only a change
      // of propagation policy (the GC finalizers) is written.
      if (sameFinalizers(old, finalizers)) return { type: 'none', result: old };
      return write(withFinalizers(old, finalizers), old, false);
    }
    // Upstream marks the object and keeps it: `deletionTimestamp` is when it should be gone,
    // `deletionGracePeriodSeconds` 0 for finalizer-only waits.
    // As upstream's `BeforeDelete`: the first graceful deletion changes what the object's
    // controllers should do, so a generation above 0 moves too.
    const generation = old.metadata.generation;
    const next: KubeObject = {
      ...old,
      metadata: {
        ...old.metadata,
        deletionTimestamp: formatTime(now + grace * 1000),
        deletionGracePeriodSeconds: grace,
        ...(finalizers.size > 0 ? { finalizers: [...finalizers] } : {}),
        ...(old.metadata.deletionTimestamp === undefined && generation !== undefined && generation > 0 ? { generation: generation + 1 } : {}),
      },
    };
    return write(next, old, false);
  }

  /** A delete's preconditions (409 with upstream's messages) and validating admission hooks. */
  checkDelete(resource: ResourceDefinition, key: StorageKey, old: KubeObject, options: DeleteOptions): void {
    // Upstream's handler validates the options before the store sees them (`ValidateDeleteOptions`).
    const policy: string | undefined = options.propagationPolicy;
    if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
      throw invalid('DeleteOptions', 'meta.k8s.io', '', [notSupported('propagationPolicy', policy, ['Foreground', 'Background', 'Orphan', 'nil'])]);
    }
    checkPreconditions(resource, key, old, options.preconditions);
    this.admission.validate(resource, 'DELETE', undefined, old, old, options.dryRun === true);
  }

  /**
   * The storage's `guaranteedUpdate` of one object, and what a removal entails: a terminating namespace that it leaves empty goes too.
   *
   * The returned promise is the storage's own, so a storage that settles at once (memory)
   * answers the client in the same turn, as a synchronous server would.
   */
  guaranteedUpdate(resource: ResourceDefinition, key: StorageKey, tryUpdate: (current: KubeObject) => UpdateDecision): Promise<KubeObject> {
    let decided = false;
    let removed = false;
    const done = this.storage.guaranteedUpdate(key, (current) => {
      const decision = tryUpdate(current);
      decided = true;
      removed = decision.type === 'remove';
      return decision;
    });
    if (!resource.namespaced || (decided && !removed)) return done;
    const namespace = key.namespace ?? '';
    // Decided already: the namespace is looked at now, through the cache, as the removal's
    // immediate consequence; and again, from the storage, once the removal has settled (for a
    // storage whose cache lags).
    if (decided) removeNamespaceIfEmptyNow(this, namespace);
    done.then(() => (removed ? removeNamespaceIfEmpty(this, namespace) : undefined)).catch(() => undefined);
    return done;
  }

  #generateName(resource: ResourceDefinition, namespace: string | undefined, prefix: string): string {
    const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
    for (;;) {
      const name = base + this.#rng.nameSuffix(5);
      if (!this.storage.cache.get(this.key(resource, { namespace, name }))) return name;
    }
  }
}

function unknownResource(resource: string): ApiError {
  return new ApiError('NotFound', `the server could not find the requested resource (${resource} is not registered)`);
}

/** A watch's start revision: none for `''`/`'0'`/absent (state first); 400 when not a revision. */
function parseRevision(resourceVersion: string | undefined): number | undefined {
  if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') return undefined;
  const from = Number(resourceVersion);
  if (!Number.isSafeInteger(from) || from < 0) throw badRequest(`invalid resource version "${resourceVersion}"`);
  return from;
}


/**
 * The metadata a `/status` write stores: the stored metadata, with the request's annotations for
 * a kind whose `/status` writes them (checked as a main-resource write checks them).
 */
function statusMetadata(resource: ResourceDefinition, old: KubeObject, body: KubeObject): KubeObject['metadata'] {
  const meta = { ...old.metadata };
  if (!resource.statusWritesAnnotations) return meta;
  const raw = { metadata: { annotations: body.metadata?.annotations } };
  const parsed = ObjectMetaSchema.shape.annotations.safeParse(raw.metadata.annotations);
  if (!parsed.success) {
    throw invalid(resource.kind, resource.group, meta.name ?? '', zodIssuesToFieldErrors(parsed.error.issues.map((i) => ({ ...i, path: ['metadata', 'annotations', ...i.path] })), raw));
  }
  if (parsed.data === undefined) delete meta.annotations;
  else meta.annotations = parsed.data;
  rejectIfInvalid(resource, meta.name ?? '', validateObjectMeta(resource, { ...old, metadata: meta }));
  return meta;
}

/**
 * Whether an update moves `metadata.generation`, by the kind's {@link GenerationRule}: a change of
 * anything outside `metadata` (and `status`, for a kind that serves `/status`), or of the
 * labels or annotations the rule names.
 */
function generationMoves(resource: ResourceDefinition, old: KubeObject, next: KubeObject): boolean {
  const rule = resource.generation;
  if (rule === 'none') return false;
  if (rule === 'spec-and-labels' && !deepEqual(old.metadata.labels ?? {}, next.metadata.labels ?? {})) return true;
  if (rule === 'spec-and-annotations' && !deepEqual(old.metadata.annotations ?? {}, next.metadata.annotations ?? {})) return true;
  const statusApart = resource.subresources.status === true;
  const a = old as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  for (const key in a) if (counts(key, statusApart) && !deepEqual(a[key], b[key])) return true;
  for (const key in b) if (counts(key, statusApart) && !(key in a) && b[key] !== undefined) return true;
  return false;
}

/** Whether a top-level field takes part in {@link generationMoves}'s comparison. */
function counts(key: string, statusApart: boolean): boolean {
  return key !== 'metadata' && key !== 'apiVersion' && key !== 'kind' && !(statusApart && key === 'status');
}

/** Runs `f`, turning a synchronous throw into a rejected promise (the verbs' error channel). */
function settle<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * A decision to write `next` over `old`. `decoded` tells whether the fields that are not
 * `old`'s came out of decoding by the kind's definition with no mutating hook; if not, they are
 * marked so that later updates parse them again rather than reuse them (see `markUndecoded`).
 */
export function write(next: KubeObject, old: KubeObject, decoded: boolean): UpdateDecision {
  if (!decoded) markUndecoded(next, old);
  return { type: 'write', object: next };
}

/**
 * A write's preconditions against the stored object (upstream's `storage.Preconditions`, checked
 * before the write is decided): `Conflict` (409) with upstream's message when the uid or the
 * resourceVersion they name is not the object's. A delete's come from its options, a binding's
 * from the `Binding`'s metadata.
 */
export function checkPreconditions(resource: ResourceDefinition, key: StorageKey, old: KubeObject, pre: Preconditions | undefined): void {
  if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
    throw conflict(resource.plural, resource.group, key.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
    throw conflict(
      resource.plural,
      resource.group,
      key.name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
    );
  }
}

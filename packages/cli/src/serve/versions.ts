/**
 * The versions a kind is served in besides its stored one (a definition's `servedVersions`,
 * e.g. `autoscaling/v1` HorizontalPodAutoscalers beside the stored `autoscaling/v2`), as
 * kube-apiserver serves every version of a group over one storage version: discovery lists
 * them after the stored version (which stays preferred), and their URLs answer objects in their
 * own form.
 *
 * A {@link VersionView} describes one such version; a {@link ViewClient} speaks it over the
 * cluster's client. Writes send the version's own body, which the API server converts with the
 * definition's `conversions` (and validates as usual); reads and watch events are converted with
 * `servedVersions`. A patch is applied to the object in the version's form, as upstream patches
 * in the request's version, then written back as an update at the revision it was applied to
 * (retried on a conflict unless the patch names a resourceVersion).
 *
 * @module
 */
import { map } from 'rxjs';
import type { Observable } from 'rxjs';
import { ApiError, applyJsonPatch, applyMergePatch, isApiError } from '@kubeloop/core';
import type {
  BindOptions, BindingTarget, Client, DeleteOptions, KubeObject, ListOptions, ObjectKey, ObjectList, Patch, PatchOptions, ResourceDefinition, ResourceRegistry, Scale, WatchEvent,
  WatchOptions, WriteOptions,
} from '@kubeloop/core';

/** One other version a kind is served in. */
export interface VersionView {
  /** The definition the objects are stored with. */
  readonly stored: ResourceDefinition;
  /**
   * The kind as served in this version: the stored definition's names with this version's
   * `version` and `apiVersion`, and no conversions. Only for routing and discovery: the API
   * server is always called with {@link VersionView.stored}.
   */
  readonly def: ResourceDefinition;
  /** A stored object in this version's form. */
  readonly fromStored: (object: KubeObject) => KubeObject;
  /** An object of this version in the stored form, for what reads the stored fields (the table printer). */
  readonly toStored: (object: KubeObject) => KubeObject;
}

const views = new WeakMap<ResourceDefinition, readonly VersionView[]>();

/** The other versions `def` is served in, in the order its `servedVersions` lists them. */
export function versionViews(def: ResourceDefinition): readonly VersionView[] {
  let found = views.get(def);
  if (found === undefined) {
    found = Object.entries(def.servedVersions ?? {}).flatMap(([apiVersion, conversion]): VersionView[] => {
      const back = def.conversions?.[apiVersion];
      if (back === undefined) return [];
      const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
      const { conversions: _c, servedVersions: _s, ...names } = def;
      return [
        {
          stored: def,
          def: Object.freeze({ ...names, version, apiVersion }),
          fromStored: (o) => conversion.fromStored(o) as unknown as KubeObject,
          toStored: (o) => ({ ...back(o as unknown as Record<string, unknown>), apiVersion: def.apiVersion }) as unknown as KubeObject,
        },
      ];
    });
    views.set(def, found);
  }
  return found;
}

/** The view of `def` in `version`, if it is served in it. */
export function versionView(def: ResourceDefinition, version: string): VersionView | undefined {
  return versionViews(def).find((v) => v.def.version === version);
}

/** Every definition served: the registry's, then the other versions of each ({@link versionViews}). */
export function servedDefinitions(registry: ResourceRegistry): readonly ResourceDefinition[] {
  const stored = registry.all();
  return [...stored, ...stored.flatMap((def) => versionViews(def).map((v) => v.def))];
}

/**
 * A client that speaks one {@link VersionView} over the cluster's client: calls on the view's
 * definition are made on the stored one and their objects converted; calls on any other
 * definition pass through unchanged.
 */
export class ViewClient implements Client {
  readonly #base: Client;
  readonly #view: VersionView;

  constructor(base: Client, view: VersionView) {
    this.#base = base;
    this.#view = view;
  }

  /** The stored definition for `resource` when it is the view's. */
  #stored<T extends KubeObject>(resource: ResourceDefinition<T>): ResourceDefinition<T> {
    return (resource === (this.#view.def as unknown) ? this.#view.stored : resource) as ResourceDefinition<T>;
  }

  #out<T extends KubeObject>(resource: ResourceDefinition<T>, object: T): T {
    return resource === (this.#view.def as unknown) ? (this.#view.fromStored(object) as T) : object;
  }

  /** Reads one object, in the view's form. */
  async get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    return this.#out(resource, await this.#base.get(this.#stored(resource), key));
  }

  /** Lists objects, each in the view's form, as a list of the view's `apiVersion`. */
  async list<T extends KubeObject>(resource: ResourceDefinition<T>, options?: ListOptions): Promise<ObjectList<T>> {
    const list = await this.#base.list(this.#stored(resource), options);
    if (resource !== (this.#view.def as unknown)) return list;
    return { ...list, apiVersion: resource.apiVersion, items: list.items.map((o) => this.#out(resource, o)) };
  }

  /** Watches, each event's object in the view's form. */
  watch<T extends KubeObject>(resource: ResourceDefinition<T>, options?: WatchOptions): Observable<WatchEvent<T>> {
    const events = this.#base.watch(this.#stored(resource), options);
    if (resource !== (this.#view.def as unknown)) return events;
    return events.pipe(map((e): WatchEvent<T> => (e.type === 'BOOKMARK' ? e : { type: e.type, object: this.#out(resource, e.object) })));
  }

  /** Creates from a body of the view's version (the API server converts it). */
  async create<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options?: WriteOptions): Promise<T> {
    return this.#out(resource, await this.#base.create(this.#stored(resource), object, options));
  }

  /** Replaces from a body of the view's version. */
  async update<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options?: WriteOptions): Promise<T> {
    return this.#out(resource, await this.#base.update(this.#stored(resource), object, options));
  }

  /** Replaces the status from a body of the view's version. */
  async updateStatus<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options?: WriteOptions): Promise<T> {
    return this.#out(resource, await this.#base.updateStatus(this.#stored(resource), object, options));
  }

  /**
   * Patches the object in the view's form and writes it back at the revision it was read at;
   * on a conflict, reads and patches again (at most 5 times) unless the patch itself set the
   * resourceVersion.
   */
  async patch<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, patch: Patch, options?: PatchOptions): Promise<T> {
    if (resource !== (this.#view.def as unknown)) return this.#base.patch(resource, key, patch, options);
    const { subresource, ...write } = options ?? {};
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(resource, key);
      const next = patch.type === 'json' ? applyJsonPatch(current, patch.body) : applyMergePatch(current, patch.body);
      if (next === null || typeof next !== 'object' || Array.isArray(next)) throw new ApiError('BadRequest', 'the patch replaced the whole object with a value that is not one');
      const object = next as T;
      const pinned = object.metadata?.resourceVersion !== current.metadata.resourceVersion;
      try {
        return await (subresource === 'status' ? this.updateStatus(resource, object, write) : this.update(resource, object, write));
      } catch (e) {
        if (isApiError(e, 'Conflict') && !pinned && attempt < 5) continue;
        throw e;
      }
    }
  }

  /** Deletes; the object answered is in the view's form. */
  async delete<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, options?: DeleteOptions): Promise<T> {
    return this.#out(resource, await this.#base.delete(this.#stored(resource), key, options));
  }

  /** The scale subresource of the stored kind. */
  getScale(resource: ResourceDefinition, key: ObjectKey): Promise<Scale> {
    return this.#base.getScale(this.#stored(resource), key);
  }

  /** Writes the scale subresource of the stored kind. */
  updateScale(resource: ResourceDefinition, key: ObjectKey, scale: Scale): Promise<Scale> {
    return this.#base.updateScale(this.#stored(resource), key, scale);
  }

  /** Binds a pod (passed through). */
  bind(key: ObjectKey, target: BindingTarget, options?: BindOptions): Promise<void> {
    return this.#base.bind(key, target, options);
  }

  /** Evicts a pod (passed through). */
  evict(key: ObjectKey, options?: DeleteOptions): Promise<void> {
    return this.#base.evict(key, options);
  }
}

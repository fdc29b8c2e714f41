/**
 * The resource registry: how the API server knows a kind. Built-in kinds and plugins' custom
 * resources are defined the same way, with {@link defineResource}.
 *
 * @module
 */
import type { z } from 'zod';
import type { FieldError } from './errors.js';
import type { KubeObject } from './meta.js';

/**
 * How the `scale` subresource reads and writes a scalable kind, as a CRD's
 * `subresources.scale`: dotted paths into the object.
 */
export interface ScaleSubresource {
  /** Path of the desired replica count, e.g. `spec.replicas`. */
  readonly specReplicasPath: string;
  /** Path of the observed replica count, e.g. `status.replicas`. */
  readonly statusReplicasPath: string;
  /**
   * Path of the pod selector. It may hold a structured `LabelSelector` (as
   * `spec.selector` of a Deployment) or its string form; `Scale.status.selector` is the string.
   */
  readonly labelSelectorPath?: string;
}

/** Which subresources a kind serves besides the main resource. */
export interface Subresources {
  /** `/status`: status is written only through it, and the main resource cannot change status. */
  readonly status?: boolean;
  /** `/scale`, for kinds with a replica count. */
  readonly scale?: ScaleSubresource;
}

/**
 * Whether, and on what, the API server keeps `metadata.generation` for a kind, as the kind's
 * upstream strategy does:
 * - `spec` (the default, as for custom resources): 1 on create, plus one on an update that
 *   changes any top-level field but `metadata` (and `status`, when the kind serves `/status`);
 * - `spec-and-labels` (EndpointSlice), `spec-and-annotations` (Deployment): also on a change of
 *   `metadata.labels`, respectively `metadata.annotations`;
 * - `none` (ConfigMap, Service, Node, …): the server neither sets nor bumps it; a create keeps
 *   what the request carried, an update keeps the stored value.
 *
 * Whatever the rule, the first graceful deletion of an object (its `deletionTimestamp` set)
 * adds one to a generation above 0.
 */
export type GenerationRule = 'spec' | 'spec-and-labels' | 'spec-and-annotations' | 'none';

/** How a name is validated, as upstream's name validators. */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'path-segment';

/**
 * Everything needed to define a resource. Only the identity, `namespaced` and `schema` are
 * required; the hooks refine admission.
 */
export interface ResourceSpec<T extends KubeObject, In = unknown> {
  /** API group; `''` for the core group. */
  readonly group: string;
  /** Version served and stored, e.g. `v1`. */
  readonly version: string;
  /** Kind, e.g. `Deployment`. */
  readonly kind: string;
  /** Plural resource name used in URLs and errors, e.g. `deployments`. */
  readonly plural: string;
  /** Singular name; defaults to the lowercased kind. */
  readonly singular?: string;
  /** Short names for the CLI, e.g. `['deploy']`. */
  readonly shortNames?: readonly string[];
  /** Whether objects live in a namespace. */
  readonly namespaced: boolean;
  /**
   * The object schema. Parsing applies defaults and drops unknown fields (the API server's
   * pruning); the dropped fields are reported as warnings.
   */
  readonly schema: z.ZodType<T, In>;
  /** Served subresources. */
  readonly subresources?: Subresources;
  /**
   * The verbs the kind serves, as discovery lists them (upstream: what its REST storage
   * implements); every verb when absent. A write whose verb is not listed is refused with 405
   * MethodNotAllowed, unless it is marked with `internalWrite` by the plugin that serves the
   * kind (the metrics API is `['get', 'list']`; metrics-server writes it that way). Reads are
   * not restricted in process (informers may still watch such a kind).
   */
  readonly verbs?: readonly ResourceVerb[];
  /** How `metadata.name` is validated; defaults to `dns1123-subdomain`. */
  readonly nameRule?: NameRule;
  /** Whether and when the server keeps `metadata.generation`; defaults to `spec`. */
  readonly generation?: GenerationRule;
  /**
   * Whether a `/status` write also writes `metadata.annotations` (default: it writes `status`
   * only). Upstream's status strategy of a Deployment resets only its spec and labels, and the
   * deployment controller sets its revision annotation that way, without moving `generation`.
   */
  readonly statusWritesAnnotations?: boolean;
  /**
   * Defaulting that needs more than the schema (e.g. a default that depends on another field).
   * Receives a fresh, parsed object it may return modified; must be pure.
   */
  defaults?(obj: T): T;
  /**
   * Upstream's strategy `PrepareForCreate`: runs after the server has set `metadata.uid`,
   * `creationTimestamp` and (by the kind's {@link GenerationRule}) `generation`, before
   * validation (e.g. a Job's generated selector, which embeds the uid). Receives a fresh object
   * it may return modified.
   */
  prepareForCreate?(obj: T): T;
  /**
   * Upstream's strategy `PrepareForUpdate`: runs on an update before validation, with the
   * stored object (e.g. a Service update that leaves out its allocated clusterIP keeps it).
   */
  prepareForUpdate?(obj: T, old: T): T;
  /** Semantic validation on create and update (beyond the schema), with field paths. */
  validate?(obj: T): FieldError[];
  /** Extra rules for updates only, such as immutable fields. */
  validateUpdate?(obj: T, old: T): FieldError[];
  /**
   * Conversions from other served versions, keyed by `apiVersion` (e.g. `autoscaling/v1` for
   * HorizontalPodAutoscaler): each takes the raw manifest and returns one in this version.
   */
  readonly conversions?: Readonly<Record<string, (raw: Record<string, unknown>) => Record<string, unknown>>>;
  /**
   * Other versions the API serves this kind in besides {@link ResourceSpec.version} (upstream: a
   * group's versions other than the storage one), keyed by `apiVersion`: how a stored object
   * reads in each. Each needs its way back in {@link ResourceSpec.conversions}. `kubeloop serve`
   * lists them in discovery after the stored version, which stays the preferred one, and
   * answers their URLs in their own form (e.g. `autoscaling/v1` HorizontalPodAutoscalers, which
   * `kubectl autoscale` creates).
   */
  readonly servedVersions?: Readonly<Record<string, VersionConversion<T>>>;
  /**
   * Field selectors the kind supports besides `metadata.name` and `metadata.namespace`,
   * e.g. `spec.nodeName` and `status.phase` for pods. Each reads the field's string value.
   */
  readonly fieldSelectors?: Readonly<Record<string, FieldGetter<T>>>;
}

/** How a stored object reads in another served version (method form keeps definitions covariant). */
export interface VersionConversion<T> {
  /** `obj`, stored in the definition's version, as an object of the other version (a new object). */
  fromStored(obj: T): Record<string, unknown>;
}

/** Reads one selectable field of an object as a string (method form keeps definitions covariant). */
export interface FieldGetter<T> {
  /** The field's value, or `undefined` when it is unset. */
  get(obj: T): string | undefined;
}

/** A verb of the REST API, as RBAC and discovery name it. */
export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * A registered resource: the spec plus derived names. Created by {@link defineResource}.
 * `T` is the stored (decoded, defaulted) object type that reads return; `In` is what writes
 * accept — the schema's input, in which defaulted fields may be left out, as in a manifest.
 */
export interface ResourceDefinition<T extends KubeObject = KubeObject, In = unknown> extends ResourceSpec<T, In> {
  /** `group/version`, or `version` for the core group. */
  readonly apiVersion: string;
  /** `<Kind>List`. */
  readonly listKind: string;
  /** Lowercased kind unless given. */
  readonly singular: string;
  /** Served subresources (empty when none). */
  readonly subresources: Subresources;
  /** The name rule in force. */
  readonly nameRule: NameRule;
  /** The generation rule in force. */
  readonly generation: GenerationRule;
  /** `plural.group`, or `plural` for the core group: how upstream names a resource in messages. */
  readonly resource: string;
}

/** The type of the stored objects of a resource definition (what reads return). */
export type ObjectOf<R> = R extends ResourceDefinition<infer T, infer _In> ? T : never;

/** The type a resource definition accepts on writes (a manifest: defaulted fields optional). */
export type InputOf<R> = R extends ResourceDefinition<infer _T, infer In> ? In : never;

/**
 * Defines a resource (a built-in kind or a custom resource) from its spec.
 *
 * @example
 * ```ts
 * const Widgets = defineResource({
 *   group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true,
 *   schema: WidgetSchema, subresources: { status: true },
 * });
 * ```
 */
export function defineResource<T extends KubeObject, In = unknown>(spec: ResourceSpec<T, In>): ResourceDefinition<T, In> {
  return Object.freeze({
    ...spec,
    apiVersion: spec.group === '' ? spec.version : `${spec.group}/${spec.version}`,
    listKind: `${spec.kind}List`,
    singular: spec.singular ?? spec.kind.toLowerCase(),
    subresources: spec.subresources ?? {},
    nameRule: spec.nameRule ?? 'dns1123-subdomain',
    generation: spec.generation ?? 'spec',
    resource: spec.group === '' ? spec.plural : `${spec.plural}.${spec.group}`,
  });
}

/** Thrown by {@link ResourceRegistry.register} when a kind or plural is already taken. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

/**
 * The set of resources an API server serves, looked up by `apiVersion` + `kind` (manifests),
 * by group + plural (URLs, CLI) or by short name.
 *
 * Guarantees: a kind is registered once; `apiVersion`s listed in a definition's `conversions`
 * also resolve to it.
 */
export class ResourceRegistry {
  readonly #byGvk = new Map<string, ResourceDefinition>();
  readonly #byResource = new Map<string, ResourceDefinition>();
  readonly #byName = new Map<string, ResourceDefinition>();

  /**
   * Registers a definition.
   *
   * @throws {@link RegistryError} when its kind or plural is already registered.
   */
  register(def: ResourceDefinition): this {
    const gvk = `${def.apiVersion}/${def.kind}`;
    if (this.#byGvk.has(gvk)) throw new RegistryError(`kind ${def.kind} in ${def.apiVersion} is already registered`);
    if (this.#byResource.has(def.resource)) throw new RegistryError(`resource ${def.resource} is already registered`);
    this.#byGvk.set(gvk, def);
    for (const other of Object.keys(def.conversions ?? {})) this.#byGvk.set(`${other}/${def.kind}`, def);
    this.#byResource.set(def.resource, def);
    for (const name of [def.plural, def.singular, def.kind.toLowerCase(), ...(def.shortNames ?? [])]) {
      if (!this.#byName.has(name)) this.#byName.set(name, def);
    }
    return this;
  }

  /** The definition serving `apiVersion` + `kind` (directly or by conversion), if any. */
  forKind(apiVersion: string, kind: string): ResourceDefinition | undefined {
    return this.#byGvk.get(`${apiVersion}/${kind}`);
  }

  /** The definition of a resource by `plural` or `plural.group` (e.g. `deployments.apps`). */
  forResource(resource: string): ResourceDefinition | undefined {
    return this.#byResource.get(resource);
  }

  /**
   * The definition a user means by a name as `kubectl get` accepts it: plural, singular, kind
   * or short name, case-insensitive (`pods`, `pod`, `Pod`, `po`, `deployments.apps`).
   */
  lookup(name: string): ResourceDefinition | undefined {
    const lower = name.toLowerCase();
    return this.#byResource.get(lower) ?? this.#byName.get(lower);
  }

  /** Every registered definition, in registration order. */
  all(): readonly ResourceDefinition[] {
    return [...this.#byResource.values()];
  }
}

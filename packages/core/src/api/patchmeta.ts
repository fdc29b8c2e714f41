/**
 * How the lists and maps of the built-in kinds merge, by field name: the one table that strategic
 * merge patch (`patchStrategy`/`patchMergeKey`), server-side apply (`listType`/`listMapKeys`) and
 * the served OpenAPI (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`,
 * `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`) all read.
 *
 * The entries are upstream's struct tags of the core/v1, apps/v1, batch/v1 and meta/v1 types
 * (`+patchStrategy=merge`, `+patchMergeKey=name`, `+listType=map`, `+listMapKey=name`).
 *
 * Caveat: lists are looked up by field name, not by their place in a kind's schema (upstream
 * looks them up by type); the names below mean the same list wherever the built-in kinds use
 * them. A list not in the table is atomic (replaced as a whole), as upstream treats a list
 * without a list type.
 *
 * @module
 */

/**
 * How one list field merges. `map` lists merge item by item, each item identified by the
 * values of `keys` (`containers` by `name`); `set` lists hold unique scalars; `atomic` lists are
 * replaced whole.
 */
export type ListFieldMeta =
  | {
      readonly listType: 'map';
      /**
       * The candidate key tuples: the first whose first key the items carry is used (`ports` of a
       * container are keyed by `containerPort` and `protocol`, those of a Service by `port` and
       * `protocol`). The first key of a tuple is the strategic merge patch's `patchMergeKey`.
       */
      readonly keys: readonly (readonly string[])[];
      /** `x-kubernetes-patch-strategy`: `merge`, or `merge,retainKeys` (volumes). */
      readonly patchStrategy: string;
    }
  | { readonly listType: 'set'; readonly patchStrategy?: string }
  | { readonly listType: 'atomic' };

/** The list fields of the built-in kinds that are not atomic, by field name. */
export const LIST_FIELDS: Readonly<Record<string, ListFieldMeta>> = {
  containers: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  initContainers: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  ephemeralContainers: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  env: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  volumes: { listType: 'map', keys: [['name']], patchStrategy: 'merge,retainKeys' },
  volumeMounts: { listType: 'map', keys: [['mountPath']], patchStrategy: 'merge' },
  volumeDevices: { listType: 'map', keys: [['devicePath']], patchStrategy: 'merge' },
  imagePullSecrets: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  ports: { listType: 'map', keys: [['containerPort', 'protocol'], ['port', 'protocol']], patchStrategy: 'merge' },
  hostAliases: { listType: 'map', keys: [['ip']], patchStrategy: 'merge' },
  conditions: { listType: 'map', keys: [['type']], patchStrategy: 'merge' },
  ownerReferences: { listType: 'map', keys: [['uid']], patchStrategy: 'merge' },
  resourceClaims: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  schedulingGates: { listType: 'map', keys: [['name']], patchStrategy: 'merge' },
  topologySpreadConstraints: { listType: 'map', keys: [['topologyKey', 'whenUnsatisfiable']], patchStrategy: 'merge' },
  finalizers: { listType: 'set', patchStrategy: 'merge' },
};

/**
 * Object fields that are atomic (`+structType=atomic` / `+mapType=atomic`): replaced whole and
 * owned as one field by server-side apply. Every `selector` of the built-in kinds is one
 * (`LabelSelector`, and a Service's selector map).
 */
export const ATOMIC_OBJECT_FIELDS: ReadonlySet<string> = new Set(['selector']);

const ATOMIC: ListFieldMeta = { listType: 'atomic' };

/** How the list field `field` merges (atomic when the table does not name it). */
export function listMetaOf(field: string): ListFieldMeta {
  return Object.hasOwn(LIST_FIELDS, field) ? LIST_FIELDS[field]! : ATOMIC;
}

/**
 * The key tuple of the `map` list `field` for `items` (the first candidate whose first key an
 * item carries, else the first candidate), or undefined when the list is not a `map` list.
 *
 * @example
 * ```ts
 * listMapKeysOf('ports', [{ port: 80 }]); // ['port', 'protocol']
 * ```
 */
export function listMapKeysOf(field: string, items: readonly unknown[]): readonly string[] | undefined {
  const meta = listMetaOf(field);
  if (meta.listType !== 'map') return undefined;
  const carries = (key: string): boolean => items.some((item) => item !== null && typeof item === 'object' && (item as Record<string, unknown>)[key] !== undefined);
  return meta.keys.find((tuple) => carries(tuple[0]!)) ?? meta.keys[0];
}

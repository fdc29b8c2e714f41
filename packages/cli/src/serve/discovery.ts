/**
 * API discovery documents generated from the resource registry, as kube-apiserver serves them:
 * the legacy documents (`/api` → `APIVersions`, `/apis` → `APIGroupList`, `/api/v1` and
 * `/apis/<group>/<version>` → `APIResourceList`) and the aggregated one kubectl 1.26+ asks for
 * (`APIGroupDiscoveryList` of `apidiscovery.k8s.io`, `v2beta1` and `v2`).
 *
 * @module
 */
import type { ResourceDefinition, ResourceRegistry } from '@kubeloop/core';
import { servedDefinitions } from './versions.js';

/** The verbs every served resource supports through `kubeloop serve`. */
export const RESOURCE_VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * A resource served without a registry kind: create-only and never stored (upstream's review
 * kinds, TokenReview, SubjectAccessReview and the like, whose REST storage only implements
 * `Creater`). Discovery lists it beside the registry's kinds so kubectl can map its kind.
 */
export interface CreateOnlyResource {
  /** Its API group, e.g. `authentication.k8s.io`. */
  readonly group: string;
  /** The version discovery lists it under (the preferred one), e.g. `v1`. */
  readonly version: string;
  /** Its kind, e.g. `TokenReview`. */
  readonly kind: string;
  /** Its plural (the URL segment), e.g. `tokenreviews`. */
  readonly resource: string;
  /** Whether it is posted inside a namespace (upstream: only LocalSubjectAccessReview). */
  readonly namespaced: boolean;
}

/** The verbs of a {@link CreateOnlyResource}: `create` only, as upstream lists the review kinds. */
const CREATE_ONLY_VERBS: readonly string[] = ['create'];

/** The resources upstream puts in the `all` category (what `kubectl get all` lists). */
const ALL_CATEGORY = new Set(['pods', 'replicationcontrollers', 'services', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps', 'horizontalpodautoscalers.autoscaling', 'jobs.batch', 'cronjobs.batch']);

/** One subresource of a resource: its name, the kind it speaks and its verbs. */
export interface SubresourceInfo {
  /** `status`, `scale`, `binding`, `eviction`. */
  readonly name: string;
  /** Group, version and kind of the subresource's body. */
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  /** Its verbs. */
  readonly verbs: readonly string[];
}

/** The subresources `kubeloop serve` serves for `def`. */
export function subresourcesOf(def: ResourceDefinition): SubresourceInfo[] {
  const own = { group: def.group, version: def.version, kind: def.kind };
  const out: SubresourceInfo[] = [];
  if (def.subresources.status) out.push({ name: 'status', kind: own, verbs: ['get', 'patch', 'update'] });
  if (def.subresources.scale) out.push({ name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
  if (def.group === '' && def.plural === 'pods') {
    out.push({ name: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] });
    out.push({ name: 'eviction', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
    out.push({ name: 'log', kind: own, verbs: ['get'] });
  }
  return out;
}

/**
 * The group versions served, in registration order: `{ group, version }`, the core group as
 * `''`; then those only `createOnly` resources are served in.
 */
export function groupVersions(registry: ResourceRegistry, createOnly: readonly CreateOnlyResource[] = []): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const def of servedDefinitions(registry)) seen.set(def.apiVersion, { group: def.group, version: def.version });
  for (const r of createOnly) {
    const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
    if (!seen.has(apiVersion)) seen.set(apiVersion, { group: r.group, version: r.version });
  }
  return [...seen.values()];
}

/** A create-only resource's entry in an `APIResourceList`. */
function createOnlyEntry(r: CreateOnlyResource): object {
  return { name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: CREATE_ONLY_VERBS };
}

/** A create-only resource's entry in an aggregated discovery version (`APIResourceDiscovery`). */
function createOnlyDiscovery(r: CreateOnlyResource): object {
  return { resource: r.resource, responseKind: { group: r.group, version: r.version, kind: r.kind }, scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.kind.toLowerCase(), verbs: CREATE_ONLY_VERBS };
}

function categoriesOf(def: ResourceDefinition): string[] | undefined {
  return ALL_CATEGORY.has(def.resource) ? ['all'] : undefined;
}

/** `GET /api`: the core group's versions (`APIVersions`). */
export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** `GET /apis`: every named group with its versions (`APIGroupList`), those of `createOnly` resources included. */
export function apiGroupList(registry: ResourceRegistry, createOnly: readonly CreateOnlyResource[] = []): object {
  const groups = new Map<string, string[]>();
  for (const { group, version } of groupVersions(registry, createOnly)) {
    if (group === '') continue;
    groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

/** `GET /apis/<group>`: one group (`APIGroup`), or undefined when not served (neither by the registry nor `createOnly`). */
export function apiGroup(registry: ResourceRegistry, group: string, createOnly: readonly CreateOnlyResource[] = []): object | undefined {
  const versions = groupVersions(registry, createOnly).filter((gv) => gv.group === group && group !== '').map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return versions.length === 0 ? undefined : { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

/**
 * `GET /api/v1` or `/apis/<group>/<version>`: its resources and subresources (`APIResourceList`),
 * the `createOnly` resources of that group version last, or undefined when it has none.
 */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string, createOnly: readonly CreateOnlyResource[] = []): object | undefined {
  const defs = servedDefinitions(registry).filter((d) => d.group === group && d.version === version);
  const extra = createOnly.filter((r) => r.group === group && r.version === version);
  if (defs.length === 0 && extra.length === 0) return undefined;
  const resources: object[] = [];
  for (const def of defs) {
    const categories = categoriesOf(def);
    resources.push({
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs ?? RESOURCE_VERBS,
      ...(def.shortNames && def.shortNames.length > 0 ? { shortNames: def.shortNames } : {}),
      ...(categories ? { categories } : {}),
    });
    for (const sub of subresourcesOf(def)) {
      // Another group version's kind names both (upstream: `pods/eviction` is `policy`/`v1`, which
      // kubectl drain's CheckEvictionSupport needs to evict rather than delete).
      const foreign = sub.kind.group !== group || sub.kind.version !== version;
      resources.push({ name: `${def.plural}/${sub.name}`, singularName: '', namespaced: def.namespaced, ...(foreign ? { group: sub.kind.group, version: sub.kind.version } : {}), kind: sub.kind.kind, verbs: sub.verbs });
    }
  }
  resources.push(...extra.map(createOnlyEntry));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
}

/** The aggregated discovery versions kubectl asks for (`v2beta1` up to 1.29, `v2` from 1.30). */
export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

/**
 * `GET /api` or `/apis` with `Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`:
 * the core group (`legacy`) or every named group, each with its versions' resources, in one
 * document (upstream `apidiscovery.k8s.io` `APIGroupDiscoveryList`); the `createOnly` resources
 * are listed after the registry's kinds of their group version.
 */
export function aggregatedDiscovery(registry: ResourceRegistry, legacy: boolean, version: AggregatedDiscoveryVersion, createOnly: readonly CreateOnlyResource[] = []): object {
  const groups = new Map<string, Map<string, { defs: ResourceDefinition[]; extra: CreateOnlyResource[] }>>();
  const entry = (group: string, v: string) => {
    const versions = groups.get(group) ?? new Map<string, { defs: ResourceDefinition[]; extra: CreateOnlyResource[] }>();
    groups.set(group, versions);
    const found = versions.get(v) ?? { defs: [], extra: [] };
    versions.set(v, found);
    return found;
  };
  for (const def of servedDefinitions(registry)) if ((def.group === '') === legacy) entry(def.group, def.version).defs.push(def);
  for (const r of createOnly) if ((r.group === '') === legacy) entry(r.group, r.version).extra.push(r);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [...groups].map(([group, versions]) => ({
      metadata: group === '' ? {} : { name: group },
      versions: [...versions].map(([v, { defs, extra }]) => ({
        version: v,
        resources: defs.map((def): object => {
          const categories = categoriesOf(def);
          const subresources = subresourcesOf(def).map((sub) => ({ subresource: sub.name, responseKind: sub.kind, verbs: sub.verbs }));
          return {
            resource: def.plural,
            responseKind: { group: def.group, version: def.version, kind: def.kind },
            scope: def.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: def.singular,
            verbs: def.verbs ?? RESOURCE_VERBS,
            ...(def.shortNames && def.shortNames.length > 0 ? { shortNames: def.shortNames } : {}),
            ...(categories ? { categories } : {}),
            ...(subresources.length > 0 ? { subresources } : {}),
          };
        }).concat(extra.map(createOnlyDiscovery)),
        freshness: 'Current',
      })),
    })),
  };
}

/** One protobuf field of wire type 2 (a string or an embedded message). */
type ProtoField = readonly [number, string | Buffer];

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A protobuf message made of length-delimited fields, in order. */
function protoMessage(fields: readonly ProtoField[]): Buffer {
  return Buffer.concat(
    fields.flatMap(([number, value]) => {
      const payload = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      return [varint((number << 3) | 2), varint(payload.length), payload];
    }),
  );
}

/**
 * The media type `/openapi/v2`'s protobuf is sent with, as kube-apiserver sends it (kubectl asks
 * for `…spec.v2@v1.0+protobuf`, which Go's MIME parser cannot read back as a response type).
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * `GET /openapi/v2` as kubectl asks for it (gnostic's `openapi.v2.Document` protobuf): a
 * partial document whose paths carry each resource's PATCH operation, tagged with
 * `x-kubernetes-group-version-kind` and with the `fieldValidation` query parameter — what
 * kubectl up to 1.28 reads to learn that the server validates fields itself. No schemas yet.
 */
export function openApiV2Protobuf(registry: ResourceRegistry): Buffer {
  const queryParam = (name: string): Buffer =>
    // ParametersItem.parameter(1) → Parameter.non_body_parameter(2) → NonBodyParameter.query_parameter_sub_schema(3) → { in(2), name(4) }
    protoMessage([[1, protoMessage([[2, protoMessage([[3, protoMessage([[2, 'query'], [4, name]])]])]])]]);
  const paths: ProtoField[] = [];
  for (const def of servedDefinitions(registry)) {
    const prefix = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
    const path = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}/{name}` : `${prefix}/${def.plural}/{name}`;
    const gvk = `group: "${def.group}"\nkind: ${def.kind}\nversion: ${def.version}\n`;
    const operation = protoMessage([
      [5, `patch${def.kind}`],
      ...['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((p): ProtoField => [8, queryParam(p)]),
      // vendor_extension(13): NamedAny { name(1), value(2): Any { yaml(2) } }
      [13, protoMessage([[1, 'x-kubernetes-group-version-kind'], [2, protoMessage([[2, gvk]])]])],
    ]);
    // Paths.path(2): NamedPathItem { name(1), value(2): PathItem { patch(8) } }
    paths.push([2, protoMessage([[1, path], [2, protoMessage([[8, operation]])]])]);
  }
  return protoMessage([[1, '2.0'], [2, protoMessage([[1, 'Kubernetes'], [2, 'v1.34.0']])], [8, protoMessage(paths)]]);
}

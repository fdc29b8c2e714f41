/**
 * Decoding of the protobuf bodies kubectl's typed clients send to the endpoints `auth.ts`
 * serves (`kubectl auth can-i`, `auth whoami`, `create token` post
 * `application/vnd.kubernetes.protobuf`): the `k8s\0` envelope around a `runtime.Unknown`,
 * then SelfSubjectAccessReview, (Local)SubjectAccessReview, SelfSubjectRulesReview,
 * SelfSubjectReview and TokenRequest, decoded into the JSON shape of the same objects.
 * Field numbers are those of upstream's `generated.proto` (`k8s.io/api/authorization/v1`,
 * `k8s.io/api/authentication/v1`).
 *
 * @module
 */
import { badRequest } from '@kubeloop/core';

/** The content type of Kubernetes protobuf bodies. */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  readonly number: number;
  readonly wire: number;
  readonly varint?: bigint;
  readonly bytes?: Buffer;
}

/** The fields of one protobuf message, in order; fails with a 400 on a truncated or malformed message. */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length || shift > 63n) throw badRequest('malformed protobuf body: truncated varint');
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ number, wire, varint: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      if (i + length > buf.length) throw badRequest('malformed protobuf body: truncated field');
      out.push({ number, wire, bytes: buf.subarray(i, i + length) });
      i += length;
    } else if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      if (i > buf.length) throw badRequest('malformed protobuf body: truncated field');
    } else throw badRequest(`malformed protobuf body: unsupported wire type ${wire}`);
  }
  return out;
}

/** How one message decodes: field number → JSON name and type (`string`, `strings`, `int`, a nested message, or an `extra` map). */
type Shape = Readonly<Record<number, readonly [string, 'string' | 'strings' | 'int' | 'extra' | Shape]>>;

function decode(buf: Buffer, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const entry = shape[f.number];
    if (entry === undefined) continue;
    const [name, type] = entry;
    if (type === 'int') {
      if (f.varint !== undefined) out[name] = Number(BigInt.asIntN(64, f.varint));
    } else if (f.bytes === undefined) {
      continue;
    } else if (type === 'string') {
      out[name] = f.bytes.toString('utf8');
    } else if (type === 'strings') {
      out[name] = [...((out[name] as string[] | undefined) ?? []), f.bytes.toString('utf8')];
    } else if (type === 'extra') {
      // map<string, ExtraValue>: entries of key (1) and value (2: repeated string items = 1)
      const entryFields = decode(f.bytes, { 1: ['key', 'string'], 2: ['value', { 1: ['items', 'strings'] }] });
      const map = (out[name] as Record<string, string[]> | undefined) ?? {};
      map[String(entryFields.key ?? '')] = ((entryFields.value as { items?: string[] } | undefined)?.items ?? []);
      out[name] = map;
    } else {
      out[name] = decode(f.bytes, type);
    }
  }
  return out;
}

const OBJECT_META: Shape = { 1: ['name', 'string'], 2: ['generateName', 'string'], 3: ['namespace', 'string'] };
const RESOURCE_ATTRIBUTES: Shape = { 1: ['namespace', 'string'], 2: ['verb', 'string'], 3: ['group', 'string'], 4: ['version', 'string'], 5: ['resource', 'string'], 6: ['subresource', 'string'], 7: ['name', 'string'] };
const NON_RESOURCE_ATTRIBUTES: Shape = { 1: ['path', 'string'], 2: ['verb', 'string'] };

const SUBJECT_ACCESS_REVIEW_SPEC: Shape = { 1: ['resourceAttributes', RESOURCE_ATTRIBUTES], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES], 3: ['user', 'string'], 4: ['groups', 'strings'], 5: ['extra', 'extra'], 6: ['uid', 'string'] };

/** The spec shapes of the kinds `auth.ts` serves, by kind. */
const SPECS: Readonly<Record<string, Shape>> = {
  SelfSubjectAccessReview: { 1: ['resourceAttributes', RESOURCE_ATTRIBUTES], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES] },
  SubjectAccessReview: SUBJECT_ACCESS_REVIEW_SPEC,
  LocalSubjectAccessReview: SUBJECT_ACCESS_REVIEW_SPEC,
  SelfSubjectRulesReview: { 1: ['namespace', 'string'] },
  SelfSubjectReview: {},
  TokenRequest: { 1: ['audiences', 'strings'], 3: ['boundObjectRef', { 1: ['kind', 'string'], 2: ['apiVersion', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'] }], 4: ['expirationSeconds', 'int'] },
};

/**
 * A protobuf body of one of the kinds `auth.ts` serves, as the JSON object it stands for
 * (`apiVersion`, `kind`, `metadata` with name and namespace, `spec`).
 *
 * Errors: a 400 `BadRequest` for a body without the `k8s\0` prefix, a malformed message, or a
 * kind other than those.
 */
export function decodeAuthProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw badRequest('malformed protobuf body: missing the k8s envelope');
  const unknown = decode(body.subarray(MAGIC.length), { 1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }] });
  const raw = fields(body.subarray(MAGIC.length)).find((f) => f.number === 2)?.bytes ?? Buffer.alloc(0);
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const spec = SPECS[typeMeta.kind ?? ''];
  if (spec === undefined) throw badRequest(`protobuf bodies of kind ${JSON.stringify(typeMeta.kind ?? '')} are not supported`);
  const object = decode(raw, { 1: ['metadata', OBJECT_META], 2: ['spec', spec] });
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, metadata: object.metadata ?? {}, spec: object.spec ?? {} };
}

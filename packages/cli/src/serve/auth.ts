/**
 * Authentication and authorization of `kubeloop serve`, as kube-apiserver does them with
 * `--token-auth-file`, ServiceAccount tokens, `--anonymous-auth=false` and
 * `--authorization-mode=RBAC`:
 *
 * - bearer tokens: the generated admin token (`kubernetes-admin` in `system:masters`, kubeadm's
 *   admin identity), a static token file (upstream's CSV `token,user,uid,"group1,group2"`), and
 *   ServiceAccount tokens the TokenRequest subresource (`serviceaccounts/<name>/token`, what
 *   `kubectl create token` calls) issues: JWTs for `system:serviceaccount:<ns>:<name>`, valid
 *   while unexpired on the cluster's clock and while the ServiceAccount (same uid) exists;
 * - every authenticated user is in `system:authenticated`; a request without a known token is
 *   a 401 `Unauthorized` (there is no anonymous user);
 * - the request's attributes are read from its URL as upstream's `RequestInfoFactory` reads
 *   them, and authorized by core's {@link authorize} (`system:masters`, then RBAC) over the
 *   cluster's roles and bindings; a denied request gets upstream's 403 message;
 * - impersonation (`Impersonate-User`, `-Group`, `-Uid`, `-Extra-*`; `kubectl --as`, `--as-group`):
 *   the request then acts as the user the headers name, once RBAC allows the `impersonate` verb
 *   on each (see {@link ApiAuth.impersonate});
 * - the review endpoints: SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview
 *   and LocalSubjectAccessReview, SelfSubjectRulesReview (`kubectl auth can-i --list`), SelfSubjectReview
 *   (`kubectl auth whoami`), TokenReview (whether a token authenticates, and as whom), all
 *   create-only and never stored.
 *
 * ServiceAccount tokens are signed with HMAC-SHA256 under a key drawn from a seeded generator
 * (upstream signs with the service account key pair, RS256): the same seed issues the same
 * tokens, as every random choice of a simulation. They are as secret as the seed.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  ApiError,
  ClusterRoleBindings,
  ClusterRoles,
  RoleBindings,
  Roles,
  SYSTEM_AUTHENTICATED,
  SYSTEM_MASTERS,
  ServiceAccounts,
  authorize,
  badRequest,
  formatTime,
  forbiddenStatusMessage,
  invalid,
  isApiError,
  rbacObjects,
  requestAttributes,
  rulesFor,
  serviceAccountGroups,
  serviceAccountUsername,
} from '@kubeloop/core';
import type { AuthorizationDecision, Client, Clock, FieldError, RequestAttributes, Rng, Status, UserInfo } from '@kubeloop/core';
import { PROTOBUF_CONTENT_TYPE, decodeAuthProtobuf } from './auth-protobuf.js';
import type { CreateOnlyResource } from './discovery.js';

// upstream's RequestInfoFactory lives in core (the traffic model's API server reads requests with it too)
export { requestAttributes };

/** kubeadm's admin user: `kubernetes-admin` in `system:masters`. */
export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] };

/** The issuer and audience of the ServiceAccount tokens (kube-apiserver's defaults, `--service-account-issuer`). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** A TokenRequest's default lifetime (upstream: one hour) and the bounds it must stay within. */
export const TOKEN_REQUEST_DEFAULT_SECONDS = 3600;
/**
 * The review kinds {@link ApiAuth.gate} answers, as upstream names, orders and scopes them (only
 * LocalSubjectAccessReview is namespaced), each at the version discovery lists it under:
 * what the handler's discovery must list (`ApiHandlerOptions.createOnly`) for kubectl to map
 * their kinds (`kubectl create -f tokenreview.yaml`). SelfSubjectReview is also answered at
 * `v1beta1` and `v1alpha1` (what older kubectl's `auth whoami` posts to).
 */
export const REVIEW_RESOURCES: readonly CreateOnlyResource[] = [
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', namespaced: false },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', resource: 'tokenreviews', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview', resource: 'localsubjectaccessreviews', namespaced: true },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', resource: 'selfsubjectrulesreviews', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false },
];

const TOKEN_REQUEST_MIN_SECONDS = 600;
const TOKEN_REQUEST_MAX_SECONDS = 2 ** 32;

/** Thrown by {@link parseTokenAuthFile} for a malformed file. */
export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

/** One CSV record per line, as Go's `encoding/csv` reads them (quoted fields may hold commas and `""`); blank lines skipped. */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = (): void => {
    record.push(field);
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n') {
      endRecord();
    } else if (c !== '\r') {
      field += c;
    }
    i++;
  }
  if (quoted) throw new TokenFileError(`extraneous or missing " in quoted-field`);
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/**
 * Reads a static token file (kube-apiserver's `--token-auth-file`): one CSV record per user,
 * `token,user,uid[,"group1,group2"]`. An empty token is skipped; a later duplicate wins; every
 * user is also in `system:authenticated`.
 *
 * @throws {@link TokenFileError} for a record of fewer than 3 columns or a broken quote.
 */
export function parseTokenAuthFile(text: string, path = 'token file'): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  for (const record of csvRecords(text)) {
    if (record.length < 3) throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`);
    const [token = '', username = '', uid = '', groups] = record;
    if (token === '') continue;
    const listed = groups === undefined ? [] : groups.split(',');
    tokens.set(token, { username, uid, groups: listed.includes(SYSTEM_AUTHENTICATED) ? listed : [...listed, SYSTEM_AUTHENTICATED] });
  }
  return tokens;
}

/** The answer the gate gives in the handler's place: a status code and a JSON body. */
export interface GateReply {
  /** HTTP status code. */
  readonly code: number;
  /** The JSON body (an object, or a Status). */
  readonly body: unknown;
}

/** How {@link ApiAuth} is built. */
export interface ApiAuthOptions {
  /** Where the roles, bindings and ServiceAccounts are read (the cluster's API server). */
  readonly client: Client;
  /** The cluster's clock: token lifetimes run on it. */
  readonly clock: Clock;
  /** The generator of the signing key and token ids (seeded: the same seed issues the same tokens). */
  readonly rng: Rng;
  /** The admin bearer token ({@link ADMIN_USER}). */
  readonly adminToken: string;
  /** More users by token (see {@link parseTokenAuthFile}). */
  readonly staticTokens?: ReadonlyMap<string, UserInfo> | undefined;
}

interface TokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly jti: string;
  readonly 'kubernetes.io': { readonly namespace: string; readonly serviceaccount: { readonly name: string; readonly uid: string } };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const unauthorized = (): GateReply => ({ code: 401, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } satisfies Status & { metadata: object } });

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The authenticator and authorizer of one served cluster. {@link ApiAuth.gate} is the hook the
 * handler calls once per request (but the health checks).
 *
 * Guarantees: a request without a valid token is answered 401, one RBAC does not allow 403 with
 * upstream's message, and neither reaches the handler; the review endpoints and TokenRequest are
 * answered here, after authorization; everything else is let through (`undefined`).
 */
export class ApiAuth {
  readonly #options: ApiAuthOptions;
  readonly #key: Buffer;
  readonly #rng: Rng;

  constructor(options: ApiAuthOptions) {
    this.#options = options;
    this.#rng = options.rng.fork();
    this.#key = Buffer.from(Array.from({ length: 32 }, () => this.#rng.int(256)));
  }

  /** The user a bearer token (the `Authorization` header's) stands for, or `undefined`. */
  async authenticate(header: string | undefined): Promise<UserInfo | undefined> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return undefined;
    const token = match[1]!;
    if (token === this.#options.adminToken) return ADMIN_USER;
    const user = this.#options.staticTokens?.get(token);
    if (user) return user;
    return (await this.#serviceAccount(token, [SERVICE_ACCOUNT_ISSUER]))?.user;
  }

  /** Core's {@link authorize} over the cluster's current roles and bindings. */
  async authorize(user: UserInfo, attributes: RequestAttributes): Promise<AuthorizationDecision> {
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    return authorize(await this.#rbac(attributes.kind === 'resource' ? attributes.namespace : ''), user, attributes);
  }

  /**
   * Issues a ServiceAccount token (the TokenRequest subresource): a JWT for
   * `system:serviceaccount:<namespace>:<name>` valid `expirationSeconds` on the cluster's clock.
   *
   * Errors: NotFound when the ServiceAccount does not exist.
   */
  async issueToken(namespace: string, name: string, audiences: readonly string[] = [SERVICE_ACCOUNT_ISSUER], expirationSeconds = TOKEN_REQUEST_DEFAULT_SECONDS): Promise<{ token: string; expiresAtMs: number }> {
    const account = await this.#options.client.get(ServiceAccounts, { namespace, name });
    const now = Math.floor(this.#options.clock.now() / 1000);
    const claims: TokenClaims = {
      aud: audiences,
      exp: now + expirationSeconds,
      iat: now,
      iss: SERVICE_ACCOUNT_ISSUER,
      jti: this.#rng.uuid(),
      'kubernetes.io': { namespace, serviceaccount: { name, uid: account.metadata.uid ?? '' } },
      nbf: now,
      sub: serviceAccountUsername(namespace, name),
    };
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return { token: `${unsigned}.${this.#sign(unsigned)}`, expiresAtMs: (now + expirationSeconds) * 1000 };
  }

  /**
   * The per-request hook: authenticates, authorizes, and answers the review endpoints and
   * TokenRequest; `undefined` lets the handler serve the request. `readBody` reads the request
   * body (the handler's reader, with its size limit). Throws an `ApiError` the handler turns
   * into a Status (bad review bodies, a missing ServiceAccount).
   */
  readonly gate = async (req: IncomingMessage, url: URL, readBody: () => Promise<unknown>): Promise<GateReply | undefined> => {
    const requestor = await this.authenticate(req.headers.authorization);
    if (requestor === undefined) return unauthorized();
    const acting = await this.impersonate(requestor, req.headersDistinct);
    if ('reply' in acting) return acting.reply;
    const user = acting.user;
    const attributes = requestAttributes(req.method ?? 'GET', url);
    const decision = await this.authorize(user, attributes);
    if (!decision.allowed) return forbidden(user, attributes, decision.reason);
    if (attributes.kind !== 'resource') return undefined;
    // kubectl's typed clients (can-i, whoami, create token) post protobuf; everything else is the handler's reader's.
    const protobuf = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
    try {
      return await this.#endpoint(user, attributes, url, protobuf ? async () => decodeAuthProtobuf(await rawBody(req)) : readBody);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      return { code: 413, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: e.message, reason: 'RequestEntityTooLarge', code: 413 } };
    }
  };

  async #endpoint(user: UserInfo, a: RequestAttributes & { kind: 'resource' }, url: URL, readBody: () => Promise<unknown>): Promise<GateReply | undefined> {
    const version = url.pathname.split('/').filter(Boolean)[a.group === '' ? 1 : 2] ?? '';
    const post = a.verb === 'create';
    if (a.group === '' && a.resource === 'serviceaccounts' && a.subresource === 'token' && version === 'v1') {
      if (!post) throw methodNotAllowed();
      return this.#tokenRequest(a.namespace, a.name, await readBody());
    }
    if (a.group === 'authentication.k8s.io' && a.resource === 'tokenreviews' && version === 'v1' && a.subresource === '') {
      if (!post || a.name !== '') throw methodNotAllowed();
      if (a.namespace !== '') throw badRequest(`namespace is not allowed on this type: ${a.namespace}`);
      return this.#tokenReview(await readBody());
    }
    const kind = REVIEW_RESOURCES.find((r) => r.group === a.group && r.resource === a.resource && r.kind !== 'TokenReview')?.kind;
    const versions = a.group === 'authentication.k8s.io' ? ['v1', 'v1beta1', 'v1alpha1'] : ['v1'];
    const local = kind === 'LocalSubjectAccessReview';
    if (kind === undefined || !versions.includes(version) || (a.namespace !== '') !== local || a.subresource !== '') return undefined;
    if (!post || a.name !== '') throw methodNotAllowed();
    const body = record(await readBody());
    const apiVersion = `${a.group}/${version}`;
    if (body.kind !== undefined && body.kind !== kind) throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
    const spec = record(body.spec);
    const answer = (status: object, echoed: object = spec): GateReply => ({ code: 201, body: { apiVersion, kind, metadata: { ...record(body.metadata), creationTimestamp: null }, spec: echoed, status } });
    switch (kind) {
      case 'SelfSubjectReview':
        return answer({ userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } }, {});
      case 'SelfSubjectRulesReview': {
        const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
        if (namespace === '') throw invalid(kind, a.group, '', [{ type: 'FieldValueRequired', field: 'spec.namespace', detail: '' }]);
        const rules = user.groups.includes(SYSTEM_MASTERS) ? rulesFor(rbacObjects({}), user, namespace) : rulesFor(await this.#rbac(namespace), user, namespace);
        return answer({ resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete, ...(rules.evaluationError ? { evaluationError: rules.evaluationError } : {}) });
      }
      default: {
        const subject = kind === 'SelfSubjectAccessReview' ? user : this.#subjectOf(kind, spec);
        const attributes = this.#reviewAttributes(kind, spec);
        if (local) {
          // Upstream's LocalSubjectAccessReview: resource attributes only, in the URL's namespace.
          if (attributes.kind !== 'resource') throw invalid(kind, a.group, '', [{ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: spec.nonResourceAttributes, detail: 'disallowed on this kind of request' }]);
          if (attributes.namespace !== a.namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${a.namespace}`);
        }
        const decision = await this.authorize(subject, attributes);
        return answer({ allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) });
      }
    }
  }

  /**
   * The user a request acts as: the authenticated `requestor`, or the one its impersonation
   * headers name (upstream's `WithImpersonation`): `Impersonate-User` (a ServiceAccount's
   * username is impersonated as that ServiceAccount), `Impersonate-Group` (repeatable),
   * `Impersonate-Uid`, `Impersonate-Extra-<key>`. The requestor must be allowed the
   * `impersonate` verb on each: `users`, `serviceaccounts` (in its namespace), `groups` (core
   * group), `userextras/<key>` and `uids` (`authentication.k8s.io`); the first one denied
   * answers 403 with upstream's message for it. Without `Impersonate-Groups` a ServiceAccount
   * gets its groups; a user other than `system:anonymous` is in `system:authenticated` unless the
   * groups name it or `system:unauthenticated`. Groups, uid or extras without a user: 500, as upstream.
   */
  async impersonate(requestor: UserInfo, headers: Record<string, string[] | undefined>): Promise<{ user: UserInfo } | { reply: GateReply }> {
    const username = headers['impersonate-user']?.[0] ?? '';
    const groupsAsked = headers['impersonate-group'] ?? [];
    const uid = headers['impersonate-uid']?.[0] ?? '';
    const extra: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(headers)) {
      if (!name.startsWith(IMPERSONATE_EXTRA) || values === undefined) continue;
      const key = decodeURIComponent(name.slice(IMPERSONATE_EXTRA.length)).toLowerCase();
      extra[key] = [...(extra[key] ?? []), ...values];
    }
    const hasExtra = Object.keys(extra).length > 0;
    if (username === '' && groupsAsked.length === 0 && uid === '' && !hasExtra) return { user: requestor };
    const asked: { readonly attributes: RequestAttributes & { kind: 'resource' }; readonly text: string }[] = [];
    const impersonate = (group: string, resource: string, name: string, namespace = '', subresource = '') => ({ kind: 'resource' as const, verb: 'impersonate', group, resource, subresource, namespace, name });
    const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
    if (account) asked.push({ attributes: impersonate('', 'serviceaccounts', account[2]!, account[1]!), text: `{ServiceAccount  ${account[1]} ${account[2]}    }` });
    else if (username !== '') asked.push({ attributes: impersonate('', 'users', username), text: `{User   ${username}    }` });
    for (const g of groupsAsked) asked.push({ attributes: impersonate('', 'groups', g), text: `{Group   ${g}    }` });
    for (const [key, values] of Object.entries(extra)) for (const v of values) asked.push({ attributes: impersonate('authentication.k8s.io', 'userextras', v, '', key), text: `{UserExtra   ${v}  authentication.k8s.io/v1  ${key}}` });
    if (uid !== '') asked.push({ attributes: impersonate('authentication.k8s.io', 'uids', uid), text: `{UID   ${uid}  authentication.k8s.io/v1  }` });
    if (username === '') {
      const message = `Internal error occurred: requested [${asked.map((a) => a.text).join(' ')}] without impersonating a user`;
      return { reply: { code: 500, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message: message.slice('Internal error occurred: '.length) }] }, code: 500 } } };
    }
    for (const { attributes } of asked) {
      const decision = await this.authorize(requestor, attributes);
      if (!decision.allowed) return { reply: forbidden(requestor, attributes, decision.reason) };
    }
    let groups = groupsAsked.length > 0 ? [...groupsAsked] : account ? serviceAccountGroups(account[1]!).filter((g) => g !== SYSTEM_AUTHENTICATED) : [];
    if (username !== 'system:anonymous' && !groups.includes(SYSTEM_AUTHENTICATED) && !groups.includes('system:unauthenticated')) groups = [...groups, SYSTEM_AUTHENTICATED];
    return { user: { username, groups, ...(uid !== '' ? { uid } : {}), ...(hasExtra ? { extra } : {}) } };
  }

  /**
   * `POST /apis/authentication.k8s.io/v1/tokenreviews` (upstream's TokenReview REST): whether
   * `spec.token` authenticates, for `spec.audiences` (default: the API server's, the issuer),
   * and as whom; the TokenReview is answered, never stored. Errors: 400 without a token.
   */
  async #tokenReview(raw: unknown): Promise<GateReply> {
    const body = record(raw);
    const spec = record(body.spec);
    const token = typeof spec.token === 'string' ? spec.token : '';
    if (token === '') throw badRequest('token is required for TokenReview in authentication');
    const wanted = strings(spec.audiences).length > 0 ? strings(spec.audiences) : [SERVICE_ACCOUNT_ISSUER];
    const found = await this.#authenticateToken(token, wanted);
    const status = found === undefined
      ? { user: {} }
      : {
          authenticated: true,
          user: { username: found.user.username, ...(found.user.uid ? { uid: found.user.uid } : {}), groups: found.user.groups, ...(found.user.extra ? { extra: found.user.extra } : {}) },
          audiences: found.audiences,
        };
    return { code: 201, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { ...record(body.metadata), creationTimestamp: null }, spec, status } };
  }

  /**
   * The user a token stands for and the audiences (of `wanted`) it is good for: the admin and
   * token-file tokens are good for the API server's own audience (the issuer), a ServiceAccount
   * token for those it was issued for.
   */
  async #authenticateToken(token: string, wanted: readonly string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    const fixed = token === this.#options.adminToken ? ADMIN_USER : this.#options.staticTokens?.get(token);
    if (fixed) return wanted.includes(SERVICE_ACCOUNT_ISSUER) ? { user: fixed, audiences: [SERVICE_ACCOUNT_ISSUER] } : undefined;
    return this.#serviceAccount(token, wanted);
  }

  /** The subject of a (Local)SubjectAccessReview (`spec.user`, `spec.groups`, `spec.uid`, `spec.extra`), taken as given. */
  #subjectOf(kind: string, spec: Record<string, unknown>): UserInfo {
    const username = typeof spec.user === 'string' ? spec.user : '';
    const groups = strings(spec.groups);
    if (username === '' && groups.length === 0) throw invalid(kind, 'authorization.k8s.io', '', [{ type: 'FieldValueInvalid', field: 'spec.user', value: '', detail: 'at least one of user or group must be specified' }]);
    const extra = Object.fromEntries(Object.entries(record(spec.extra)).map(([k, v]) => [k, strings(v)]));
    return { username, groups, ...(typeof spec.uid === 'string' ? { uid: spec.uid } : {}), ...(Object.keys(extra).length > 0 ? { extra } : {}) };
  }

  /** The attributes a review asks about: exactly one of `resourceAttributes` and `nonResourceAttributes` (upstream's validation). */
  #reviewAttributes(kind: string, spec: Record<string, unknown>): RequestAttributes {
    const hasResource = spec.resourceAttributes !== undefined && spec.resourceAttributes !== null;
    const hasNonResource = spec.nonResourceAttributes !== undefined && spec.nonResourceAttributes !== null;
    const errors: FieldError[] = [];
    if (hasResource && hasNonResource) errors.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', value: spec.resourceAttributes, detail: 'cannot be specified in combination with nonResourceAttributes' });
    if (!hasResource && !hasNonResource) errors.push({ type: 'FieldValueRequired', field: 'spec.resourceAttributes', detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' });
    if (errors.length > 0) throw invalid(kind, 'authorization.k8s.io', '', errors);
    const text = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
    if (hasNonResource) {
      const n = record(spec.nonResourceAttributes);
      return { kind: 'nonResource', verb: text(n, 'verb'), path: text(n, 'path') };
    }
    const r = record(spec.resourceAttributes);
    return { kind: 'resource', verb: text(r, 'verb'), group: text(r, 'group'), resource: text(r, 'resource'), subresource: text(r, 'subresource'), namespace: text(r, 'namespace'), name: text(r, 'name') };
  }

  /** `POST .../serviceaccounts/<name>/token`: a TokenRequest answered with its token (upstream's `TokenREST`). */
  async #tokenRequest(namespace: string, name: string, raw: unknown): Promise<GateReply> {
    const body = record(raw);
    const spec = record(body.spec);
    const requested = spec.expirationSeconds;
    const errors: FieldError[] = [];
    const seconds = requested === undefined || requested === null ? TOKEN_REQUEST_DEFAULT_SECONDS : Number(requested);
    if (!Number.isInteger(seconds)) errors.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: requested, detail: 'must be an integer' });
    else if (seconds < TOKEN_REQUEST_MIN_SECONDS) errors.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: seconds, detail: 'may not specify a duration less than 10 minutes' });
    else if (seconds > TOKEN_REQUEST_MAX_SECONDS) errors.push({ type: 'FieldValueTooLong' as FieldError['type'], field: 'spec.expirationSeconds', value: seconds, detail: 'may not specify a duration larger than 2^32 seconds' });
    if (errors.length > 0) throw invalid('TokenRequest', 'authentication.k8s.io', name, errors);
    const audiences = strings(spec.audiences).length > 0 ? strings(spec.audiences) : [SERVICE_ACCOUNT_ISSUER];
    const { token, expiresAtMs } = await this.issueToken(namespace, name, audiences, seconds);
    return {
      code: 201,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name, namespace, creationTimestamp: formatTime(this.#options.clock.now()) },
        spec: { audiences, expirationSeconds: seconds, boundObjectRef: spec.boundObjectRef ?? null },
        status: { token, expirationTimestamp: formatTime(expiresAtMs) },
      },
    };
  }

  #sign(unsigned: string): string {
    return createHmac('sha256', this.#key).update(unsigned).digest('base64url');
  }

  /** The ServiceAccount a token was issued for, if its signature, issuer, audience and lifetime hold and the account (same uid) still exists. */
  async #serviceAccount(token: string, wanted: readonly string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.#sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    const now = this.#options.clock.now() / 1000;
    const audiences = strings(claims.aud).filter((a) => wanted.includes(a));
    if (claims.iss !== SERVICE_ACCOUNT_ISSUER || audiences.length === 0 || !(now < claims.exp) || now < claims.nbf) return undefined;
    const k8s = claims['kubernetes.io'];
    const namespace = k8s?.namespace ?? '';
    const name = k8s?.serviceaccount?.name ?? '';
    try {
      const account = await this.#options.client.get(ServiceAccounts, { namespace, name });
      if (account.metadata.uid !== k8s.serviceaccount.uid) return undefined;
    } catch (e) {
      if (isApiError(e, 'NotFound')) return undefined;
      throw e;
    }
    return { user: { username: serviceAccountUsername(namespace, name), uid: k8s.serviceaccount.uid, groups: serviceAccountGroups(namespace), extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] } }, audiences };
  }

  /** The cluster's ClusterRoles and ClusterRoleBindings, and the Roles and RoleBindings of `namespace`. */
  async #rbac(namespace: string): Promise<ReturnType<typeof rbacObjects>> {
    const { client } = this.#options;
    const clusterRoles = (await client.list(ClusterRoles)).items;
    const clusterRoleBindings = (await client.list(ClusterRoleBindings)).items;
    const roles = namespace === '' ? [] : (await client.list(Roles, { namespace })).items;
    const roleBindings = namespace === '' ? [] : (await client.list(RoleBindings, { namespace })).items;
    return rbacObjects({ clusterRoles, clusterRoleBindings, roles, roleBindings });
  }
}

/** The prefix of the impersonation headers that set the user's extra values (`Impersonate-Extra-<key>`, lowercased by Node). */
const IMPERSONATE_EXTRA = 'impersonate-extra-';

/** Upstream's 403 Status for a request `user` may not make. */
function forbidden(user: UserInfo, attributes: RequestAttributes, reason: string): GateReply {
  const details = attributes.kind === 'resource' ? { kind: attributes.resource, ...(attributes.group !== '' ? { group: attributes.group } : {}), ...(attributes.name !== '' ? { name: attributes.name } : {}) } : {};
  return { code: 403, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: forbiddenStatusMessage(user, attributes, reason), reason: 'Forbidden', details, code: 403 } };
}

/** A protobuf body over the limit (answered 413, as the handler answers a JSON one). */
class BodyTooLarge extends Error {}

/** The raw request body, at most 3 MiB (kube-apiserver's limit): a 413 beyond. */
async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const limit = 3 * 1024 * 1024;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw new BodyTooLarge(`Request entity too large: limit is ${limit}`);
  return Buffer.concat(chunks);
}

function methodNotAllowed(): ApiError {
  return new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/**
 * Authentication and RBAC of `kubeloop serve` through the HTTP handler: kube-apiserver's 401,
 * its 403 messages (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go`),
 * RequestInfo (`staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`), the static
 * token file (`.../authentication/token/tokenfile`), TokenRequest and the access reviews.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, ClusterRoleBindings, ClusterRoles, Pods, RoleBindings, Roles, ServiceAccounts, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '@kubeloop/core';
import { ensureBootstrapPolicy } from '@kubeloop/controllers';
import { ADMIN_USER, ApiAuth, TokenFileError, parseTokenAuthFile, requestAttributes } from './auth.js';
import { decodeAuthProtobuf } from './auth-protobuf.js';
import { ApiHandler } from './handler.js';
import { httpCall } from './http-harness.js';
import type { HttpAnswer } from './http-harness.js';

const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
const staticTokens = parseTokenAuthFile('jane-token,jane,uid-jane,"devs,testers"\nbob-token,bob,uid-bob\n');
const auth = new ApiAuth({ client: server, clock, rng: seededRng('sa'), adminToken: 'admin-token', staticTokens });
const api = new ApiHandler({ client: server, registry: server.registry, clock, token: 'unused', gate: auth.gate, version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
const http = createServer(api.handle);
let base = '';

beforeAll(async () => {
  await ensureBootstrapPolicy(server);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

function call(method: string, path: string, token: string | null, body?: unknown, contentType = 'application/json'): Promise<HttpAnswer> {
  return httpCall(base, method, path, { token, body, contentType });
}

const R = 'rbac.authorization.k8s.io/v1';
async function grantPodReader(namespace: string, subject: { kind: string; name: string; apiGroup?: string }): Promise<void> {
  await server.create(Roles, { apiVersion: R, kind: 'Role', metadata: { name: 'pod-reader', namespace }, rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }] } as Role).catch(() => undefined);
  await server.create(RoleBindings, { apiVersion: R, kind: 'RoleBinding', metadata: { generateName: 'read-pods-', namespace }, subjects: [subject], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' } } as RoleBinding);
}

describe('requestAttributes (upstream RequestInfoFactory)', () => {
  const at = (method: string, path: string) => requestAttributes(method, new URL(path, 'http://x'));
  it.each([
    ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', group: '', resource: 'pods', namespace: 'default', name: '', subresource: '' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=true', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    ['GET', '/api/v1/pods', { verb: 'list', resource: 'pods', namespace: '' }],
    ['GET', '/api/v1/namespaces/default/pods/web/log', { verb: 'get', resource: 'pods', name: 'web', subresource: 'log' }],
    ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb&watch=1', { verb: 'watch', name: 'web' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    ['POST', '/apis/apps/v1/namespaces/prod/deployments', { verb: 'create', group: 'apps', resource: 'deployments', namespace: 'prod' }],
    ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web/scale', { verb: 'patch', group: 'apps', name: 'web', subresource: 'scale' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps', { verb: 'deletecollection', resource: 'configmaps' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps/a', { verb: 'delete', name: 'a' }],
    ['GET', '/api/v1/namespaces/default', { verb: 'get', resource: 'namespaces', namespace: 'default', name: 'default' }],
    ['PUT', '/api/v1/namespaces/gone/finalize', { verb: 'update', resource: 'namespaces', name: 'gone', subresource: 'finalize' }],
    ['GET', '/api/v1/nodes/node-1', { verb: 'get', resource: 'nodes', name: 'node-1', namespace: '' }],
  ])('%s %s', (method, path, expected) => {
    expect(at(method, path)).toMatchObject({ kind: 'resource', ...expected });
  });
  it.each([['/version'], ['/api'], ['/api/v1'], ['/apis'], ['/apis/apps'], ['/apis/apps/v1'], ['/openapi/v3']])('%s is a non-resource request', (path) => {
    expect(at('GET', path)).toEqual({ kind: 'nonResource', verb: 'get', path });
  });
});

describe('parseTokenAuthFile (kube-apiserver --token-auth-file)', () => {
  it('reads token,user,uid and quoted groups, adding system:authenticated', () => {
    expect(staticTokens.get('jane-token')).toEqual({ username: 'jane', uid: 'uid-jane', groups: ['devs', 'testers', 'system:authenticated'] });
    expect(staticTokens.get('bob-token')).toEqual({ username: 'bob', uid: 'uid-bob', groups: ['system:authenticated'] });
  });
  it('skips blank lines and empty tokens, and refuses a record of fewer than 3 columns', () => {
    expect([...parseTokenAuthFile('\n,nobody,1\nt,u,2\n').keys()]).toEqual(['t']);
    expect(() => parseTokenAuthFile('t,u\n', '/etc/tokens.csv')).toThrow(new TokenFileError("token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2"));
  });
});

describe('authentication', () => {
  it('answers no token and an unknown one with a 401 Unauthorized Status, and still serves the health checks', async () => {
    for (const token of [null, 'nope', 'a.b.c']) {
      const reply = await call('GET', '/api/v1/namespaces/default/pods', token);
      expect(reply.status).toBe(401);
      expect(reply.json()).toMatchObject({ kind: 'Status', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    expect((await call('GET', '/healthz', null)).status).toBe(200);
  });
  it('knows the admin as kubernetes-admin in system:masters, and a token-file user by its name (SelfSubjectReview)', async () => {
    const whoami = async (token: string, version = 'v1') => ((await call('POST', `/apis/authentication.k8s.io/${version}/selfsubjectreviews`, token, { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' })).json().status as { userInfo: unknown }).userInfo;
    expect(await whoami('admin-token')).toEqual({ username: ADMIN_USER.username, groups: ['system:masters', 'system:authenticated'] });
    expect(await whoami('jane-token', 'v1beta1')).toEqual({ username: 'jane', uid: 'uid-jane', groups: ['devs', 'testers', 'system:authenticated'] });
  });
});

describe('RBAC', () => {
  it('lets the admin do anything, and gives discovery to every authenticated user', async () => {
    expect((await call('GET', '/api/v1/nodes', 'admin-token')).status).toBe(200);
    expect((await call('GET', '/version', 'bob-token')).status).toBe(200);
    expect((await call('GET', '/apis', 'bob-token')).status).toBe(200);
  });

  it("answers a request no rule allows with upstream's 403 message, namespaced, cluster-wide, named and subresource", async () => {
    const cases: [string, string][] = [
      ['/api/v1/namespaces/default/pods', 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"'],
      ['/api/v1/nodes', 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope'],
      ['/apis/apps/v1/namespaces/default/deployments/web', 'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments" in API group "apps" in the namespace "default"'],
      ['/api/v1/namespaces/default/pods/web/log', 'pods "web" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in the namespace "default"'],
      ['/metrics', 'forbidden: User "bob" cannot get path "/metrics"'],
    ];
    for (const [path, message] of cases) {
      const reply = await call('GET', path, 'bob-token');
      expect(reply.status, path).toBe(403);
      expect(reply.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message });
    }
    expect((await call('GET', '/api/v1/namespaces/default/pods/web', 'bob-token')).json().details).toEqual({ kind: 'pods', name: 'web' });
  });

  it('allows what a RoleBinding grants, only in its namespace, and a write it does not grant stays forbidden', async () => {
    await grantPodReader('default', { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' });
    expect((await call('GET', '/api/v1/namespaces/default/pods', 'jane-token')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/kube-system/pods', 'jane-token')).status).toBe(403);
    const create = await call('POST', '/api/v1/namespaces/default/pods', 'jane-token', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    expect(create.status).toBe(403);
    expect(create.json().message).toBe('pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "default"');
    expect((await server.list(Pods, { namespace: 'default' })).items.some((p) => p.metadata.name === 'x')).toBe(false);
  });

  it('answers SelfSubjectAccessReview and SubjectAccessReview as kubectl auth can-i asks them', async () => {
    const ssar = async (token: string, resourceAttributes: object) => (await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', token, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } })).json();
    expect(await ssar('jane-token', { namespace: 'default', verb: 'list', resource: 'pods' })).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: true } });
    expect((await ssar('jane-token', { namespace: 'default', verb: 'create', group: 'apps', resource: 'deployments' })).status).toEqual({ allowed: false });
    expect((await ssar('admin-token', { namespace: 'default', verb: 'create', group: 'apps', resource: 'deployments' })).status).toEqual({ allowed: true });
    const bad = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'jane-token', { spec: {} });
    expect(bad.status).toBe(422);
    expect(bad.json().message).toBe('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified');

    const sar = (token: string) => call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', token, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'jane', groups: ['system:authenticated'], resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods', name: 'p' } } });
    expect((await sar('admin-token')).json().status).toEqual({ allowed: true });
    expect((await sar('jane-token')).status).toBe(403);

    const local = (namespace: string) => call('POST', `/apis/authorization.k8s.io/v1/namespaces/${namespace}/localsubjectaccessreviews`, 'admin-token', { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace }, spec: { user: 'jane', resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } } });
    expect((await local('default')).json()).toMatchObject({ kind: 'LocalSubjectAccessReview', status: { allowed: true } });
    const mismatch = await local('other');
    expect([mismatch.status, mismatch.json().message]).toEqual([400, 'spec.resourceAttributes.namespace must match namespace: other']);
  });

  it('lists the rules of a user in a namespace (SelfSubjectRulesReview, kubectl auth can-i --list)', async () => {
    const reply = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', 'jane-token', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } });
    const status = reply.json().status as { resourceRules: object[]; nonResourceRules: object[]; incomplete: boolean };
    expect(status.resourceRules).toContainEqual({ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] });
    expect(status.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(status.nonResourceRules.length).toBeGreaterThan(0);
    expect(status.incomplete).toBe(false);
  });
});

describe('ServiceAccount tokens (TokenRequest)', () => {
  it('issues a token that authenticates as the ServiceAccount, until it expires or the account goes', async () => {
    await server.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'default' } });
    const path = '/api/v1/namespaces/default/serviceaccounts/builder/token';
    const issued = await call('POST', path, 'admin-token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
    expect(issued.status).toBe(201);
    const body = issued.json() as { kind: string; spec: { expirationSeconds: number; audiences: string[] }; status: { token: string; expirationTimestamp: string } };
    expect(body).toMatchObject({ kind: 'TokenRequest', spec: { expirationSeconds: 600, audiences: ['https://kubernetes.default.svc.cluster.local'] } });
    expect(Date.parse(body.status.expirationTimestamp)).toBe(Math.floor(clock.now() / 1000) * 1000 + 600_000);
    const token = body.status.token;

    const whoami = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', token, { kind: 'SelfSubjectReview' });
    expect((whoami.json().status as { userInfo: unknown }).userInfo).toMatchObject({ username: 'system:serviceaccount:default:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] });
    const denied = await call('GET', '/api/v1/namespaces/default/pods', token);
    expect(denied.json().message).toBe('pods is forbidden: User "system:serviceaccount:default:builder" cannot list resource "pods" in API group "" in the namespace "default"');
    await grantPodReader('default', { kind: 'ServiceAccount', name: 'builder' });
    expect((await call('GET', '/api/v1/namespaces/default/pods', token)).status).toBe(200);

    // A token signed by someone else, or tampered with, is nobody's.
    const [h, p] = token.split('.');
    expect((await call('GET', '/api/v1/namespaces/default/pods', `${h}.${p}.${'A'.repeat(43)}`)).status).toBe(401);
    const other = await new ApiAuth({ client: server, clock, rng: seededRng('another'), adminToken: 'x' }).issueToken('default', 'builder');
    expect((await call('GET', '/api/v1/namespaces/default/pods', other.token)).status).toBe(401);

    await clock.advance(600_000);
    expect((await call('GET', '/api/v1/namespaces/default/pods', token)).status).toBe(401);
    const fresh = (await auth.issueToken('default', 'builder')).token;
    expect((await call('GET', '/api/v1/namespaces/default/pods', fresh)).status).toBe(200);
    await server.delete(ServiceAccounts, { namespace: 'default', name: 'builder' });
    expect((await call('GET', '/api/v1/namespaces/default/pods', fresh)).status).toBe(401);
  });

  it('issues the same token for the same seed and calls, and refuses a lifetime under 10 minutes or a missing account', async () => {
    await server.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'twin', namespace: 'default' } });
    const issue = () => new ApiAuth({ client: server, clock, rng: seededRng('same'), adminToken: 'x' }).issueToken('default', 'twin');
    expect((await issue()).token).toBe((await issue()).token);
    const short = await call('POST', '/api/v1/namespaces/default/serviceaccounts/twin/token', 'admin-token', { spec: { expirationSeconds: 60 } });
    expect(short.status).toBe(422);
    expect(short.json().message).toBe('TokenRequest.authentication.k8s.io "twin" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const missing = await call('POST', '/api/v1/namespaces/default/serviceaccounts/ghost/token', 'admin-token', { spec: {} });
    expect(missing.status).toBe(404);
    expect(missing.json().message).toBe('serviceaccounts "ghost" not found');
    // Asking for a token is a create of serviceaccounts/token: bob may not.
    expect((await call('POST', '/api/v1/namespaces/default/serviceaccounts/twin/token', 'bob-token', { spec: {} })).json().message).toBe(
      'serviceaccounts "twin" is forbidden: User "bob" cannot create resource "serviceaccounts/token" in API group "" in the namespace "default"',
    );
  });
});

/** A protobuf length-delimited field (wire type 2) of `number` holding `bytes`. */
function pbField(number: number, bytes: Buffer | string): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return Buffer.concat([Buffer.from([(number << 3) | 2, data.length]), data]);
}

/** A Kubernetes protobuf body: `k8s\0` and a runtime.Unknown of apiVersion, kind and the raw message. */
function pbBody(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0'), pbField(1, Buffer.concat([pbField(1, apiVersion), pbField(2, kind)])), pbField(2, raw)]);
}

describe('protobuf bodies of the review endpoints (what kubectl 1.33 posts)', () => {
  it('decodes the SelfSubjectRulesReview kubectl auth can-i --list sent, byte for byte', () => {
    const sent = Buffer.from('6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c657352657669657712240a100a0012001a0022002a00320038004200120a0a087465616d2d3133331a04180022001a002200', 'hex');
    expect(decodeAuthProtobuf(sent)).toEqual({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: { name: '', generateName: '', namespace: '' }, spec: { namespace: 'team-133' } });
  });

  it('answers a protobuf SelfSubjectAccessReview and TokenRequest, and a malformed body with a 400', async () => {
    const attributes = Buffer.concat([pbField(1, 'default'), pbField(2, 'list'), pbField(5, 'pods')]);
    const ssar = pbBody('authorization.k8s.io/v1', 'SelfSubjectAccessReview', pbField(2, pbField(1, attributes)));
    const reply = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'jane-token', ssar, 'application/vnd.kubernetes.protobuf');
    expect(reply.json()).toMatchObject({ kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } }, status: { allowed: true } });

    await server.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pb', namespace: 'default' } });
    // TokenRequestSpec: audiences = 1, expirationSeconds = 4 (varint 1200 = b0 09)
    const spec = Buffer.concat([pbField(1, 'https://kubernetes.default.svc.cluster.local'), Buffer.from([4 << 3, 0xb0, 0x09])]);
    const token = await call('POST', '/api/v1/namespaces/default/serviceaccounts/pb/token', 'admin-token', pbBody('authentication.k8s.io/v1', 'TokenRequest', pbField(2, spec)), 'application/vnd.kubernetes.protobuf');
    expect(token.status).toBe(201);
    expect(token.json()).toMatchObject({ kind: 'TokenRequest', spec: { expirationSeconds: 1200 } });

    for (const bad of [Buffer.from('nope'), Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x50])])]) {
      const refused = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'jane-token', bad, 'application/vnd.kubernetes.protobuf');
      expect(refused.status).toBe(400);
      expect(refused.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    }
  });
});

/** A request with extra headers (the impersonation headers); the body as JSON. */
function callWith(method: string, path: string, token: string, headers: Record<string, string | string[]>, body?: unknown): Promise<HttpAnswer> {
  return httpCall(base, method, path, { token, headers, body });
}

const whoamiAs = async (token: string, headers: Record<string, string | string[]>) => {
  const reply = await callWith('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', token, headers, { kind: 'SelfSubjectReview' });
  return reply.status === 201 ? (reply.json().status as { userInfo: unknown }).userInfo : reply.json();
};

describe('impersonation (Impersonate-User, -Group, -Uid, -Extra-*; kubectl --as)', () => {
  it('acts as the user the headers name, with only the groups they name (plus system:authenticated), once RBAC allows impersonate on each', async () => {
    expect(await whoamiAs('admin-token', { 'Impersonate-User': 'jane' })).toEqual({ username: 'jane', groups: ['system:authenticated'] });
    expect(await whoamiAs('admin-token', { 'Impersonate-User': 'jane', 'Impersonate-Group': ['devs', 'ops'], 'Impersonate-Uid': 'u-1', 'Impersonate-Extra-Scopes': ['view', 'edit'] })).toEqual({
      username: 'jane',
      uid: 'u-1',
      groups: ['devs', 'ops', 'system:authenticated'],
      extra: { scopes: ['view', 'edit'] },
    });
    expect(await whoamiAs('admin-token', { 'Impersonate-User': 'system:serviceaccount:default:robot' })).toEqual({ username: 'system:serviceaccount:default:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] });
    // The request is authorized as the impersonated user.
    const asJane = await callWith('GET', '/api/v1/namespaces/kube-system/pods', 'admin-token', { 'Impersonate-User': 'jane' });
    expect(asJane.json()).toMatchObject({ code: 403, message: 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "kube-system"' });

    // bob may not impersonate anyone yet: upstream's 403 for the first thing asked.
    expect(await whoamiAs('bob-token', { 'Impersonate-User': 'jane' })).toMatchObject({ code: 403, reason: 'Forbidden', details: { kind: 'users', name: 'jane' }, message: 'users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope' });
    expect(await whoamiAs('bob-token', { 'Impersonate-User': 'system:serviceaccount:default:robot' })).toMatchObject({
      code: 403,
      message: 'serviceaccounts "robot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default"',
    });
    await server.create(ClusterRoles, { apiVersion: R, kind: 'ClusterRole', metadata: { name: 'impersonate-jane' }, rules: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['jane'] }, { verbs: ['impersonate'], apiGroups: [''], resources: ['groups'], resourceNames: ['devs'] }] } as ClusterRole);
    await server.create(ClusterRoleBindings, { apiVersion: R, kind: 'ClusterRoleBinding', metadata: { name: 'bob-impersonates-jane' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonate-jane' } } as ClusterRoleBinding);
    expect(await whoamiAs('bob-token', { 'Impersonate-User': 'jane', 'Impersonate-Group': 'devs' })).toEqual({ username: 'jane', groups: ['devs', 'system:authenticated'] });
    expect(await whoamiAs('bob-token', { 'Impersonate-User': 'jane', 'Impersonate-Group': ['devs', 'testers'] })).toMatchObject({ code: 403, message: 'groups "testers" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope' });
    expect(await whoamiAs('bob-token', { 'Impersonate-User': 'jane', 'Impersonate-Extra-Scopes': 'view' })).toMatchObject({
      code: 403,
      message: 'userextras.authentication.k8s.io "view" is forbidden: User "bob" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
    });
    expect(await whoamiAs('bob-token', { 'Impersonate-User': 'root' })).toMatchObject({ code: 403 });
    // Groups without a user: upstream's 500.
    expect(await whoamiAs('admin-token', { 'Impersonate-Group': 'devs' })).toMatchObject({ code: 500, reason: 'InternalError', message: expect.stringContaining('without impersonating a user') });
  });
});

describe('TokenReview', () => {
  const review = (token: string, spec: object) => callWith('POST', '/apis/authentication.k8s.io/v1/tokenreviews', token, {}, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec });
  it('says whether a token authenticates and as whom, for the audiences asked; nobody for an unknown token', async () => {
    const jane = await review('admin-token', { token: 'jane-token' });
    expect(jane.status).toBe(201);
    expect(jane.json()).toMatchObject({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      status: { authenticated: true, user: { username: 'jane', uid: 'uid-jane', groups: ['devs', 'testers', 'system:authenticated'] }, audiences: ['https://kubernetes.default.svc.cluster.local'] },
    });
    expect((await review('admin-token', { token: 'nobody' })).json().status).toEqual({ user: {} });
    expect((await review('admin-token', { token: 'jane-token', audiences: ['vault'] })).json().status).toEqual({ user: {} });

    await server.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reviewed', namespace: 'default' } });
    const vault = (await auth.issueToken('default', 'reviewed', ['vault'])).token;
    expect((await review('admin-token', { token: vault, audiences: ['vault', 'other'] })).json().status).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:default:reviewed' }, audiences: ['vault'] });
    expect((await review('admin-token', { token: vault })).json().status).toEqual({ user: {} });

    expect((await review('admin-token', {})).json()).toMatchObject({ code: 400, message: 'token is required for TokenReview in authentication' });
    expect((await review('bob-token', { token: 'jane-token' })).json()).toMatchObject({
      code: 403,
      message: 'tokenreviews.authentication.k8s.io is forbidden: User "bob" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
    });
  });
});

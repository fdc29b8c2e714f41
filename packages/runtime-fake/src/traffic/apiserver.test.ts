/**
 * The API server as pods and outside clients reach it: kube-apiserver's answers to an anonymous
 * client in a kind cluster (system:public-info-viewer allows /version, /healthz, /livez,
 * /readyz; anything else is 403 for `system:anonymous`; plain HTTP to the TLS port is Go's 400).
 */
import { describe, expect, it } from 'vitest';
import { seededRng, servedKubernetesVersion, versionDocument } from '@kubeloop/core';
import type { EndpointSlice, KubeObject, Node, Pod, Service } from '@kubeloop/core';
import { API_SERVER_BACKEND, API_SERVER_UNTRUSTED_CERTIFICATE, answerAsApiServer } from './apiserver.js';
import { TrafficModel } from './model.js';

const version = servedKubernetesVersion('9.9.9');
const versionJson = JSON.stringify(versionDocument(version), null, 2);

const forbidden = (message: string, details: object = {}): string => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 }, null, 2);

describe('answerAsApiServer', () => {
  it('answers /version with the version document the server reports', () => {
    expect(answerAsApiServer('https', '/version', version)).toEqual({ status: 200, body: versionJson });
    expect(JSON.parse(answerAsApiServer('https', '/version?timeout=32s', version).body)).toMatchObject({ major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop.9.9.9' });
  });
  it('answers the health endpoints with ok', () => {
    for (const path of ['/healthz', '/livez', '/readyz']) expect(answerAsApiServer('https', path, version)).toEqual({ status: 200, body: 'ok' });
  });
  it('forbids anything else to system:anonymous, as a path or as a resource', () => {
    expect(answerAsApiServer('https', '/', version)).toEqual({ status: 403, body: forbidden('forbidden: User "system:anonymous" cannot get path "/"') });
    expect(answerAsApiServer('https', '/api', version)).toEqual({ status: 403, body: forbidden('forbidden: User "system:anonymous" cannot get path "/api"') });
    expect(answerAsApiServer('https', '/healthz/ping', version).status).toBe(403);
    expect(answerAsApiServer('https', '/api/v1/namespaces/default/pods', version)).toEqual({ status: 403, body: forbidden('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"', { kind: 'pods' }) });
    expect(answerAsApiServer('https', '/apis/apps/v1/namespaces/default/deployments/web', version)).toEqual({ status: 403, body: forbidden('deployments.apps "web" is forbidden: User "system:anonymous" cannot get resource "deployments" in API group "apps" in the namespace "default"', { name: 'web', group: 'apps', kind: 'deployments' }) });
  });
  it('answers plain HTTP on its TLS port with Go\'s 400', () => {
    expect(answerAsApiServer('http', '/version', version)).toEqual({ status: 400, body: 'Client sent an HTTP request to an HTTPS server.\n' });
  });
});

let rv = 1;
const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', resourceVersion: String(rv++) }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] } } as unknown as Node;
// as core's ApiServer writes them: 10.96.0.1:443 → 172.18.0.1:6443, no pod behind it
const kubernetes = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', resourceVersion: String(rv++) }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] } } as unknown as Service;
const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', resourceVersion: String(rv++), labels: { 'kubernetes.io/service-name': 'kubernetes' } }, addressType: 'IPv4', endpoints: [{ addresses: ['172.18.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] } as unknown as EndpointSlice;
const client = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client', namespace: 'default', uid: 'uid-client', resourceVersion: String(rv++) },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'curlimages/curl' }] },
  status: { phase: 'Running', podIP: '10.244.1.5', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'curlimages/curl', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] },
} as unknown as Pod;

function model(withApiServer = true): TrafficModel {
  const m = new TrafficModel({ rng: seededRng(1), now: () => 0, ...(withApiServer ? { apiServer: { address: '172.18.0.1', version } } : {}) });
  for (const o of [node, kubernetes, slice, client] as KubeObject[]) m.observe('ADDED', o);
  return m;
}

describe('the API server behind the kubernetes Service', () => {
  it('prints the version document to curl in a pod', () => {
    expect(model().exec(client, 'curl -sk https://kubernetes.default.svc/version')).toEqual({ output: versionJson, exitCode: 0 });
  });
  it('prints the 403 Status to curl in a pod asking for /api, and wget fails on it', () => {
    expect(model().exec(client, 'curl -s https://kubernetes.default.svc/api')).toEqual({ output: forbidden('forbidden: User "system:anonymous" cannot get path "/api"'), exitCode: 0 });
    expect(model().exec(client, 'wget -qO- https://kubernetes.default.svc.cluster.local/api').output).toContain('wget: server returned error: HTTP/1.1 403 Forbidden');
    expect(model().exec(client, 'wget -qO- https://kubernetes/healthz')).toEqual({ output: 'ok', exitCode: 0 });
    // wget's options bundle (`-qO-`), and https is port 443
    expect(model().exec(client, 'wget -O- https://kubernetes/readyz')).toEqual({ output: 'Connecting to kubernetes (kubernetes:443)\nok', exitCode: 0 });
  });
  it('answers plain HTTP with the 400 text', () => {
    expect(model().exec(client, 'curl -s http://kubernetes.default.svc:443/version')).toEqual({ output: 'Client sent an HTTP request to an HTTPS server.\n', exitCode: 0 });
    expect(model().send({ url: 'http://172.18.0.1:6443/version' })).toMatchObject({ kind: 'response', status: 400, backend: API_SERVER_BACKEND });
  });
  it('is refused by an outside client that verifies certificates, answered with insecure', () => {
    expect(model().send({ url: 'https://10.96.0.1/version' })).toEqual({ kind: 'tls', reason: API_SERVER_UNTRUSTED_CERTIFICATE, backend: API_SERVER_BACKEND, service: { namespace: 'default', name: 'kubernetes' } });
    expect(model().send({ url: 'https://10.96.0.1/version', insecure: true })).toEqual({ kind: 'response', status: 200, body: versionJson, backend: API_SERVER_BACKEND, service: { namespace: 'default', name: 'kubernetes' }, hops: 0 });
    expect(model().send({ url: 'https://172.18.0.1:6443/livez', insecure: true })).toMatchObject({ kind: 'response', status: 200, body: 'ok' });
  });
  it('refuses connections when the model knows no API server (as before)', () => {
    expect(model(false).send({ url: 'https://10.96.0.1/version', insecure: true })).toMatchObject({ kind: 'refused' });
  });
});

describe('TrafficModel.exec with an argument list (kubectl exec pod -- cmd args)', () => {
  const twoContainers = { ...client, metadata: { ...client.metadata, name: 'two', uid: 'uid-two' }, spec: { ...client.spec, containers: [{ name: 'c', image: 'curlimages/curl', env: [{ name: 'WHO', value: 'first' }] }, { name: 'side', image: 'busybox', env: [{ name: 'WHO', value: 'second' }] }] } } as unknown as Pod;

  it('runs the arguments as given, in the container named (the first by default), and reports a missing command without running it', () => {
    const m = model();
    m.observe('ADDED', twoContainers);
    expect(m.exec(twoContainers, ['hostname'])).toEqual({ output: 'two\n', exitCode: 0 });
    expect(m.exec(twoContainers, ['sh', '-c', 'echo $WHO; exit 4'])).toEqual({ output: 'first\n', exitCode: 4 });
    expect(m.exec(twoContainers, ['sh', '-c', 'echo $WHO'], 'side')).toEqual({ output: 'second\n', exitCode: 0 });
    expect(m.exec(twoContainers, ['no-such-tool', '--help'])).toEqual({ output: '', exitCode: 127, notFound: true });
  });
});

describe('localhost inside a pod', () => {
  it("reaches the pod's own containers, as its own network namespace does (the StatefulSet tutorial's curl http://localhost/ on nginx-slim)", () => {
    const web = { ...client, metadata: { ...client.metadata, name: 'web-0', uid: 'uid-web-0' }, spec: { ...client.spec, containers: [{ name: 'nginx', image: 'registry.k8s.io/nginx-slim:0.24', ports: [{ containerPort: 80 }] }] }, status: { ...client.status, podIP: '10.244.1.9' } } as unknown as Pod;
    const m = model();
    m.observe('ADDED', web);
    const page = m.exec(web, 'wget -qO- http://localhost/');
    expect(page.exitCode).toBe(0);
    expect(page.output).toContain('<title>Welcome to nginx!</title>');
    expect(m.exec(web, 'wget -qO- http://127.0.0.1:80/index.html').output).toContain('Welcome to nginx!');
    expect(m.exec(web, 'wget -qO- http://localhost/nope').output).toContain('404 Not Found');
  });
});

import { describe, expect, it } from 'vitest';
import { ClusterConfigError, inClusterConfig, loadKubeconfig } from './config.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A fake file system: path → content; anything else throws ENOENT as `readFileSync` would. */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

const KUBECONFIG = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster:
    server: https://prod.example.com:6443/
    certificate-authority: ca/prod.crt
- name: dev
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${b64('DEV CA')}
    certificate-authority: ignored.crt
- name: lab
  cluster:
    server: https://lab:443
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes
users:
- name: alice
  user:
    token: alice-token
    tokenFile: ignored
- name: bob
  user:
    client-certificate: certs/bob.crt
    client-key: /abs/bob.key
- name: carol
  user:
    client-certificate-data: ${b64('CAROL CERT')}
    client-key-data: ${b64('CAROL KEY')}
- name: robot
  user:
    tokenFile: robot.token
- name: gke
  user:
    exec: {command: gke-gcloud-auth-plugin}
contexts:
- name: dev
  context: {cluster: dev, user: alice, namespace: team-a}
- name: prod
  context: {cluster: prod, user: bob}
- name: lab
  context: {cluster: lab, user: carol}
- name: ci
  context: {cluster: prod, user: robot}
- name: gke
  context: {cluster: prod, user: gke}
- name: broken
  context: {cluster: nowhere, user: alice}
`;

const fs = files({
  '/home/me/.kube/config': KUBECONFIG,
  '/home/me/.kube/ca/prod.crt': 'PROD CA',
  '/home/me/.kube/certs/bob.crt': 'BOB CERT',
  '/abs/bob.key': 'BOB KEY',
});
const load = (context?: string) => loadKubeconfig({ path: '/home/me/.kube/config', context, readFile: fs });

describe('loadKubeconfig', () => {
  it('resolves the current context: server, CA data (winning over the file), token (winning over tokenFile), namespace', () => {
    expect(load()).toEqual({
      server: 'https://127.0.0.1:6443',
      certificateAuthority: 'DEV CA',
      insecureSkipTlsVerify: false,
      tlsServerName: undefined,
      token: 'alice-token',
      tokenFile: undefined,
      clientCertificate: undefined,
      clientKey: undefined,
      namespace: 'team-a',
    });
  });

  it('reads certificate-authority and client certificate files, relative paths against the kubeconfig directory, and defaults the namespace', () => {
    const c = load('prod');
    expect(c.server).toBe('https://prod.example.com:6443');
    expect(c.certificateAuthority).toBe('PROD CA');
    expect(c.clientCertificate).toBe('BOB CERT');
    expect(c.clientKey).toBe('BOB KEY');
    expect(c.namespace).toBe('default');
  });

  it('decodes client-certificate-data and client-key-data, and keeps insecure-skip-tls-verify and tls-server-name', () => {
    const c = load('lab');
    expect(c).toMatchObject({ clientCertificate: 'CAROL CERT', clientKey: 'CAROL KEY', insecureSkipTlsVerify: true, tlsServerName: 'kubernetes' });
  });

  it('keeps a tokenFile as a path (resolved against the kubeconfig) so that a rotated token is picked up', () => {
    expect(load('ci')).toMatchObject({ token: undefined, tokenFile: '/home/me/.kube/robot.token' });
  });

  it('finds the file through $KUBECONFIG (its first entry), else ~/.kube/config', () => {
    expect(loadKubeconfig({ env: { KUBECONFIG: ':/home/me/.kube/config:/other' }, readFile: fs }).server).toBe('https://127.0.0.1:6443');
    expect(loadKubeconfig({ env: { HOME: '/home/me' }, readFile: fs }).server).toBe('https://127.0.0.1:6443');
  });

  it('fails with a ClusterConfigError naming what is wrong', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ClusterConfigError);
        return [(e as ClusterConfigError).code, (e as Error).message];
      }
      return undefined;
    };
    expect(code(() => load('nope'))).toEqual(['no-context', '/home/me/.kube/config: context "nope" does not exist']);
    expect(code(() => load('broken'))).toEqual(['invalid', '/home/me/.kube/config: cluster "nowhere" not found']);
    expect(code(() => load('gke'))?.[0]).toBe('invalid');
    expect(code(() => loadKubeconfig({ path: '/missing', readFile: fs }))?.[0]).toBe('unreadable');
    expect(code(() => loadKubeconfig({ text: 'clusters: [', readFile: fs }))?.[0]).toBe('invalid');
    expect(code(() => loadKubeconfig({ text: 'apiVersion: v1\nkind: Config\n', readFile: fs }))).toEqual(['no-context', 'kubeconfig: current-context is not set']);
  });
});

describe('inClusterConfig', () => {
  const sa = files({ '/sa/token': 'sa-token\n', '/sa/ca.crt': 'CLUSTER CA', '/sa/namespace': 'operators\n' });
  const paths = { tokenPath: '/sa/token', caPath: '/sa/ca.crt', namespacePath: '/sa/namespace', readFile: sa };

  it('builds the server from KUBERNETES_SERVICE_HOST/PORT (IPv6 in brackets), with the ServiceAccount CA, token file and namespace', () => {
    expect(inClusterConfig({ ...paths, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } })).toEqual({
      server: 'https://10.96.0.1:443',
      certificateAuthority: 'CLUSTER CA',
      tokenFile: '/sa/token',
      namespace: 'operators',
    });
    expect(inClusterConfig({ ...paths, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } }).server).toBe('https://[fd00::1]:443');
  });

  it('fails outside a pod with upstream ErrNotInCluster message, and when the token cannot be read', () => {
    expect(() => inClusterConfig({ ...paths, env: {} })).toThrow('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
    expect(() => inClusterConfig({ ...paths, tokenPath: '/sa/none', env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' } })).toThrow(/cannot read \/sa\/none/);
  });

  it('defaults the namespace to default when the namespace file is missing', () => {
    expect(inClusterConfig({ ...paths, namespacePath: '/sa/none', env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' } }).namespace).toBe('default');
  });
});

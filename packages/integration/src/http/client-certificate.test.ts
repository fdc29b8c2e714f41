/**
 * HttpClient's TLS client-certificate authentication, from a kubeconfig's
 * `client-certificate-data` / `client-key-data`, against an HTTPS server that requires a
 * certificate signed by its CA (as kube-apiserver's `--client-ca-file`): the certificate's CN is
 * the user. Certificates are generated here with @peculiar/x509 (serve's own library).
 */
// @kubeloop/core first: it loads the Reflect metadata polyfill that @peculiar/x509's tsyringe needs.
import { ConfigMaps, HttpClient, RealClock, loadKubeconfig } from '@kubeloop/core';
import { webcrypto } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const clock = new RealClock();

interface Issued {
  certPem: string;
  keyPem: string;
}

async function keys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function issue(ca: { cert: x509.X509Certificate; keys: webcrypto.CryptoKeyPair }, cn: string, usage: x509.ExtendedKeyUsage, serial: string): Promise<Issued> {
  const pair = await keys();
  const now = clock.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 3_600_000),
    signingKey: ca.keys.privateKey,
    publicKey: pair.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey), 'PRIVATE KEY') };
}

let server: Server;
let caPem = '';
let client: Issued;
let url = '';

beforeAll(async () => {
  x509.cryptoProvider.set(webcrypto as never);
  const caKeys = await keys();
  const now = clock.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=test-ca',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 3_600_000),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true)],
  });
  caPem = caCert.toString('pem');
  const ca = { cert: caCert, keys: caKeys };
  const serving = await issue(ca, 'apiserver', x509.ExtendedKeyUsage.serverAuth, '02');
  client = await issue(ca, 'alice', x509.ExtendedKeyUsage.clientAuth, '03');
  // The user is the client certificate's CN, as kube-apiserver's x509 authenticator has it.
  server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const user = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'whoami', namespace: 'default' }, data: { user } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const kubeconfig = (user: string) => `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "${url}", certificate-authority-data: ${b64(caPem)}}}]
users: [{name: u, user: ${user}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
`;

describe('HttpClient with a client certificate', () => {
  it('authenticates with client-certificate-data and client-key-data from the kubeconfig', async () => {
    const c = new HttpClient({ connection: loadKubeconfig({ text: kubeconfig(`{client-certificate-data: ${b64(client.certPem)}, client-key-data: ${b64(client.keyPem)}}`) }), clock });
    const cm = await c.get(ConfigMaps, { namespace: 'default', name: 'whoami' });
    expect(cm.data).toEqual({ user: 'alice' });
    c.close();
  });

  it('fails with ServiceUnavailable when the server requires a certificate and none is given', async () => {
    const c = new HttpClient({ connection: loadKubeconfig({ text: kubeconfig('{token: t}') }), clock });
    await expect(c.get(ConfigMaps, { namespace: 'default', name: 'whoami' })).rejects.toMatchObject({ reason: 'ServiceUnavailable' });
    c.close();
  });
});

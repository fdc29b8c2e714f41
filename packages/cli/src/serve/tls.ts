/**
 * The certificates of `kubeloop serve`, generated at start with `@peculiar/x509` over Node's
 * WebCrypto: a self-signed CA, and a serving certificate it signs for `127.0.0.1`, `localhost`
 * and the listen address. kubectl trusts the CA through the kubeconfig's
 * `certificate-authority-data`.
 *
 * @module
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata
// polyfill loaded first (core's inversify container loads the same one).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/** PEM texts of a generated CA and the serving certificate it signed. */
export interface ServingCertificates {
  /** The CA certificate (PEM): what clients trust. */
  readonly caCertPem: string;
  /** The serving certificate (PEM), signed by the CA. */
  readonly certPem: string;
  /** The serving certificate's private key (PKCS#8 PEM). */
  readonly keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

function serial(bytes: Uint8Array): string {
  // A positive serial number: clear the top bit.
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/**
 * Generates an ECDSA P-256 CA (valid one year) and a serving certificate it signs for `hosts`
 * (IP addresses become IP SANs, names DNS SANs; `127.0.0.1` and `localhost` are always in).
 * `nowMs` is the wall time the validity starts from (an hour earlier, for clock skew).
 */
export async function generateServingCertificates(nowMs: number, hosts: readonly string[] = []): Promise<ServingCertificates> {
  x509.cryptoProvider.set(webcrypto as never);
  const notBefore = new Date(nowMs - 3_600_000);
  const notAfter = new Date(nowMs + 365 * DAY_MS);
  const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(webcrypto.getRandomValues(new Uint8Array(16))),
    name: 'CN=kubeloop-ca',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true)],
  });
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [...new Set(['127.0.0.1', 'localhost', ...hosts])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(webcrypto.getRandomValues(new Uint8Array(16))),
    subject: 'CN=kubeloop-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { caCertPem: ca.toString('pem'), certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

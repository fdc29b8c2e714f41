/**
 * The certificate check of ingress-nginx (`GetLocalSSLCert` and the checks of
 * `createServers`): a `kubernetes.io/tls` Secret serves a host when its `tls.crt` is a PEM
 * certificate, its `tls.key` the PEM private key of that certificate, and the certificate names
 * the host (SAN, else Common Name). Otherwise the controller serves the host with its fake
 * default certificate.
 *
 * @module
 */
import { Buffer } from 'node:buffer';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Secret } from '@kubeloop/core';

/** The subject of ingress-nginx's self-signed default certificate, served when no valid one is configured. */
export const FAKE_CERTIFICATE_SUBJECT = 'CN=Kubernetes Ingress Controller Fake Certificate,O=Acme Co';

/** The result of checking one host's TLS Secret: usable, or why not (worded as ingress-nginx's log). */
export type CertificateCheck = { readonly ok: true } | { readonly ok: false; readonly error: string };

function decode(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Checks the Secret `key` (`namespace/name`, `secret` undefined when it does not exist) as the
 * certificate of `host`.
 *
 * @example
 * ```ts
 * checkCertificate('default/shop-tls', undefined, 'shop.example.com');
 * // { ok: false, error: 'local SSL certificate default/shop-tls was not found' }
 * ```
 */
export function checkCertificate(key: string, secret: Secret | undefined, host: string): CertificateCheck {
  if (secret === undefined) return { ok: false, error: `local SSL certificate ${key} was not found` };
  const crt = decode(secret.data?.['tls.crt']);
  const pem = decode(secret.data?.['tls.key']);
  if (crt === undefined || pem === undefined) return { ok: false, error: `secret ${key} contains no keypair or CA certificate` };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(crt);
  } catch {
    return { ok: false, error: `unexpected error creating SSL Cert: no valid PEM formatted block found` };
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(pem))) return { ok: false, error: 'unexpected error creating SSL Cert: tls: private key does not match public key' };
  } catch {
    return { ok: false, error: 'unexpected error creating SSL Cert: tls: failed to find any PEM data in key input' };
  }
  if (host !== '' && cert.checkHost(host, { subject: 'default' }) === undefined) {
    return { ok: false, error: `SSL certificate ${key} does not contain a Common Name or Subject Alternative Name for server ${host}` };
  }
  return { ok: true };
}

/**
 * ingress-nginx's control loop (its store and status sync), as a thin reconciler of Ingresses:
 * for each Ingress of its class it records `Sync` when it sees a new generation, checks the TLS
 * Secrets of its hosts (a missing or bad Secret: a Warning and the fake default certificate),
 * and publishes the address of its own Service to `status.loadBalancer`.
 *
 * @module
 */
import { IngressClasses, Ingresses, Secrets, Services, controllerFor, done, isApiError, keyString, objectKey } from '@kubeloop/core';
import type { Controller, Ingress, Manager, Reconciler, Request, Result } from '@kubeloop/core';
import { servesIngress } from './class.js';
import type { IngressClassConfig } from './class.js';
import { publishedAddresses } from './status.js';
import { checkCertificate } from './tls.js';

/** The controller's name. */
export const INGRESS_NGINX_CONTROLLER_NAME = 'ingress-nginx-controller';
/** The component its events are recorded as (ingress-nginx's `nginx-ingress-controller`). */
export const INGRESS_NGINX_COMPONENT = 'nginx-ingress-controller';
/** The Service whose address Ingresses publish by default (`--publish-service`). */
export const DEFAULT_PUBLISH_SERVICE = 'ingress-nginx/ingress-nginx-controller';
/** The reason of the Warning recorded when a host's TLS Secret cannot be used. */
export const SSL_CERTIFICATE_ERROR = 'SSLCertificateError';

/** Options of the ingress-nginx controller. */
export interface IngressNginxOptions extends IngressClassConfig {
  /** `namespace/name` of the controller's Service whose address Ingresses publish (default {@link DEFAULT_PUBLISH_SERVICE}). */
  readonly publishService?: string | undefined;
}

function sameAddresses(a: readonly { ip?: string | undefined; hostname?: string | undefined }[], b: readonly { ip?: string | undefined; hostname?: string | undefined }[]): boolean {
  return a.length === b.length && a.every((x, i) => x.ip === b[i]?.ip && x.hostname === b[i]?.hostname);
}

/**
 * The reconciler of one Ingress.
 *
 * Guarantees: touches only Ingresses of its class; the status it writes is
 * `publishedAddresses(publish Service)` (left alone while that Service does not exist); events:
 * Normal `Sync` `Scheduled for sync` once per generation it sees, Warning
 * {@link SSL_CERTIFICATE_ERROR} `Error getting SSL certificate "ns/name": …. Using default
 * certificate` once per distinct problem.
 *
 * Errors: a failed status write is thrown (retried with back-off).
 */
export class IngressNginxReconciler implements Reconciler {
  readonly #manager: Manager;
  readonly #options: IngressNginxOptions;
  readonly #seen = new Map<string, string>();
  readonly #tlsProblems = new Map<string, string>();

  /** A reconciler on the manager's caches and client. */
  constructor(manager: Manager, options: IngressNginxOptions = {}) {
    this.#manager = manager;
    this.#options = options;
  }

  /** Syncs one Ingress. */
  async reconcile(request: Request): Promise<Result> {
    const key = keyString(request);
    const ing = this.#manager.cache(Ingresses).get(request);
    if (ing === undefined || !servesIngress(ing, this.#manager.cache(IngressClasses).list(), this.#options)) {
      this.#seen.delete(key);
      this.#tlsProblems.delete(key);
      return done;
    }
    const recorder = this.#manager.recorder(INGRESS_NGINX_COMPONENT);
    const generation = `${ing.metadata.uid ?? ''}/${ing.metadata.generation ?? 0}`;
    if (this.#seen.get(key) !== generation) {
      this.#seen.set(key, generation);
      void recorder.event(ing, 'Normal', 'Sync', 'Scheduled for sync');
    }
    const problems = this.#tlsErrors(ing);
    if (problems.join('\n') !== (this.#tlsProblems.get(key) ?? '')) {
      this.#tlsProblems.set(key, problems.join('\n'));
      for (const p of problems) void recorder.event(ing, 'Warning', SSL_CERTIFICATE_ERROR, p);
    }
    const [ns, name] = (this.#options.publishService ?? DEFAULT_PUBLISH_SERVICE).split('/');
    const service = this.#manager.cache(Services).get({ namespace: ns ?? '', name: name ?? '' });
    if (service === undefined) return done;
    const addresses = publishedAddresses(service);
    if (sameAddresses(addresses, ing.status.loadBalancer?.ingress ?? [])) return done;
    try {
      await this.#manager.client.updateStatus(Ingresses, { ...ing, status: { ...ing.status, loadBalancer: addresses.length === 0 ? {} : { ingress: addresses } } });
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
    return done;
  }

  /** Why each TLS host of `ing` gets the default certificate, as ingress-nginx logs it. */
  #tlsErrors(ing: Ingress): string[] {
    const ns = ing.metadata.namespace ?? '';
    const out: string[] = [];
    for (const tls of ing.spec.tls ?? []) {
      const hosts = tls.hosts !== undefined && tls.hosts.length > 0 ? tls.hosts : (ing.spec.rules ?? []).map((r) => r.host ?? '').filter((h) => h !== '');
      if ((tls.secretName ?? '') === '') continue;
      const secretKey = `${ns}/${tls.secretName}`;
      const secret = this.#manager.cache(Secrets).get({ namespace: ns, name: tls.secretName ?? '' });
      for (const host of hosts) {
        const check = checkCertificate(secretKey, secret, host);
        if (!check.ok) out.push(`Error getting SSL certificate ${JSON.stringify(secretKey)}: ${check.error}. Using default certificate`);
      }
    }
    return [...new Set(out)];
  }
}

/**
 * Builds the ingress-nginx controller on `manager`: Ingresses, synced again on changes of the
 * IngressClasses (all), of the publish Service (all), and of Secrets (the Ingresses of their
 * namespace that name them under `tls`).
 */
export function ingressNginxController(manager: Manager, options: IngressNginxOptions = {}): Controller {
  const publish = options.publishService ?? DEFAULT_PUBLISH_SERVICE;
  const all = (): Request[] => manager.cache(Ingresses).list().map((i) => objectKey(i));
  return controllerFor(manager, Ingresses)
    .named(INGRESS_NGINX_CONTROLLER_NAME)
    .watches(IngressClasses, () => all())
    .watches(Services, (s) => (keyString(objectKey(s)) === publish ? all() : []))
    .watches(Secrets, (secret) =>
      manager
        .cache(Ingresses)
        .list(secret.metadata.namespace ?? '')
        .filter((i) => (i.spec.tls ?? []).some((t) => t.secretName === secret.metadata.name))
        .map((i) => objectKey(i)),
    )
    .complete(new IngressNginxReconciler(manager, options));
}

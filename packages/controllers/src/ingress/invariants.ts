/**
 * The invariant of ingress-nginx's status, stated from its documentation ("the Ingress status
 * is the address of the Service given with --publish-service") in its own code, independently
 * of the controller's class and status helpers.
 *
 * @module
 */
import { invariant, refOf } from '@kubeloop/core';
import type { Ingress, IngressClass, Invariant, InvariantViolation, Service } from '@kubeloop/core';

/** What the invariant reads. */
export interface IngressStatusState {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: readonly IngressClass[];
  /** The controller's Service (`--publish-service`), when it exists. */
  readonly publishService?: Service | undefined;
}

function addressText(s: Service): string[] {
  switch (s.spec.type) {
    case 'LoadBalancer':
      return [...new Set([...(s.status.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || ''), ...(s.spec.externalIPs ?? [])])].filter(Boolean).sort();
    case 'NodePort':
      return ((s.spec.externalIPs ?? []).length > 0 ? [...s.spec.externalIPs!] : [s.spec.clusterIP ?? '']).filter(Boolean).sort();
    case 'ExternalName':
      return [s.spec.externalName ?? ''].filter(Boolean);
    default:
      return [s.spec.clusterIP ?? ''].filter((ip) => ip !== '' && ip !== 'None');
  }
}

/**
 * After settling, every Ingress of an IngressClass whose controller is `controller` (by
 * `ingressClassName`, or the legacy `kubernetes.io/ingress.class: nginx`) shows exactly the
 * publish Service's addresses in `status.loadBalancer.ingress`. Nothing is judged while the
 * publish Service does not exist.
 */
export function ingressStatusPublished(state: IngressStatusState, controller = 'k8s.io/ingress-nginx'): InvariantViolation[] {
  if (state.publishService === undefined) return [];
  const want = addressText(state.publishService);
  const classes = new Set(state.ingressClasses.filter((c) => c.spec.controller === controller).map((c) => c.metadata.name));
  const out: InvariantViolation[] = [];
  for (const ing of state.ingresses) {
    const byName = ing.spec.ingressClassName !== undefined && classes.has(ing.spec.ingressClassName);
    const byAnnotation = ing.spec.ingressClassName === undefined && ing.metadata.annotations?.['kubernetes.io/ingress.class'] === 'nginx';
    if (!byName && !byAnnotation) continue;
    const got = (ing.status.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').sort();
    if (got.join(',') !== want.join(',')) out.push({ message: `status.loadBalancer shows [${got.join(', ')}], the controller's Service has [${want.join(', ')}]`, objects: [refOf(ing), refOf(state.publishService)] });
  }
  return out;
}

/** Builds the liveness invariant {@link ingressStatusPublished} for the publish Service `namespace/name`. */
export function ingressStatusPublishedInvariant(publishService: string): Invariant {
  const [ns, name] = publishService.split('/');
  return invariant('ingressStatusPublished', "After settling, every Ingress of ingress-nginx's class shows the address of the controller's Service.", (state) =>
    ingressStatusPublished({
      ingresses: state.of<Ingress>('Ingress'),
      ingressClasses: state.of<IngressClass>('IngressClass'),
      publishService: state.get<Service>('Service', ns, name ?? ''),
    }),
  );
}

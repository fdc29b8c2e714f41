/**
 * Which Ingresses ingress-nginx serves (its `IsValid` class check), pure.
 *
 * @module
 */
import { DEFAULT_INGRESS_CLASS_ANNOTATION } from '@kubeloop/core';
import type { Ingress, IngressClass } from '@kubeloop/core';

/** ingress-nginx's controller value (`--controller-class`), what its IngressClass names in `spec.controller`. */
export const INGRESS_NGINX_CONTROLLER = 'k8s.io/ingress-nginx';
/** ingress-nginx's class name (`--ingress-class`). */
export const INGRESS_NGINX_CLASS = 'nginx';
/** The legacy annotation naming an Ingress's class, before `spec.ingressClassName`. */
export const LEGACY_INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** Which Ingresses a controller serves: its controller value and class name. */
export interface IngressClassConfig {
  /** The `spec.controller` of IngressClasses it implements (default {@link INGRESS_NGINX_CONTROLLER}). */
  readonly controller?: string | undefined;
  /** The class name the legacy annotation must carry (default {@link INGRESS_NGINX_CLASS}). */
  readonly className?: string | undefined;
}

/**
 * Whether the controller serves `ingress`:
 * - with `spec.ingressClassName`, when the IngressClass of that name has the controller's
 *   `spec.controller`;
 * - else with the legacy `kubernetes.io/ingress.class` annotation, when it is the class name;
 * - else (no class at all) when an IngressClass of the controller is marked default
 *   (`ingressclass.kubernetes.io/is-default-class: "true"`), as the API server's
 *   DefaultIngressClass admission would have named it.
 */
export function servesIngress(ingress: Ingress, classes: readonly IngressClass[], config: IngressClassConfig = {}): boolean {
  const controller = config.controller ?? INGRESS_NGINX_CONTROLLER;
  const name = ingress.spec.ingressClassName;
  if (name !== undefined && name !== '') return classes.some((c) => c.metadata.name === name && c.spec.controller === controller);
  const legacy = ingress.metadata.annotations?.[LEGACY_INGRESS_CLASS_ANNOTATION];
  if (legacy !== undefined) return legacy === (config.className ?? INGRESS_NGINX_CLASS);
  return classes.some((c) => c.spec.controller === controller && c.metadata.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true');
}

/**
 * ingress-nginx on a simulated cluster: its control loop (which Ingresses are its class, their
 * status, TLS Secret checks, events) and its routing as pure functions — hosts exact and
 * wildcard, paths Exact / Prefix / ImplementationSpecific longest first, default backends,
 * canaries by header, cookie and weight, TLS with the fake default certificate and the HTTPS
 * redirect, `rewrite-target`.
 *
 * ```
 * shop.example.com /          → shop:80
 * shop.example.com /customer  → customer:80
 * shop.example.com /order     → order:80 (or 10% to order-canary; 100% with header canary: always)
 * other.example.com /         → 404 (the controller's default backend)
 * http, host in spec.tls      → 308 https://…
 * ```
 *
 * @module
 */

// Registration
export { ingressNginxPlugin, INGRESS_NGINX_PLUGIN_NAME } from './plugin.js';
export type { IngressNginxPlugin } from './plugin.js';

// The controller
export { DEFAULT_PUBLISH_SERVICE, INGRESS_NGINX_COMPONENT, INGRESS_NGINX_CONTROLLER_NAME, SSL_CERTIFICATE_ERROR } from './controller.js';
export type { IngressNginxOptions } from './controller.js';
export { INGRESS_NGINX_CLASS, INGRESS_NGINX_CONTROLLER, LEGACY_INGRESS_CLASS_ANNOTATION, servesIngress } from './class.js';
export type { IngressClassConfig } from './class.js';
export { publishedAddresses } from './status.js';
export { FAKE_CERTIFICATE_SUBJECT, checkCertificate } from './tls.js';
export type { CertificateCheck } from './tls.js';

// Routing
export { CANARY_ANNOTATION, CATCH_ALL_SERVER, NGINX_ANNOTATION_PREFIX, buildIngressTable, matchLocation, routeIngressRequest, routesToCanary, serverFor } from './routing.js';
export { INGRESS_NGINX_IMAGE, IngressNginxRouter, weightedIngressRoutes } from './router.js';
export type { WeightedIngressRoute } from './router.js';
export type { CanaryPolicy, IngressLocation, IngressObjects, IngressRequest, IngressRoute, IngressServer, IngressServiceRef, IngressTable } from './routing.js';

// Invariants
export {
  ingressMissingTlsSecretsReported,
  ingressMissingTlsSecretsReportedInvariant,
  ingressRoutesFollowRules,
  ingressRoutesFollowRulesInvariant,
  ingressStatusOfOtherClassesUntouched,
  ingressStatusOfOtherClassesUntouchedInvariant,
  ingressStatusPublished,
  ingressStatusPublishedInvariant,
} from './invariants.js';
export type { IngressRouteProbe, IngressStatusState, ObservedIngressRoute } from './invariants.js';

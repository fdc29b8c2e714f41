/**
 * ingress-nginx in the traffic simulation: requests that reach a pod of the controller image
 * (through the `ingress-nginx-controller` Service: its ClusterIP, node ports or load-balancer
 * address) are routed by the Ingress rules — forwarded to the backend Service, with the canary
 * weight as the traffic model's weighted pick — or answered by the controller (the default
 * backend's 404, the HTTPS redirect's 308, 503 for a missing Service). Outside clients resolve
 * an Ingress host to the address the controller publishes on it, as a public DNS record would.
 *
 * It lives here, where both packages meet: the runtime-fake traffic model knows nothing of
 * Ingresses and the controllers know nothing of the traffic model.
 *
 * @module
 */
import { INGRESS_NGINX_IMAGE, serverFor } from '@kubeloop/controllers';
import type { IngressNginxRouter, IngressRoute } from '@kubeloop/controllers';
import type { Pod } from '@kubeloop/core';
import type { NextHop, NextHopHook, TrafficModel } from '@kubeloop/runtime-fake';

const page = (status: string): string => `<html>\r\n<head><title>${status}</title></head>\r\n<body>\r\n<center><h1>${status}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

/** What the controller answers itself for a route that is not a backend. */
function respond(route: Exclude<IngressRoute, { kind: 'backend' }>): NextHop {
  switch (route.kind) {
    case 'default-backend':
      return { kind: 'respond', status: 404, body: page('404 Not Found') };
    case 'redirect':
      return { kind: 'respond', status: 308, body: page('308 Permanent Redirect') };
    case 'unavailable':
      return { kind: 'respond', status: 503, body: page('503 Service Temporarily Unavailable') };
  }
}

/** Whether `port` of `pod` is its HTTPS port (443, or a container port named `https`). */
function isHttps(pod: Pod, port: number): boolean {
  return port === 443 || pod.spec.containers.some((c) => (c.ports ?? []).some((p) => p.containerPort === port && p.name === 'https'));
}

function cookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** curl's words for ingress-nginx's fake default certificate (self-signed, issued to no host). */
export const SELF_SIGNED_CERTIFICATE_PROBLEM = 'SSL certificate problem: self-signed certificate';

/**
 * The next-hop hook of ingress-nginx's controller pods, over `router`: the request's `Host`
 * header (else the host it was sent to), path, headers and cookies, HTTPS when it arrived on
 * the pod's HTTPS port. Over HTTPS, a host that no usable TLS Secret serves (not listed under
 * `tls`, or its Secret missing or bad) gets the fake default certificate, which a verifying
 * client refuses ({@link SELF_SIGNED_CERTIFICATE_PROBLEM} as `untrustedCertificate`). A backend route forwards to
 * `http://<service>.<namespace>.svc.cluster.local:<port><upstream path>`; a canary decision by
 * weight becomes two hops weighted `canary-weight` and the rest. While the controller has no
 * caches (its manager not started) it answers 503.
 *
 * Caveat: when one of two weighted routes is not a backend (a canary whose Service is missing),
 * all requests go to the route that is.
 */
export function ingressNextHopHook(router: IngressNginxRouter): NextHopHook {
  return ({ pod, request, port }) => {
    const host = request.headers['host'] ?? request.host;
    const https = isHttps(pod, port);
    const routes = router.routes({ host, path: request.path, scheme: https ? 'https' : 'http', headers: request.headers, cookies: cookies(request.headers['cookie']) });
    if (routes === undefined) return respond({ kind: 'unavailable', status: 503, reason: 'ingress-nginx is not running' });
    const table = router.table();
    const fake = https && table !== undefined && serverFor(table, host).tls?.certificateOk !== true;
    const tls = fake ? { untrustedCertificate: SELF_SIGNED_CERTIFICATE_PROBLEM } : {};
    const hops = routes.flatMap((r) => (r.route.kind === 'backend' ? [{ weight: r.weight, url: `http://${r.route.service}.${r.route.namespace}.svc.cluster.local:${r.route.port}${r.route.path}` }] : []));
    if (hops.length > 0) return { kind: 'forward', hops, ...tls };
    return { ...respond(routes[0]!.route as Exclude<IngressRoute, { kind: 'backend' }>), ...tls };
  };
}

/**
 * Connects ingress-nginx to the traffic model: {@link ingressNextHopHook} for pods of image
 * `registry.k8s.io/ingress-nginx/controller`, and Ingress hosts resolvable from outside to
 * their published address (`router.addressOf`).
 */
export function connectIngressTraffic(model: TrafficModel, router: IngressNginxRouter): void {
  model.setNextHopHook(INGRESS_NGINX_IMAGE, ingressNextHopHook(router));
  model.setOutsideResolver((host) => router.addressOf(host));
}

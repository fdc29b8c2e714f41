/**
 * Registration: the ingress-nginx controller and its invariant as a core `Plugin`.
 *
 * @module
 */
import { Ingresses } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { DEFAULT_PUBLISH_SERVICE, ingressNginxController } from './controller.js';
import type { IngressNginxOptions } from './controller.js';
import { ingressStatusPublishedInvariant } from './invariants.js';

/** The name of the plugin {@link ingressNginxPlugin} returns. */
export const INGRESS_NGINX_PLUGIN_NAME = 'kubeloop.dev/ingress-nginx';

/**
 * A core plugin that adds ingress-nginx's control loop (`ingress-nginx-controller`): Ingresses
 * of its class (an IngressClass with controller `k8s.io/ingress-nginx`, the legacy
 * `kubernetes.io/ingress.class: nginx` annotation, or no class when its IngressClass is the
 * default) get `Sync` events, TLS Secret warnings and the address of the controller's Service
 * `ingress-nginx/ingress-nginx-controller` as `status.loadBalancer`. It states
 * `ingressStatusPublished` (liveness). Where requests go is {@link routeIngressRequest}'s.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, ingressNginx: true }); // installs this plugin
 * await cluster.apply(ingressClassNginxAndControllerService);
 * await cluster.apply(shopIngress);
 * await cluster.settle(); // kubectl get ing: ADDRESS 192.168.1.240
 * ```
 */
export function ingressNginxPlugin(options: IngressNginxOptions = {}): Plugin {
  return {
    name: INGRESS_NGINX_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => ingressNginxController(manager, options));
      api.reconciles(Ingresses);
      api.addInvariant(ingressStatusPublishedInvariant(options.publishService ?? DEFAULT_PUBLISH_SERVICE));
    },
  };
}

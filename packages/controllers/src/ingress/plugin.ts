/**
 * Registration: the ingress-nginx controller and its invariant as a core `Plugin`.
 *
 * @module
 */
import { Ingresses } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { DEFAULT_PUBLISH_SERVICE, ingressNginxController } from './controller.js';
import type { IngressNginxOptions } from './controller.js';
import { ingressMissingTlsSecretsReportedInvariant, ingressRoutesFollowRulesInvariant, ingressStatusOfOtherClassesUntouchedInvariant, ingressStatusPublishedInvariant } from './invariants.js';
import { IngressNginxRouter } from './router.js';

/** The name of the plugin {@link ingressNginxPlugin} returns. */
export const INGRESS_NGINX_PLUGIN_NAME = 'kubeloop.dev/ingress-nginx';

/** The ingress-nginx plugin, with the routing of its controller pods. */
export interface IngressNginxPlugin extends Plugin {
  /** Where requests that reach the controller's pods go, from the controller's caches (see {@link IngressNginxRouter}). */
  readonly router: IngressNginxRouter;
}

/**
 * A core plugin that adds ingress-nginx's control loop (`ingress-nginx-controller`): Ingresses
 * of its class (an IngressClass with controller `k8s.io/ingress-nginx`, the legacy
 * `kubernetes.io/ingress.class: nginx` annotation, or no class when its IngressClass is the
 * default) get `Sync` events, TLS Secret warnings and the address of the controller's Service
 * `ingress-nginx/ingress-nginx-controller` as `status.loadBalancer`. It states
 * `ingressStatusPublished`, `ingressMissingTlsSecretsReported` and `ingressRoutesFollowRules`
 * (liveness, the last over its `router`) and `ingressStatusOfOtherClassesUntouched` (transition). Where requests go is {@link routeIngressRequest}'s; its
 * `router` answers that from the controller's caches, for a traffic simulation to hand requests
 * that reach the controller's pods (image `registry.k8s.io/ingress-nginx/controller`) to.
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, ingressNginx: true }); // installs this plugin
 * await cluster.apply(ingressClassNginxAndControllerService);
 * await cluster.apply(shopIngress);
 * await cluster.settle(); // kubectl get ing: ADDRESS 192.168.1.240
 * ```
 */
export function ingressNginxPlugin(options: IngressNginxOptions = {}): IngressNginxPlugin {
  const router = new IngressNginxRouter(options);
  return {
    name: INGRESS_NGINX_PLUGIN_NAME,
    router,
    register(api) {
      api.addController((manager) => {
        router.attach(manager);
        return ingressNginxController(manager, options);
      });
      api.reconciles(Ingresses);
      api.addInvariant(ingressStatusPublishedInvariant(options.publishService ?? DEFAULT_PUBLISH_SERVICE));
      api.addInvariant(ingressStatusOfOtherClassesUntouchedInvariant(options.publishService ?? DEFAULT_PUBLISH_SERVICE));
      api.addInvariant(ingressMissingTlsSecretsReportedInvariant);
      // judged on what its router answers (the data plane a client meets), not on its routing code
      api.addInvariant(ingressRoutesFollowRulesInvariant((request) => router.routes(request)?.[0]?.route));
    },
  };
}

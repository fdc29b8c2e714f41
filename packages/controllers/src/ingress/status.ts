/**
 * What ingress-nginx publishes as an Ingress's `status.loadBalancer`, pure: the address of its
 * own Service (`--publish-service`, upstream `statusAddressFromService`).
 *
 * @module
 */
import type { LoadBalancerIngress, Service } from '@kubeloop/core';

/**
 * The addresses of the controller's Service: a LoadBalancer's load balancer addresses plus its
 * external IPs; a NodePort's external IPs, else its cluster IP; a ClusterIP's cluster IP; an
 * ExternalName's name as a hostname. Sorted by IP then hostname, as ingress-nginx sorts them;
 * empty while a LoadBalancer is pending.
 */
export function publishedAddresses(service: Service | undefined): LoadBalancerIngress[] {
  if (service === undefined) return [];
  const spec = service.spec;
  let out: LoadBalancerIngress[];
  switch (spec.type) {
    case 'ExternalName':
      out = spec.externalName ? [{ hostname: spec.externalName }] : [];
      break;
    case 'ClusterIP':
      out = spec.clusterIP && spec.clusterIP !== 'None' ? [{ ip: spec.clusterIP }] : [];
      break;
    case 'NodePort':
      out = (spec.externalIPs ?? []).length > 0 ? spec.externalIPs!.map((ip) => ({ ip })) : spec.clusterIP ? [{ ip: spec.clusterIP }] : [];
      break;
    case 'LoadBalancer': {
      out = (service.status.loadBalancer?.ingress ?? []).map((i) => ({ ...(i.ip ? { ip: i.ip } : {}), ...(i.hostname ? { hostname: i.hostname } : {}) }));
      for (const ip of spec.externalIPs ?? []) if (!out.some((o) => o.ip === ip)) out.push({ ip });
      break;
    }
    default:
      out = [];
  }
  return out.sort((a, b) => ((a.ip ?? '') + (a.hostname ?? '') < (b.ip ?? '') + (b.hostname ?? '') ? -1 : 1));
}

/**
 * The invariants of ingress-nginx's status, stated from its documentation ("the Ingress status
 * is the address of the Service given with --publish-service"; "IngressClass": an Ingress
 * names its class with `spec.ingressClassName`, the legacy `kubernetes.io/ingress.class`
 * annotation, or gets the class marked `ingressclass.kubernetes.io/is-default-class`, and only
 * the controller the class names serves it) in their own code, independently of the
 * controller's class and status helpers.
 *
 * @module
 */
import { invariant, refOf, transitionInvariant } from '@kubeloop/core';
import type { ClusterState, Event, Ingress, IngressClass, Invariant, InvariantViolation, Secret, Service } from '@kubeloop/core';

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
 * Whether `ing` is of a class of `controller`: its `ingressClassName` names an IngressClass of
 * that controller; or, without one, its legacy `kubernetes.io/ingress.class` annotation is
 * `legacyClass`; or, with neither, an IngressClass of that controller is marked default.
 */
function ofClass(ing: Ingress, classes: readonly IngressClass[], controller: string, legacyClass: string): boolean {
  const name = ing.spec.ingressClassName ?? '';
  if (name !== '') return classes.some((c) => c.metadata.name === name && c.spec.controller === controller);
  const legacy = ing.metadata.annotations?.['kubernetes.io/ingress.class'];
  if (legacy !== undefined) return legacy === legacyClass;
  return classes.some((c) => c.spec.controller === controller && c.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true');
}

/**
 * After settling, every Ingress of an IngressClass whose controller is `controller` (by
 * `ingressClassName`, the legacy `kubernetes.io/ingress.class: nginx`, or, with neither, a
 * default IngressClass of `controller`) shows exactly the publish Service's addresses in
 * `status.loadBalancer.ingress`. Nothing is judged while the publish Service does not exist.
 */
export function ingressStatusPublished(state: IngressStatusState, controller = 'k8s.io/ingress-nginx'): InvariantViolation[] {
  if (state.publishService === undefined) return [];
  const want = addressText(state.publishService);
  const out: InvariantViolation[] = [];
  for (const ing of state.ingresses) {
    if (!ofClass(ing, state.ingressClasses, controller, 'nginx')) continue;
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

const shown = (ing: Ingress | undefined): string[] => (ing?.status.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((a) => a !== '');

/**
 * Transition: an Ingress that is not of ingress-nginx's class (`controller`, legacy class
 * `nginx`) — neither in the state before nor in the state after — never has the address of
 * ingress-nginx's Service (`publishService`, as it is after) written into its
 * `status.loadBalancer`: another class's Ingress is its own controller's to publish, and one of
 * no served class has no address. Each change between the two states is judged against the
 * version before it.
 */
export function ingressStatusOfOtherClassesUntouched(previous: ClusterState, state: ClusterState, publishService: { readonly namespace: string; readonly name: string }, controller = 'k8s.io/ingress-nginx'): InvariantViolation[] {
  const service = state.get<Service>('Service', publishService.namespace, publishService.name);
  if (service === undefined) return [];
  const ours = new Set(addressText(service));
  const before = new Map<string, Ingress | undefined>();
  const out: InvariantViolation[] = [];
  for (const change of state.changes) {
    if (change.object.kind !== 'Ingress') continue;
    const ing = change.object as Ingress;
    const key = `${ing.metadata.namespace ?? ''}/${ing.metadata.name ?? ''}`;
    const old = before.has(key) ? before.get(key) : previous.get<Ingress>('Ingress', ing.metadata.namespace, ing.metadata.name ?? '');
    before.set(key, change.type === 'DELETED' ? undefined : ing);
    if (change.type !== 'MODIFIED' || old?.metadata.uid !== ing.metadata.uid) continue;
    const had = new Set(shown(old));
    const written = shown(ing).filter((a) => ours.has(a) && !had.has(a));
    if (written.length === 0 || old === undefined) continue;
    if (ofClass(old, previous.of<IngressClass>('IngressClass'), controller, 'nginx') || ofClass(ing, state.of<IngressClass>('IngressClass'), controller, 'nginx')) continue;
    const cls = ing.spec.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
    out.push({ message: `is not of ingress-nginx's class (${cls === undefined ? 'no class' : `class ${cls}`}), yet status.loadBalancer got [${written.join(', ')}], the address of ${publishService.namespace}/${publishService.name}`, objects: [refOf(ing), refOf(service)] });
  }
  return out;
}

/** Builds the transition invariant {@link ingressStatusOfOtherClassesUntouched} for the publish Service `namespace/name`. */
export function ingressStatusOfOtherClassesUntouchedInvariant(publishService: string): Invariant {
  const [namespace, name] = publishService.split('/');
  return transitionInvariant(
    'ingressStatusOfOtherClassesUntouched',
    "ingress-nginx never writes its Service's address into the status of an Ingress that is not of its class (another controller's class, or no class it serves).",
    (previous, state) => ingressStatusOfOtherClassesUntouched(previous, state, { namespace: namespace ?? '', name: name ?? '' }),
  );
}

/**
 * After settling, every Ingress of ingress-nginx's class (`controller`, legacy class `nginx`)
 * whose `spec.tls` names, for one or more hosts, a Secret that does not exist in its namespace
 * has a Warning event `SSLCertificateError` about it whose message names the Secret
 * (`namespace/name`): ingress-nginx then serves those hosts with its default fake certificate and
 * says so on the Ingress (`kubectl describe ingress`). An event counts when it is about this very
 * Ingress (its uid); a TLS entry without hosts is not judged.
 */
export function ingressMissingTlsSecretsReported(ingresses: readonly Ingress[], ingressClasses: readonly IngressClass[], secrets: readonly Secret[], events: readonly Event[], controller = 'k8s.io/ingress-nginx'): InvariantViolation[] {
  const existing = new Set(secrets.map((s) => `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`));
  const out: InvariantViolation[] = [];
  for (const ing of ingresses) {
    if (!ofClass(ing, ingressClasses, controller, 'nginx')) continue;
    const ns = ing.metadata.namespace ?? '';
    const warnings = events.filter((e) => e.type === 'Warning' && e.reason === 'SSLCertificateError' && e.involvedObject.uid === ing.metadata.uid);
    const missing = new Set((ing.spec.tls ?? []).filter((t) => (t.hosts ?? []).length > 0 && (t.secretName ?? '') !== '').map((t) => `${ns}/${t.secretName}`).filter((k) => !existing.has(k)));
    for (const key of missing) {
      if (!warnings.some((e) => (e.message ?? '').includes(`"${key}"`))) out.push({ message: `names TLS Secret ${key}, which does not exist, and has no Warning SSLCertificateError event about it`, objects: [refOf(ing)] });
    }
  }
  return out;
}

/** Liveness: {@link ingressMissingTlsSecretsReported} over the cluster's Ingresses, IngressClasses, Secrets and Events. */
export const ingressMissingTlsSecretsReportedInvariant: Invariant = invariant(
  'ingressMissingTlsSecretsReported',
  "After settling, an Ingress of ingress-nginx's class whose spec.tls names a Secret that does not exist has a Warning SSLCertificateError event naming that Secret (its hosts get the default fake certificate).",
  (state) => ingressMissingTlsSecretsReported(state.of<Ingress>('Ingress'), state.of<IngressClass>('IngressClass'), state.of<Secret>('Secret'), state.of<Event>('Event')),
);

/** Where a request went, as much of it as {@link ingressRoutesFollowRules} judges (an `IngressRoute` fits). */
export interface ObservedIngressRoute {
  /** `backend` (a Service port answered), `default-backend` (404), `redirect` (308) or `unavailable` (503). */
  readonly kind: string;
  /** The backend Service's namespace, for `backend`. */
  readonly namespace?: string | undefined;
  /** The backend Service's name, for `backend`. */
  readonly service?: string | undefined;
}

/** What {@link ingressRoutesFollowRules} asks: where an HTTPS request for `host` and `path` goes now (undefined: nothing routes yet). */
export type IngressRouteProbe = (request: { readonly host: string; readonly path: string; readonly scheme: 'https' }) => ObservedIngressRoute | undefined;

interface Claim {
  readonly path: string;
  readonly exact: boolean;
  readonly backend: { readonly namespace: string; readonly name: string; readonly port: { readonly number?: number | undefined; readonly name?: string | undefined } } | undefined;
  readonly created: string;
  readonly ingress: string;
}

/**
 * After settling, an HTTPS request for a host that an Ingress of ingress-nginx's class
 * (`controller`, legacy class `nginx`) names in a rule goes where the Kubernetes Ingress rules
 * say ("Ingress": "Multiple matches"; ingress-nginx merges the Ingresses of a host, oldest
 * first):
 * - among the paths of all those Ingresses' rules for that exact host, an `Exact` path equal to
 *   the request path wins; else the longest `Prefix` path that matches element-wise (`/api`
 *   matches `/api` and `/api/v1`, not `/apix`); a path two Ingresses both name belongs to the
 *   older one;
 * - with no match, the `defaultBackend` of the oldest such Ingress answers, else the controller's
 *   default backend (404);
 * - a backend Service (or port) that does not exist answers 503.
 *
 * `route` is the data plane's answer (what a client sees), observed, not recomputed. Requests
 * are probed at each path the rules name, one element below it and one character past it. Not
 * judged: wildcard hosts, hosts whose Ingresses use regex paths, rewrites or canaries, and
 * requests whose answer rests on two Ingresses created in the same second (their order is
 * ingress-nginx's listing order, not a documented rule).
 */
export function ingressRoutesFollowRules(state: Pick<ClusterState, 'of'>, route: IngressRouteProbe, controller = 'k8s.io/ingress-nginx'): InvariantViolation[] {
  const classes = state.of<IngressClass>('IngressClass');
  const services = state.of<Service>('Service');
  const ours = state.of<Ingress>('Ingress').filter((i) => ofClass(i, classes, controller, 'nginx'));
  const special = (i: Ingress): boolean => Object.keys(i.metadata.annotations ?? {}).some((a) => /^nginx\.ingress\.kubernetes\.io\/(canary|use-regex|rewrite-target)/.test(a));
  const hosts = [...new Set(ours.flatMap((i) => (i.spec.rules ?? []).map((r) => r.host ?? '')))].filter((h) => h !== '' && !h.includes('*')).sort();
  const out: InvariantViolation[] = [];
  for (const host of hosts) {
    const named = ours.filter((i) => (i.spec.rules ?? []).some((r) => r.host === host));
    if (named.some(special) || named.some((i) => (i.spec.rules ?? []).some((r) => r.host === host && (r.http?.paths ?? []).some((p) => (p.pathType ?? 'ImplementationSpecific') === 'ImplementationSpecific')))) continue;
    const claims: Claim[] = named.flatMap((i) =>
      (i.spec.rules ?? [])
        .filter((r) => r.host === host)
        .flatMap((r) => r.http?.paths ?? [])
        .map((p) => ({
          path: p.path ?? '/',
          exact: p.pathType === 'Exact',
          backend: p.backend.service === undefined ? undefined : { namespace: i.metadata.namespace ?? '', name: p.backend.service.name, port: { number: p.backend.service.port?.number, name: p.backend.service.port?.name } },
          created: i.metadata.creationTimestamp ?? '',
          ingress: `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`,
        })),
    );
    /** The claim that wins among `cs`: the oldest Ingress's; undefined with `tie` when two Ingresses of the same second claim it. */
    const oldest = (cs: readonly Claim[]): { claim: Claim | undefined; tie: boolean } => {
      const first = [...cs].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0))[0];
      if (first === undefined) return { claim: undefined, tie: false };
      return { claim: first, tie: cs.some((c) => c.created === first.created && c.ingress !== first.ingress) };
    };
    const probes = [...new Set(['/', ...claims.flatMap((c) => [c.path, `${c.path.replace(/\/$/, '')}/x`, `${c.path}x`])])].sort();
    for (const path of probes) {
      const exact = claims.filter((c) => c.exact && c.path === path);
      const prefixes = claims.filter((c) => !c.exact && (c.path.replace(/\/+$/, '') === '' || path === c.path.replace(/\/+$/, '') || path.startsWith(`${c.path.replace(/\/+$/, '')}/`)));
      const longest = Math.max(-1, ...prefixes.map((c) => c.path.replace(/\/+$/, '').length));
      let want: { kind: string; service?: string | undefined; namespace?: string | undefined; why: string };
      let decided: { claim: Claim | undefined; tie: boolean };
      if (exact.length > 0) {
        decided = oldest(exact);
        want = { kind: 'backend', why: `the Exact path ${path} of ${decided.claim?.ingress ?? ''}` };
      } else if (longest >= 0) {
        decided = oldest(prefixes.filter((c) => c.path.replace(/\/+$/, '').length === longest));
        want = { kind: 'backend', why: `the longest matching Prefix path ${decided.claim?.path ?? ''} of ${decided.claim?.ingress ?? ''}` };
      } else {
        const first = oldest(named.map((i) => ({ path: '/', exact: false, backend: undefined, created: i.metadata.creationTimestamp ?? '', ingress: `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}` })));
        const ing = named.find((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}` === first.claim?.ingress);
        const def = ing?.spec.defaultBackend?.service;
        decided = { claim: first.claim && { ...first.claim, backend: def === undefined ? undefined : { namespace: ing?.metadata.namespace ?? '', name: def.name, port: { number: def.port?.number, name: def.port?.name } } }, tie: first.tie };
        want = def === undefined ? { kind: 'default-backend', why: `no path of ${host} matches and ${first.claim?.ingress ?? ''} has no defaultBackend` } : { kind: 'backend', why: `no path of ${host} matches: the defaultBackend of ${first.claim?.ingress ?? ''}` };
      }
      if (decided.tie) continue;
      const backend = decided.claim?.backend;
      if (want.kind === 'backend') {
        if (backend === undefined) continue;
        const svc = services.find((s) => s.metadata.namespace === backend.namespace && s.metadata.name === backend.name);
        const port = (svc?.spec.ports ?? []).find((p) => (backend.port.name !== undefined && backend.port.name !== '' ? p.name === backend.port.name : p.port === backend.port.number));
        want = port === undefined ? { kind: 'unavailable', why: `${want.why}, whose Service ${backend.namespace}/${backend.name} has no such port or does not exist` } : { ...want, namespace: backend.namespace, service: backend.name };
      }
      const got = route({ host, path, scheme: 'https' });
      if (got === undefined) continue;
      const same = got.kind === want.kind && (want.kind !== 'backend' || (got.namespace === want.namespace && got.service === want.service));
      if (!same) {
        const shown = (r: { kind: string; namespace?: string | undefined; service?: string | undefined }): string => (r.kind === 'backend' ? `Service ${r.namespace ?? ''}/${r.service ?? ''}` : r.kind);
        const culprit = named.find((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}` === decided.claim?.ingress) ?? named[0]!;
        out.push({ message: `https://${host}${path} went to ${shown(got)}, the rules send it to ${shown(want)} (${want.why})`, objects: [refOf(culprit)] });
      }
    }
  }
  return out;
}

/**
 * Builds the liveness invariant {@link ingressRoutesFollowRules} over `route`, the data plane
 * of the ingress-nginx installation it checks (its plugin's router).
 */
export function ingressRoutesFollowRulesInvariant(route: IngressRouteProbe): Invariant {
  return invariant(
    'ingressRoutesFollowRules',
    "After settling, a request for a host of ingress-nginx's Ingresses goes to the Service of the Exact path equal to its path, else of the longest matching Prefix path (the older Ingress's when two name it), else to the oldest Ingress's defaultBackend or a 404.",
    (state) => ingressRoutesFollowRules(state, route),
  );
}

/**
 * How a pod answers an HTTP request, by image, as the real images do; and what a request costs
 * it in CPU.
 *
 * | image | listens on | answers |
 * |---|---|---|
 * | `kiamol/ch02-whoami` | 80 | `I'm <hostname> running on Linux x64` |
 * | `traefik/whoami`, `containous/whoami` | 80 | `Hostname: <hostname>`, `IP: <pod IP>`, the request line |
 * | `kubetm/app` | 8080 | `/hostname` → `Hostname : <hostname>`; `/` → `Welcome to Kubetm!` |
 * | `nginx` | 80 | nginx's welcome page at `/` and `/index.html` |
 * | `hpa-example`, `php-apache` | 80 | `OK!` |
 *
 * Any other path of a known image is a 404; a known image asked on another port refuses the
 * connection. An image not listed answers 200 with an empty body on any port.
 *
 * @module
 */
import { imageRepository } from '../images.js';
import type { Container, Pod } from '@kubeloop/core';
import { podHostname } from '../shell/program.js';

/** An HTTP request as a server sees it. */
export interface HttpRequest {
  /** `GET` (the only method the clients here send). */
  readonly method: string;
  /** The `Host` header (the name the client asked for). */
  readonly host: string;
  /** The path, with its query. */
  readonly path: string;
  /** Request headers (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A server's answer. */
export type ServerAnswer =
  | { readonly kind: 'response'; readonly container: string; readonly status: number; readonly body: string }
  | { readonly kind: 'refused' };

/** What a known image serves. */
export interface ImageServer {
  /** The port it listens on. */
  readonly port: number;
  /** CPU time one request costs it, in ms (1 ms per request at 1 request/s is 1m of CPU). */
  readonly cpuMsPerRequest: number;
  /** Its answer to `request` (status and body). */
  answer(request: HttpRequest, pod: Pod, podIP: string): { readonly status: number; readonly body: string };
}

const NGINX_WELCOME = '<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n</body>\n</html>\n';
const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const pathOf = (request: HttpRequest): string => request.path.split('?')[0]!;

/**
 * The CPU a request costs `hpa-example` (php-apache's `index.php`: a million `sqrt` additions),
 * 6.5 ms, chosen so that the kubernetes.io walkthrough's load generator gives the figures its
 * page shows.
 *
 * A flow's rate is its loop's, counted as if the server answered at once:
 * `while sleep 0.01; do wget ...; done` is 100 req/s. A real loop waits for each answer, so it
 * keeps at most one request in flight and its server at most one core busy: with a request
 * costing `c` ms of CPU and ~2 ms of wget and network around it, the loop runs
 * `1000 / (10 + 2 + c)` times a second and keeps `c / (12 + c)` of a core busy. The page's
 * load settles at 7 replicas at a 50% target of 200m, i.e. 600m–700m in all, so `c` ≈ 20 ms at
 * ~30 req/s: 650m. The model's 100 req/s carry the same CPU at 6.5 ms each.
 *
 * Worked example (the walkthrough, php-apache.yaml: request 200m, limit 500m, target 50%): one
 * pod gets 100 × 6.5 = 650m, throttled to its 500m limit: 250% → 5 replicas; 5 pods at 130m:
 * 65% → ceil(5 × 1.31) = 7; 7 pods at 93m: 47%, within the 0.1 tolerance, stays 7. (At 10 ms
 * the same loop would put a whole core on the Service and settle at 10.)
 */
export const HPA_EXAMPLE_CPU_MS_PER_REQUEST = 6.5;

/** The known images, by normalized repository (`docker.io/library/nginx`). */
export const IMAGE_SERVERS: Readonly<Record<string, ImageServer>> = Object.freeze({
  'docker.io/kiamol/ch02-whoami': {
    port: 80,
    cpuMsPerRequest: 0.5,
    answer: (_r: HttpRequest, pod: Pod) => ({ status: 200, body: `I'm ${podHostname(pod)} running on Linux x64` }),
  },
  'docker.io/traefik/whoami': {
    port: 80,
    cpuMsPerRequest: 0.5,
    answer: (r: HttpRequest, pod: Pod, ip: string) => ({ status: 200, body: `Hostname: ${podHostname(pod)}\nIP: 127.0.0.1\nIP: ${ip}\n${r.method} ${r.path} HTTP/1.1\nHost: ${r.host}\n` }),
  },
  'docker.io/containous/whoami': {
    port: 80,
    cpuMsPerRequest: 0.5,
    answer: (r: HttpRequest, pod: Pod, ip: string) => ({ status: 200, body: `Hostname: ${podHostname(pod)}\nIP: 127.0.0.1\nIP: ${ip}\n${r.method} ${r.path} HTTP/1.1\nHost: ${r.host}\n` }),
  },
  'docker.io/kubetm/app': {
    port: 8080,
    cpuMsPerRequest: 1,
    answer: (r: HttpRequest, pod: Pod) => {
      const p = pathOf(r);
      if (p === '/hostname') return { status: 200, body: `Hostname : ${podHostname(pod)}\n` };
      if (p === '/') return { status: 200, body: 'Welcome to Kubetm!\n' };
      return { status: 404, body: `Cannot GET ${p}\n` };
    },
  },
  'docker.io/library/nginx': {
    port: 80,
    cpuMsPerRequest: 0.2,
    answer: (r: HttpRequest) => (pathOf(r) === '/' || pathOf(r) === '/index.html' ? { status: 200, body: NGINX_WELCOME } : { status: 404, body: NGINX_404 }),
  },
  'registry.k8s.io/hpa-example': {
    port: 80,
    cpuMsPerRequest: HPA_EXAMPLE_CPU_MS_PER_REQUEST,
    answer: (r: HttpRequest) => (pathOf(r) === '/' || pathOf(r) === '/index.php' ? { status: 200, body: 'OK!' } : { status: 404, body: 'Not Found' }),
  },
  'docker.io/library/php-apache': {
    port: 80,
    cpuMsPerRequest: HPA_EXAMPLE_CPU_MS_PER_REQUEST,
    answer: (r: HttpRequest) => (pathOf(r) === '/' || pathOf(r) === '/index.php' ? { status: 200, body: 'OK!' } : { status: 404, body: 'Not Found' }),
  },
});

/** An image not listed in {@link IMAGE_SERVERS}: any port, 200, empty body, 1 ms of CPU a request. */
export const DEFAULT_CPU_MS_PER_REQUEST = 1;

/**
 * The CPU time one request costs a container, overriding its image's: a duration in ms
 * (`"10"`, `"2.5ms"`); `kubeloop.dev/cpu-per-request.<container>` for one container.
 */
export const CPU_PER_REQUEST_ANNOTATION = 'kubeloop.dev/cpu-per-request';

/** The server of an image, if known (`gcr.io/google_containers/hpa-example`, `registry.k8s.io/nginx-slim` too: matched by repository, then by last path segment). */
export function imageServer(image: string | undefined): ImageServer | undefined {
  const repo = imageRepository(image ?? '');
  const known = IMAGE_SERVERS[repo];
  if (known !== undefined) return known;
  const last = repo.slice(repo.lastIndexOf('/') + 1);
  if (last === 'hpa-example' || last === 'php-apache') return IMAGE_SERVERS['registry.k8s.io/hpa-example'];
  // registry.k8s.io/nginx-slim, the StatefulSet tutorial's image, serves as nginx does.
  if (last === 'nginx' || last === 'nginx-slim') return IMAGE_SERVERS['docker.io/library/nginx'];
  return undefined;
}

/** The container of `pod` that serves `port`: one declaring it, else one whose image listens on it, else (unknown images) the first. */
export function servingContainer(pod: Pod, port: number): Container | undefined {
  const containers = pod.spec.containers;
  const declared = containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === port));
  if (declared !== undefined) return imageServer(declared.image) === undefined || imageServer(declared.image)!.port === port ? declared : undefined;
  const known = containers.find((c) => imageServer(c.image)?.port === port);
  if (known !== undefined) return known;
  return containers.find((c) => imageServer(c.image) === undefined);
}

/** The CPU ms one request costs `container` of `pod` (annotation, else image, else the default). */
export function cpuMsPerRequest(pod: Pod, container: Container): number {
  const a = pod.metadata.annotations ?? {};
  const text = a[`${CPU_PER_REQUEST_ANNOTATION}.${container.name}`] ?? a[CPU_PER_REQUEST_ANNOTATION];
  if (text !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms)?\s*$/.exec(text);
    if (m !== null) return Number(m[1]);
  }
  return imageServer(container.image)?.cpuMsPerRequest ?? DEFAULT_CPU_MS_PER_REQUEST;
}

/** How `pod` (at `podIP`) answers `request` on `port`. */
export function serve(pod: Pod, podIP: string, port: number, request: HttpRequest): ServerAnswer {
  const container = servingContainer(pod, port);
  if (container === undefined) return { kind: 'refused' };
  const server = imageServer(container.image);
  if (server === undefined) return { kind: 'response', container: container.name, status: 200, body: '' };
  const { status, body } = server.answer(request, pod, podIP);
  return { kind: 'response', container: container.name, status, body };
}

/**
 * Image references and how long pulling them takes.
 *
 * @module
 */

const MB = 1_000_000;

/**
 * Nominal compressed sizes of well-known images (bytes), used when no size is configured.
 * Rounded from the registries' amd64 sizes; what matters is the order of magnitude.
 */
export const NOMINAL_IMAGE_SIZES: Readonly<Record<string, number>> = Object.freeze({
  'docker.io/library/busybox': 2 * MB,
  'docker.io/library/alpine': 4 * MB,
  'registry.k8s.io/pause': 300_000,
  'registry.k8s.io/coredns/coredns': 21 * MB,
  'docker.io/traefik/whoami': 3 * MB,
  'docker.io/library/nginx': 70 * MB,
  'docker.io/library/httpd': 60 * MB,
  'docker.io/library/redis': 45 * MB,
  'docker.io/library/postgres': 150 * MB,
  'docker.io/library/mysql': 170 * MB,
  'docker.io/library/python': 380 * MB,
  'docker.io/library/node': 400 * MB,
  'docker.io/library/ubuntu': 30 * MB,
  'docker.io/library/perl': 330 * MB,
});

/** The size assumed for an image not in {@link NOMINAL_IMAGE_SIZES} and not configured: 50 MB. */
export const DEFAULT_IMAGE_SIZE_BYTES = 50 * MB;

/**
 * Splits a reference into repository and tag/digest and fills in the defaults a container
 * runtime applies: registry `docker.io`, namespace `library` for single-segment names on Docker
 * Hub, tag `latest`.
 *
 * @example
 * ```ts
 * normalizeImage('nginx');                   // 'docker.io/library/nginx:latest'
 * normalizeImage('traefik/whoami:v1.10');    // 'docker.io/traefik/whoami:v1.10'
 * normalizeImage('localhost:5000/app');      // 'localhost:5000/app:latest'
 * ```
 */
export function normalizeImage(image: string): string {
  let normal = normalized.get(image);
  if (normal === undefined) {
    if (normalized.size >= NORMALIZED_KEPT) normalized.clear();
    normalized.set(image, (normal = normalize(image)));
  }
  return normal;
}

/**
 * {@link normalizeImage}'s answers by reference, at most {@link NORMALIZED_KEPT}: a cluster names
 * few images, and an answer is a map key of the runtime's. A fresh answer per call was a new
 * string to flatten and hash at every lookup (1% of a large run).
 */
const normalized = new Map<string, string>();
const NORMALIZED_KEPT = 4096;

function normalize(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return `${imageRepository(image.slice(0, at))}${image.slice(at)}`;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > lastSlash ? image.slice(colon + 1) : 'latest';
  return `${imageRepository(image)}:${tag}`;
}

/** The normalized repository of a reference, without tag or digest (`nginx:1.25` → `docker.io/library/nginx`). */
export function imageRepository(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  if (hasRegistry) return name;
  return firstSlash < 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/** How pulls are timed on a node. */
export interface PullTiming {
  /** Download bandwidth in bytes per second (default 20 MB/s). */
  readonly bytesPerSecond?: number | undefined;
  /** Fixed cost of a pull: resolving the manifest, unpacking (default 500 ms). */
  readonly overheadMs?: number | undefined;
}

/** What is known about one image: its size, or a fixed pull time that overrides the size. */
export interface ImageSpec {
  /** Size in bytes. */
  readonly sizeBytes?: number | undefined;
  /** Pull time in ms; when set, used as is. */
  readonly pullMs?: number | undefined;
}

/** The size of an image: configured, else nominal, else {@link DEFAULT_IMAGE_SIZE_BYTES}. */
export function imageSize(image: string, configured: ImageSpec | undefined): number {
  return configured?.sizeBytes ?? NOMINAL_IMAGE_SIZES[imageRepository(image)] ?? DEFAULT_IMAGE_SIZE_BYTES;
}

/**
 * How long pulling `image` takes when it is not cached: the configured `pullMs`, else the
 * overhead plus size over bandwidth, rounded to the millisecond.
 *
 * @example
 * ```ts
 * pullDurationMs('nginx:1.25', undefined, {}); // 500 + 70 MB / 20 MB/s = 4000
 * pullDurationMs('busybox', { pullMs: 50 }, {}); // 50
 * ```
 */
export function pullDurationMs(image: string, configured: ImageSpec | undefined, timing: PullTiming): number {
  if (configured?.pullMs !== undefined) return configured.pullMs;
  const bandwidth = timing.bytesPerSecond ?? 20 * MB;
  return Math.round((timing.overheadMs ?? 500) + (imageSize(image, configured) * 1000) / bandwidth);
}

/** A host name with an optional port, as an image reference's registry part. */
const DOMAIN = String.raw`(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?`;
/** One lower-case path component of a repository name. */
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const REFERENCE = new RegExp(String.raw`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

/**
 * Whether `image` is an image reference a container runtime can parse (the grammar of the
 * distribution reference: an optional registry host, lower-case path components, an optional
 * tag and digest). `<your-private-image>` or `Nginx` is not: the kubelet reports
 * `InvalidImageName`.
 *
 * @example
 * ```ts
 * isImageReference('registry.k8s.io/pause:3.10'); // true
 * isImageReference('<your-private-image>');       // false
 * ```
 */
export function isImageReference(image: string): boolean {
  return image.length > 0 && image.length <= 255 + 128 && REFERENCE.test(image);
}

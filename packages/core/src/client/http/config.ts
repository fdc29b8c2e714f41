/**
 * Where a cluster is and how to authenticate to it: client-go's `rest.Config`, loaded from a
 * kubeconfig file (`clientcmd`) or from the environment of a pod (`rest.InClusterConfig`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';

/**
 * How to reach one API server and who to be there: the resolved current context of a
 * kubeconfig, or the in-cluster configuration. File references are kept as paths where the
 * credential can change while the client runs (a projected ServiceAccount token is rotated);
 * everything else is read at load time.
 */
export interface ClusterConnection {
  /** The API server's base URL, e.g. `https://10.96.0.1:443` (`http://` is accepted for tests). */
  readonly server: string;
  /** CA certificates (PEM) that sign the server's certificate; the system's CAs when absent. */
  readonly certificateAuthority?: string | undefined;
  /** Skip verifying the server's certificate (kubeconfig `insecure-skip-tls-verify`). Off by default. */
  readonly insecureSkipTlsVerify?: boolean | undefined;
  /** The name to verify the server's certificate against instead of the URL's host (`tls-server-name`). */
  readonly tlsServerName?: string | undefined;
  /** A bearer token (`token`). */
  readonly token?: string | undefined;
  /** A file holding the bearer token (`tokenFile`), re-read periodically (it may be rotated). */
  readonly tokenFile?: string | undefined;
  /** Client certificate (PEM) for TLS client authentication. */
  readonly clientCertificate?: string | undefined;
  /** The client certificate's private key (PEM). */
  readonly clientKey?: string | undefined;
  /**
   * The namespace of the context (or of the pod), `default` when the kubeconfig names none: where
   * the user means to work (e.g. for a Lease). The client does not apply it: an object or key
   * without a namespace means `default`, as with the in-process server.
   */
  readonly namespace: string;
}

/** Why a configuration could not be loaded. */
export type ClusterConfigErrorCode = 'not-in-cluster' | 'unreadable' | 'invalid' | 'no-context';

/**
 * A kubeconfig or in-cluster configuration that cannot be used. `code` says which way;
 * `message` names the file, context or field.
 */
export class ClusterConfigError extends Error {
  /** Which failure this is. */
  readonly code: ClusterConfigErrorCode;

  constructor(code: ClusterConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterConfigError';
    this.code = code;
  }
}

/** Reads a file as UTF-8 text; injectable so tests need no real files. */
export type ReadTextFile = (path: string) => string;

const readText: ReadTextFile = (path) => readFileSync(path, 'utf8');

/** Options of {@link loadKubeconfig}. */
export interface KubeconfigOptions {
  /**
   * The kubeconfig file. Default: the first path of `$KUBECONFIG`, else `~/.kube/config`.
   * Relative paths inside the file (`certificate-authority`, `tokenFile`...) are resolved
   * against the file's directory, as `clientcmd` does.
   */
  readonly path?: string | undefined;
  /** The kubeconfig's text, instead of reading `path` (relative paths then resolve against the working directory). */
  readonly text?: string | undefined;
  /** The context to use instead of `current-context` (`kubectl --context`). */
  readonly context?: string | undefined;
  /** The environment (default `process.env`): where `KUBECONFIG` is looked up. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** How files are read (default: synchronously from disk). */
  readonly readFile?: ReadTextFile | undefined;
}

/** One `{ name, cluster | user | context }` entry of a kubeconfig list. */
type NamedEntry = Readonly<Record<string, unknown>>;

function entry(list: unknown, name: string, what: 'cluster' | 'user' | 'context', source: string): Record<string, unknown> {
  const found = Array.isArray(list) ? (list as NamedEntry[]).find((e) => e !== null && typeof e === 'object' && e.name === name) : undefined;
  const body = found?.[what];
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new ClusterConfigError('invalid', `${source}: ${what} "${name}" not found`);
  }
  return body as Record<string, unknown>;
}

function str(value: unknown, field: string, source: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ClusterConfigError('invalid', `${source}: ${field}: must be a string`);
  return value;
}

function decodeBase64(value: string | undefined, field: string, source: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/=\s]*$/.test(value)) throw new ClusterConfigError('invalid', `${source}: ${field}: illegal base64 data`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Loads the current context (or `options.context`) of a kubeconfig into a
 * {@link ClusterConnection}, as `clientcmd` resolves it: the context's cluster
 * (`server`, `certificate-authority-data` or `certificate-authority`,
 * `insecure-skip-tls-verify`, `tls-server-name`), user (`token` or `tokenFile`,
 * `client-certificate-data` / `client-key-data` or the `client-certificate` / `client-key`
 * files) and namespace (default `default`). `*-data` fields win over their file forms, as in
 * `clientcmd`.
 *
 * Caveats: only the first file of a `KUBECONFIG` list is read (no merging); `exec` and
 * `auth-provider` plugins and basic auth are not supported (such a user is rejected).
 *
 * Errors: {@link ClusterConfigError} `unreadable` (the file or a file it names cannot be
 * read), `invalid` (malformed YAML, a missing cluster/user entry, a field of the wrong type, an
 * unsupported auth plugin), `no-context` (no current context, or it does not exist).
 *
 * @example
 * ```ts
 * const client = new HttpClient({ connection: loadKubeconfig(), clock: new RealClock() });
 * ```
 */
export function loadKubeconfig(options: KubeconfigOptions = {}): ClusterConnection {
  const readFile = options.readFile ?? readText;
  const env = options.env ?? process.env;
  let path = options.path;
  if (options.text === undefined && path === undefined) {
    const first = (env['KUBECONFIG'] ?? '').split(':').find((p) => p !== '');
    path = first ?? join(env['HOME'] ?? homedir(), '.kube', 'config');
  }
  const source = path ?? 'kubeconfig';
  const base = path !== undefined ? dirname(resolve(path)) : process.cwd();
  const file = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  const read = (p: string, what: string): string => {
    try {
      return readFile(p);
    } catch (e) {
      throw new ClusterConfigError('unreadable', `${source}: cannot read ${what} ${p}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };
  const text = options.text ?? read(path!, 'kubeconfig');
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ClusterConfigError('invalid', `${source}: not a kubeconfig: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ClusterConfigError('invalid', `${source}: not a kubeconfig: expected a mapping`);
  const config = doc as Record<string, unknown>;
  const contextName = options.context ?? str(config['current-context'], 'current-context', source);
  if (contextName === undefined || contextName === '') throw new ClusterConfigError('no-context', `${source}: current-context is not set`);
  const contexts = Array.isArray(config['contexts']) ? (config['contexts'] as NamedEntry[]) : [];
  if (!contexts.some((c) => c !== null && typeof c === 'object' && c.name === contextName)) {
    throw new ClusterConfigError('no-context', `${source}: context "${contextName}" does not exist`);
  }
  const context = entry(contexts, contextName, 'context', source);
  const clusterName = str(context['cluster'], `contexts[${contextName}].cluster`, source) ?? '';
  const userName = str(context['user'], `contexts[${contextName}].user`, source);
  const cluster = entry(config['clusters'], clusterName, 'cluster', source);
  const user = userName === undefined || userName === '' ? {} : entry(config['users'], userName, 'user', source);
  for (const unsupported of ['exec', 'auth-provider', 'username', 'password']) {
    if (user[unsupported] !== undefined) throw new ClusterConfigError('invalid', `${source}: user "${userName}": ${unsupported} is not supported; use a token, tokenFile or a client certificate`);
  }

  const server = str(cluster['server'], `clusters[${clusterName}].server`, source);
  if (server === undefined || server === '') throw new ClusterConfigError('invalid', `${source}: cluster "${clusterName}" has no server`);
  const dataOrFile = (entryBody: Record<string, unknown>, field: string, owner: string): string | undefined => {
    const data = decodeBase64(str(entryBody[`${field}-data`], `${owner}.${field}-data`, source), `${owner}.${field}-data`, source);
    if (data !== undefined) return data;
    const p = str(entryBody[field], `${owner}.${field}`, source);
    return p === undefined || p === '' ? undefined : read(file(p), field);
  };
  const clusterOwner = `clusters[${clusterName}]`;
  const userOwner = `users[${userName ?? ''}]`;
  const token = str(user['token'], `${userOwner}.token`, source);
  const tokenFile = str(user['tokenFile'], `${userOwner}.tokenFile`, source);
  const insecure = cluster['insecure-skip-tls-verify'];
  if (insecure !== undefined && typeof insecure !== 'boolean') throw new ClusterConfigError('invalid', `${source}: ${clusterOwner}.insecure-skip-tls-verify: must be a boolean`);
  const clientCertificate = dataOrFile(user, 'client-certificate', userOwner);
  const clientKey = dataOrFile(user, 'client-key', userOwner);
  if ((clientCertificate === undefined) !== (clientKey === undefined)) {
    throw new ClusterConfigError('invalid', `${source}: user "${userName}": client-certificate and client-key must be given together`);
  }
  return {
    server: server.replace(/\/+$/, ''),
    certificateAuthority: dataOrFile(cluster, 'certificate-authority', clusterOwner),
    insecureSkipTlsVerify: insecure === true,
    tlsServerName: str(cluster['tls-server-name'], `${clusterOwner}.tls-server-name`, source),
    // A token given inline wins over the file, as in client-go.
    token: token === '' ? undefined : token,
    tokenFile: token !== undefined && token !== '' ? undefined : tokenFile === undefined || tokenFile === '' ? undefined : file(tokenFile),
    clientCertificate,
    clientKey,
    namespace: str(context['namespace'], `contexts[${contextName}].namespace`, source) || 'default',
  };
}

/** Where a pod finds its ServiceAccount's credentials. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Options of {@link inClusterConfig}: the environment and file paths, injectable for tests. */
export interface InClusterOptions {
  /** The environment (default `process.env`): `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The token file (default `/var/run/secrets/kubernetes.io/serviceaccount/token`). */
  readonly tokenPath?: string | undefined;
  /** The cluster CA (default `…/serviceaccount/ca.crt`). */
  readonly caPath?: string | undefined;
  /** The pod's namespace (default `…/serviceaccount/namespace`). */
  readonly namespacePath?: string | undefined;
  /** How files are read (default: synchronously from disk). */
  readonly readFile?: ReadTextFile | undefined;
}

/**
 * The configuration of a client running in a pod (client-go's `rest.InClusterConfig`): the
 * API server at `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` (an IPv6 host in
 * brackets), verified with the ServiceAccount's `ca.crt`, authenticated with its token — kept as
 * a file so the client picks up rotated tokens — in the pod's namespace (`default` when the
 * namespace file is missing).
 *
 * Errors: {@link ClusterConfigError} `not-in-cluster` when either variable is unset (upstream's
 * `ErrNotInCluster` message); `unreadable` when the token or CA cannot be read.
 */
export function inClusterConfig(options: InClusterOptions = {}): ClusterConnection {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? readText;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new ClusterConfigError('not-in-cluster', 'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const tokenFile = options.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`;
  const caPath = options.caPath ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`;
  const read = (p: string): string => {
    try {
      return readFile(p);
    } catch (e) {
      throw new ClusterConfigError('unreadable', `in-cluster configuration: cannot read ${p}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };
  read(tokenFile); // fail now, as upstream does, rather than on the first request
  const certificateAuthority = read(caPath);
  let namespace = 'default';
  try {
    namespace = readFile(options.namespacePath ?? `${SERVICE_ACCOUNT_DIR}/namespace`).trim() || 'default';
  } catch {
    // No namespace file: `default`, as client-go's in-cluster loader.
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { server: `https://${hostPart}:${port}`, certificateAuthority, tokenFile, namespace };
}

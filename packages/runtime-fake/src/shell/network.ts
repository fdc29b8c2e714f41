/**
 * The interpreter's hook for network commands (`wget`, `curl`, `nslookup`). The fake runtime
 * has no network of its own: whoever simulates one (cluster DNS, Services, traffic) gives the
 * {@link BehaviorRegistry} a {@link ShellNetwork}; without one, every name fails to resolve,
 * as in a pod whose DNS answers nothing.
 *
 * @module
 */
import type { Pod } from '@kubeloop/core';

/** The answer to an HTTP request made by `wget` or `curl`. */
export type HttpOutcome =
  /** A response: status code and body; `ms` is how long the exchange took (virtual time). */
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly ms?: number | undefined }
  /**
   * The host name does not resolve (`wget: bad address 'x'`, curl exit 6); `ms` is how long the
   * resolver waited for an answer first (a DNS server that does not answer).
   */
  | { readonly kind: 'unresolved'; readonly ms?: number | undefined }
  /** Nothing listens (`Connection refused`, curl exit 7). */
  | { readonly kind: 'refused'; readonly ms?: number | undefined }
  /** No answer before the timeout (curl exit 28); `ms` is how long the client waited. */
  | { readonly kind: 'timeout'; readonly ms: number };

/**
 * The network as the interpreter's commands see it.
 *
 * Contract: answers are deterministic functions of the arguments (the same question at the same
 * virtual time gets the same answer). Set `timeInvariant` when answers never depend on `at`:
 * the interpreter then recognizes a loop whose iterations repeat as running forever (without
 * it, a loop that polls the network is followed iteration by iteration up to a budget).
 */
export interface ShellNetwork {
  /** Answers do not depend on time (true for {@link NO_NETWORK}). */
  readonly timeInvariant?: boolean | undefined;
  /** An HTTP GET of `url` (`http://host[:port]/path`) at virtual time `at` (ms). */
  http(url: string, at: number): HttpOutcome;
  /** The addresses of `name` at `at`, as cluster DNS answers an A query; empty when it does not resolve. */
  resolve(name: string, at: number): readonly string[];
  /**
   * The name `name` resolved as (the fully qualified name the search path found, as `nslookup`
   * prints it), if it resolves; optional (without it, `nslookup` prints the name as asked).
   */
  canonicalName?(name: string, at: number): string | undefined;
  /**
   * How long a query waits before it gives up when no DNS server answers at `at` (e.g. the
   * cluster's CoreDNS pods are all down), undefined when one answers; optional (without it, a
   * server always answers). `nslookup` then prints `;; connection timed out; no servers could be
   * reached` after that time.
   */
  dnsTimeoutMs?(at: number): number | undefined;
  /**
   * The `/etc/resolv.conf` the pod's containers see (the cluster DNS server, search path and
   * `ndots` of `dnsPolicy: ClusterFirst`), if the network gives one; optional.
   */
  resolvConf?(): string | undefined;
  /**
   * The network as `pod`'s containers see it (their namespace's DNS search path, their source
   * address), if it differs by pod; the {@link BehaviorRegistry} asks it for each container.
   */
  forPod?(pod: Pod): ShellNetwork;
}

/**
 * The default network: nothing resolves. `wget` prints `wget: bad address '<host>'` and exits
 * 1, `curl` prints `curl: (6) Could not resolve host: <host>` and exits 6, `nslookup` prints
 * `** server can't find <name>: NXDOMAIN` and exits 1.
 */
export const NO_NETWORK: ShellNetwork = {
  timeInvariant: true,
  http: () => ({ kind: 'unresolved' }),
  resolve: () => [],
};

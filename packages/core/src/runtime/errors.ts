/**
 * The one error type of the controller runtime (builder, manager, leader election, event
 * recorder, plugins), discriminated by `code`.
 *
 * @module
 */

/**
 * Why the controller runtime refused something:
 * - `invalid-controller`: a `ControllerBuilder` was misconfigured; `issues` lists every
 *   problem found (the builder collects them and fails once, at `complete()`);
 * - `duplicate-controller`: a manager already has a controller with that name;
 * - `manager-state`: a manager was started twice, or used after it stopped;
 * - `controller-state`: a controller was started twice, or after it stopped;
 * - `unknown-resource`: a resource definition (e.g. `leases.coordination.k8s.io` or `events`) is
 *   not in the registry and was not given explicitly;
 * - `invalid-option`: an option is out of range (e.g. leader election's renewDeadline ≥
 *   leaseDuration);
 * - `plugin-conflict`: two plugins share a name, or a plugin contributed something already taken;
 * - `plugin-failed`: a plugin's `register` threw (the cause is chained);
 * - `unsupported`: the host cannot honour a request (e.g. admission hooks without an API server);
 * - `shutdown-timeout`: graceful shutdown did not finish within the grace period.
 */
export type RuntimeErrorCode =
  | 'invalid-controller'
  | 'duplicate-controller'
  | 'manager-state'
  | 'controller-state'
  | 'unknown-resource'
  | 'invalid-option'
  | 'plugin-conflict'
  | 'plugin-failed'
  | 'unsupported'
  | 'shutdown-timeout';

/**
 * A misuse or failure of the controller runtime. Programming errors (bad configuration) are
 * thrown synchronously; API failures are never wrapped in it (they stay `ApiError`s).
 *
 * @example
 * ```ts
 * try { controllerFor(manager, Widgets).withConcurrency(0).complete(reconciler); }
 * catch (e) { if (e instanceof RuntimeError && e.code === 'invalid-controller') console.log(e.issues); }
 * ```
 */
export class RuntimeError extends Error {
  /** What went wrong. */
  readonly code: RuntimeErrorCode;
  /** For `invalid-controller`: every problem found, in the order they were detected. */
  readonly issues: readonly string[];

  /** Builds an error with a stable lowercase message. */
  constructor(code: RuntimeErrorCode, message: string, options: { issues?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntimeError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

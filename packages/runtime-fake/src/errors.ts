/**
 * The one error type of the fake runtime and kubelet.
 *
 * @module
 */

/** Why the fake runtime or kubelet refused something. */
export type RuntimeFakeErrorCode =
  /** A behavior annotation or registry entry could not be parsed (the message names the item). */
  | 'invalid-behavior'
  /** A `kubeloop.dev/cpu-usage` or `memory-usage` value could not be parsed (the message says why). */
  | 'invalid-usage'
  /** A duration such as `10s` or `1m30s` could not be parsed. */
  | 'invalid-duration'
  /** A fake node's configuration is invalid (bad quantity, duplicate name, no pod CIDR left). */
  | 'invalid-node'
  /** What was asked for is not there (a pod's container log: no such pod, container or instance). */
  | 'not-found';

/**
 * The one error class of `@kubeloop/runtime-fake`; switch on `code`, not on the message.
 * Messages are stable and lowercase, and name the offending field or item.
 */
export class RuntimeFakeError extends Error {
  /** What went wrong. */
  readonly code: RuntimeFakeErrorCode;
  /** Builds an error; `cause` is chained when a lower layer failed. */
  constructor(code: RuntimeFakeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeFakeError';
    this.code = code;
  }
}

/**
 * The one error type of the API machinery, shaped like the Kubernetes `Status` object that a
 * real API server returns. Every failed request (store, client, admission) rejects with an
 * {@link ApiError}; callers switch on `reason` (or `code`), never on message text.
 *
 * @module
 */

/**
 * The `reason` of a failed request, as upstream's `metav1.StatusReason`. Each reason has one
 * HTTP code (see {@link codeOf}).
 */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** The HTTP status code a reason is sent with, e.g. `codeOf('Conflict') === 409`. */
export function codeOf(reason: StatusReason): number {
  return CODES[reason];
}

/**
 * The type of one field-level validation failure, as upstream's `field.ErrorType`
 * (`FieldValueInvalid` renders as "Invalid value", `FieldValueRequired` as "Required value"...).
 */
export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'FieldImmutable'
  | 'DisruptionBudget'
  | 'FieldManagerConflict';

/**
 * One field-level failure of a request: which field (a dotted path such as
 * `spec.template.spec.containers[0].name`), why, and the offending value when there is one.
 */
export interface StatusCause {
  /** What kind of failure this is. */
  readonly reason: CauseType;
  /** A human-readable explanation, e.g. `must be greater than or equal to 0`. */
  readonly message: string;
  /** The path of the field in the object, e.g. `spec.replicas`. */
  readonly field: string;
}

/** The `Status` object of a failed request, as a Kubernetes client would receive it. */
export interface Status {
  /** Always `v1`. */
  readonly apiVersion: 'v1';
  /** Always `Status`. */
  readonly kind: 'Status';
  /** Always `Failure` for an error. */
  readonly status: 'Failure';
  /** The full human-readable message. */
  readonly message: string;
  /** The machine-readable reason. */
  readonly reason: StatusReason;
  /** The HTTP status code. */
  readonly code: number;
  /** The object the request was about, and the field-level causes. */
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
    /** For 429/503/504: how long a client should wait before retrying. */
    readonly retryAfterSeconds?: number;
  };
}

/** Details that may accompany an {@link ApiError}. */
export interface ApiErrorDetails {
  /** Name of the object concerned. */
  readonly name?: string;
  /** API group of the object concerned (`""` for the core group). */
  readonly group?: string;
  /** Kind (or plural resource name) of the object concerned. */
  readonly kind?: string;
  /** Field-level causes (set for `Invalid`). */
  readonly causes?: readonly StatusCause[];
  /** For throttling and transient errors: the advised wait before retrying. */
  readonly retryAfterSeconds?: number;
  /** The underlying error, for `InternalError`. */
  readonly cause?: unknown;
}

/**
 * A failed API request.
 *
 * Guarantees: `reason` and `code` always agree (see {@link codeOf}); `message` is the same text
 * a Kubernetes API server would give, e.g.
 * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 * A request that failed changed nothing.
 *
 * @example
 * ```ts
 * try { await client.update(Deployments, stale); }
 * catch (e) { if (isApiError(e, 'Conflict')) { // re-read and retry } }
 * ```
 */
export class ApiError extends Error {
  /** The machine-readable reason. */
  readonly reason: StatusReason;
  /** The HTTP status code that goes with `reason`. */
  readonly code: number;
  /** Object identity and field-level causes. */
  readonly details: ApiErrorDetails;

  constructor(reason: StatusReason, message: string, details: ApiErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ApiError';
    this.reason = reason;
    this.code = codeOf(reason);
    this.details = details;
  }

  /** This error as the `Status` object a Kubernetes client would receive. */
  toStatus(): Status {
    const { cause: _cause, ...details } = this.details;
    return {
      apiVersion: 'v1',
      kind: 'Status',
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
      ...(Object.keys(details).length > 0 ? { details } : {}),
    };
  }
}

/** Whether `e` is an {@link ApiError}, optionally with one of the given reasons. */
export function isApiError(e: unknown, ...reasons: StatusReason[]): e is ApiError {
  return e instanceof ApiError && (reasons.length === 0 || reasons.includes(e.reason));
}

/** `Kind.group "name"`, or `kind "name"` for the core group, as upstream qualifies names. */
export function qualifiedKind(kind: string, group: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** A 404: `pods "web-0" not found`. `resource` is the plural resource name, as upstream. */
export function notFound(resource: string, group: string, name: string): ApiError {
  return new ApiError('NotFound', `${qualifiedKind(resource, group)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });
}

/** A 409: `pods "web-0" already exists`. */
export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError('AlreadyExists', `${qualifiedKind(resource, group)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

/**
 * A 403 an admission plugin answers (upstream `NewForbidden`):
 * `pods "web-0" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2`.
 */
export function forbidden(resource: string, group: string, name: string, why: string): ApiError {
  return new ApiError('Forbidden', `${qualifiedKind(resource, group)} "${name}" is forbidden: ${why}`, {
    name,
    group,
    kind: resource,
  });
}

/**
 * A 409 for a stale write:
 * `Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again`.
 */
export function conflict(resource: string, group: string, name: string, why: string): ApiError {
  return new ApiError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedKind(resource, group)} "${name}": ${why}`,
    { name, group, kind: resource },
  );
}

/** The message upstream gives a write carrying a stale `resourceVersion`. */
export const STALE_OBJECT_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** A 410 for a watch or list from a `resourceVersion` older than the history window. */
export function expired(message: string): ApiError {
  return new ApiError('Expired', message);
}

/** A 400 for a malformed request. */
export function badRequest(message: string): ApiError {
  return new ApiError('BadRequest', message);
}

/** How upstream renders a cause type in a message ("Invalid value", "Required value", ...). */
const CAUSE_TEXT: Record<CauseType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotFound: 'Not found',
  FieldImmutable: 'Invalid value',
  DisruptionBudget: 'Disruption budget',
  FieldManagerConflict: 'Conflict',
};

/**
 * One field-level validation error, before it becomes a {@link StatusCause}. `value` is shown
 * in the message for value errors, as upstream does (`spec.replicas: Invalid value: -1: ...`).
 */
export interface FieldError {
  /** What kind of failure. */
  readonly type: CauseType;
  /** Dotted path with `[i]` indices, e.g. `spec.template.spec.containers[0].image`. */
  readonly field: string;
  /** Why the value is not accepted. Lowercase, no trailing period. */
  readonly detail: string;
  /** The offending value, when the message should quote it. */
  readonly value?: unknown;
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/** Renders a field error the way upstream's `field.Error.Error()` does: `spec.replicas: Invalid value: -1: ...`. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${describeFieldError(e)}`;
}

/** A field error without its path, as upstream puts it in a `StatusCause.message`. */
function describeFieldError(e: FieldError): string {
  const head = CAUSE_TEXT[e.type];
  const showValue =
    'value' in e &&
    e.value !== undefined &&
    e.type !== 'FieldValueRequired' &&
    e.type !== 'FieldValueForbidden' &&
    e.type !== 'FieldValueTooMany';
  const withValue = showValue ? `${head}: ${renderValue(e.value)}` : head;
  return e.detail === '' ? withValue : `${withValue}: ${e.detail}`;
}

/**
 * A 422 `Invalid` error for an object, with one cause per field error. The message lists them
 * as upstream does: one error inline, several in brackets.
 */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): ApiError {
  const parts = errors.map(formatFieldError);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError('Invalid', `${qualifiedKind(kind, group)} "${name}" is invalid: ${list}`, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: describeFieldError(e), field: e.field })),
  });
}

/**
 * Name and label validation with upstream's rules and messages (apimachinery
 * `validation.IsDNS1123Label`, `IsDNS1123Subdomain`, `IsQualifiedName`, `IsValidLabelValue`).
 * Each check returns the list of reasons the value is invalid (empty when valid); callers turn
 * them into {@link FieldError}s with {@link fieldErrors}.
 *
 * @module
 */
import type { FieldError } from './errors.js';
import type { NameRule } from './registry.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A DNS-1123 label: at most 63 lowercase alphanumerics or '-', alphanumeric at both ends. */
export function isDns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

/** A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels. */
export function isDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

/** A path segment name: anything but `.`, `..`, or text containing `/` or `%`. */
export function isPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  if (value.includes('/')) errs.push("may not contain '/'");
  if (value.includes('%')) errs.push("may not contain '%'");
  return errs;
}

/** Checks a name against a kind's {@link NameRule}. */
export function checkName(rule: NameRule, value: string): string[] {
  switch (rule) {
    case 'dns1123-label':
      return isDns1123Label(value);
    case 'dns1123-subdomain':
      return isDns1123Subdomain(value);
    case 'path-segment':
      return isPathSegmentName(value);
  }
}

/**
 * A qualified name such as a label or annotation key: an optional DNS-1123 subdomain prefix
 * and `/`, then a name of at most 63 alphanumerics, '-', '_' or '.', alphanumeric at both ends.
 */
export function isQualifiedName(value: string): string[] {
  // Hot path (every label and annotation key of every write): the common valid forms return
  // before any array or substring is built.
  const slash = value.indexOf('/');
  if (slash < 0) {
    if (value.length > 0 && value.length <= 63 && QUALIFIED_NAME.test(value)) return [];
  } else if (slash === value.lastIndexOf('/')) {
    const nameLength = value.length - slash - 1;
    if (slash > 0 && slash <= 253 && nameLength > 0 && nameLength <= 63 && DNS1123_SUBDOMAIN.test(value.slice(0, slash)) && QUALIFIED_NAME.test(value.slice(slash + 1))) {
      return [];
    }
  }
  return qualifiedNameReasons(value);
}

function qualifiedNameReasons(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const e of isDns1123Subdomain(prefix)) errs.push(`prefix part ${e}`);
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return errs;
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_' or '.', alphanumeric at both ends. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  }
  return errs;
}

/** Turns the reasons returned by a check into `Invalid` field errors at `field` for `value`. */
export function fieldErrors(field: string, value: unknown, reasons: readonly string[]): FieldError[] {
  return reasons.map((detail) => ({ type: 'FieldValueInvalid' as const, field, value, detail }));
}

/** Validates a label map: keys are qualified names, values valid label values. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels) return errs;
  for (const k in labels) {
    const v = labels[k]!;
    pushReasons(errs, field, k, isQualifiedName(k));
    if (v.length > 63 || !LABEL_VALUE.test(v)) pushReasons(errs, field, v, isValidLabelValue(v));
  }
  return errs;
}

/** Validates annotation keys (qualified names) and the total size limit (256 KiB). */
export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations) return errs;
  let size = 0;
  for (const k in annotations) {
    const v = annotations[k]!;
    pushReasons(errs, field, k, isQualifiedName(k.toLowerCase()));
    size += k.length + v.length;
  }
  if (size > 256 * 1024) {
    errs.push({ type: 'FieldValueTooLong', field, detail: 'must have at most 262144 bytes' });
  }
  return errs;
}

/** {@link fieldErrors} appended to `errs` (no intermediate arrays on the valid path). */
function pushReasons(errs: FieldError[], field: string, value: unknown, reasons: readonly string[]): void {
  for (let i = 0; i < reasons.length; i++) errs.push({ type: 'FieldValueInvalid', field, value, detail: reasons[i]! });
}

/** `field` must be ≥ 0: `Invalid value: -1: must be greater than or equal to 0`. */
export function validateNonNegative(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value < 0
    ? [{ type: 'FieldValueInvalid', field, value, detail: 'must be greater than or equal to 0' }]
    : [];
}

/** `field` is immutable: `Invalid value: ...: field is immutable`, as upstream. */
export function validateImmutable(value: unknown, old: unknown, field: string): FieldError[] {
  return JSON.stringify(value) === JSON.stringify(old)
    ? []
    : [{ type: 'FieldValueInvalid', field, value, detail: 'field is immutable' }];
}

/** A port number must be in 1..65535. */
export function validatePortNumber(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && (value < 1 || value > 65535 || !Number.isInteger(value))
    ? [{ type: 'FieldValueInvalid', field, value, detail: 'must be between 1 and 65535, inclusive' }]
    : [];
}

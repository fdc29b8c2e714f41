/**
 * Helpers shared by the built-in kinds: field-error constructors with upstream's wording,
 * small value schemas (quantities, int-or-string) and checks that several kinds repeat. Not
 * part of the public surface, except the value schemas re-exported by `index.ts`.
 *
 * @module
 */
import { deepEqual } from '../../util/objects.js';
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { isQuantity, tryParseQuantity } from '../quantity.js';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName } from '../validation.js';

// ---------------------------------------------------------------------------------------------
// Field errors, as upstream's `field.Required`, `field.Invalid`, `field.NotSupported`...

/** `field: Required value[: detail]`. */
export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail };
}

/** `field: Invalid value: <value>: detail`. */
export function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

/** `field: Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return {
    type: 'FieldValueNotSupported',
    field,
    value,
    detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

/** `field: Duplicate value: "x"`. */
export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value, detail: '' };
}

/** `field: Forbidden: detail`. */
export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

/** `field: Not found: "x"`. */
export function notFoundValue(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, value, detail: '' };
}

/** `field: Too many: n: must have at most max items`. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, value: actual, detail: `must have at most ${max} items` };
}

/** Runs a check (returning reasons) and turns each reason into an `Invalid` error. */
export function check(field: string, value: string, reasons: readonly string[]): FieldError[] {
  return reasons.map((r) => invalidValue(field, value, r));
}

/** A DNS-1123 label check at `field`. */
export function checkDns1123Label(field: string, value: string): FieldError[] {
  return check(field, value, isDns1123Label(value));
}

/** A DNS-1123 subdomain check at `field`. */
export function checkDns1123Subdomain(field: string, value: string): FieldError[] {
  return check(field, value, isDns1123Subdomain(value));
}

/** A qualified-name check at `field` (label keys, resource names, condition types). */
export function checkQualifiedName(field: string, value: string): FieldError[] {
  return check(field, value, isQualifiedName(value));
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1035 label (Service names, backend service names): starts with a letter. */
export function checkDns1035Label(field: string, value: string): FieldError[] {
  const errs: FieldError[] = [];
  if (value.length > 63) errs.push(invalidValue(field, value, 'must be no more than 63 characters'));
  if (!DNS1035_LABEL.test(value)) {
    errs.push(
      invalidValue(
        field,
        value,
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ),
    );
  }
  return errs;
}

const IANA_SVC_NAME = /^[-a-z0-9]+$/;
const HAS_LETTER = /[a-z]/;

/**
 * An IANA service name (a named port): at most 15 lowercase alphanumerics or '-', at least
 * one letter, no leading/trailing or consecutive hyphens, as upstream's `IsValidPortName`.
 */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(name)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (name.includes('--')) errs.push("must not contain consecutive hyphens");
  if (name.length > 0 && !HAS_LETTER.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** `field` must be an integer in 1..65535 or a valid port name. */
export function checkPortNumOrName(field: string, port: number | string): FieldError[] {
  if (typeof port === 'number') {
    return port >= 1 && port <= 65535 && Number.isInteger(port)
      ? []
      : [invalidValue(field, port, 'must be between 1 and 65535, inclusive')];
  }
  return check(field, port, isValidPortName(port));
}

/** `field` must be ≥ 0 (upstream `ValidateNonnegativeField`). */
export function nonNegative(field: string, value: number | undefined): FieldError[] {
  return value !== undefined && value < 0 ? [invalidValue(field, value, 'must be greater than or equal to 0')] : [];
}

/** `field` must be > 0 (upstream `ValidatePositiveField` style). */
export function positive(field: string, value: number | undefined): FieldError[] {
  return value !== undefined && value <= 0 ? [invalidValue(field, value, 'must be greater than 0')] : [];
}

/** Reports every later occurrence of a repeated key as `Duplicate value`. */
export function duplicates<T>(items: readonly T[], key: (t: T) => string | undefined, field: (i: number) => string): FieldError[] {
  const seen = new Set<string>();
  const errs: FieldError[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) errs.push(duplicate(field(i), k));
    seen.add(k);
  });
  return errs;
}

/** {@link deepEqual} of two objects, ignoring the top-level keys in `skip`. */
export function equalExcept(a: object, b: object, skip: ReadonlySet<string>): boolean {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k in ra) if (!skip.has(k) && !deepEqual(ra[k], rb[k])) return false;
  for (const k in rb) if (!skip.has(k) && ra[k] === undefined && rb[k] !== undefined) return false;
  return true;
}

/** `Invalid value: ...: field is immutable` when `value` differs from `old` (deep, order-insensitive keys). */
export function immutable(field: string, value: unknown, old: unknown): FieldError[] {
  return deepEqual(value, old) ? [] : [invalidValue(field, value, 'field is immutable')];
}

// ---------------------------------------------------------------------------------------------
// Value schemas

/** The message upstream gives a quantity it cannot parse. */
export const QUANTITY_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/**
 * A resource quantity (`500m`, `1Gi`, `2`). Accepts a string or a number, as the API server
 * does, and normalizes numbers to their string form.
 */
export const QuantitySchema = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? String(v) : v))
  .refine((s) => isQuantity(s), { message: QUANTITY_MESSAGE });

/** A map from resource name (`cpu`, `memory`, `storage`, ...) to quantity. */
export const ResourceListSchema = z.record(z.string(), QuantitySchema);

/** An int-or-string value (`targetPort`, `maxSurge`, `minAvailable`): a number or a string such as `25%`. */
export const IntOrStringSchema = z.union([z.number().int(), z.string()]);

/** Compares two quantity strings exactly: `-1`, `0`, `1`, or `undefined` when either is unparsable. */
export function compareQuantities(a: string, b: string): -1 | 0 | 1 | undefined {
  const qa = tryParseQuantity(a);
  const qb = tryParseQuantity(b);
  return qa === undefined || qb === undefined ? undefined : qa.cmp(qb);
}

/** The sign of a quantity string, or `undefined` when unparsable. */
export function quantitySign(q: string): -1 | 0 | 1 | undefined {
  return tryParseQuantity(q)?.sign();
}

/** Each quantity of a resource list must be ≥ 0: `field[cpu]: Invalid value: "-1": must be greater than or equal to 0`. */
export function nonNegativeQuantities(field: string, list: Readonly<Record<string, string>> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(list ?? {})) {
    if (quantitySign(q) === -1) errs.push(invalidValue(`${field}[${name}]`, q, 'must be greater than or equal to 0'));
  }
  return errs;
}

const PERCENT = /^[0-9]+%$/;

/**
 * Upstream's `ValidatePositiveIntOrPercent`: an integer ≥ 0 or a string like `25%`.
 */
export function intOrPercent(field: string, value: number | string | undefined): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'number') return nonNegative(field, value);
  return PERCENT.test(value)
    ? []
    : [
        invalidValue(
          field,
          value,
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ),
      ];
}

/** The numeric part of an int-or-percent (`25%` → 25, `3` → 3), or `undefined` if malformed. */
export function intOrPercentValue(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  return PERCENT.test(value) ? Number(value.slice(0, -1)) : undefined;
}

/** Upstream's `IsNotMoreThan100Percent`. */
export function notMoreThan100Percent(field: string, value: number | string | undefined): FieldError[] {
  if (typeof value !== 'string') return [];
  const v = intOrPercentValue(value);
  return v !== undefined && v > 100 ? [invalidValue(field, value, 'must not be greater than 100%')] : [];
}

/** Checks `value` against a closed list of supported strings (when set). */
export function oneOf(field: string, value: string | undefined, supported: readonly string[]): FieldError[] {
  return value === undefined || supported.includes(value) ? [] : [notSupported(field, value, supported)];
}

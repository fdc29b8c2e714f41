/**
 * Int-or-percent values (upstream `intstr.GetScaledValueFromIntOrPercent`), as `maxSurge`,
 * `maxUnavailable` and PDB budgets use them: a Kubernetes rule the controllers and their
 * invariants share, written once here.
 *
 * @module
 */

/**
 * Resolves `value` against `total`: an integer is itself; `"25%"` is 25% of `total`, rounded
 * up or down.
 *
 * Worked examples: `"25%"` of 10 is 3 rounded up (maxSurge), 2 rounded down (maxUnavailable);
 * `"0%"` is 0; `3` is 3 whatever `total` is.
 *
 * Errors: throws a `RangeError` for a string that is not a whole percentage; admission rejects
 * such values, so a controller only meets them in hand-built objects.
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new RangeError(`invalid value for IntOrString: invalid type: string is not a percentage: ${JSON.stringify(value)}`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

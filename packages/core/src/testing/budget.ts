/**
 * Run counts for property tests: modest by default (CI), large under `pnpm test:deep`
 * (`KUBELOOP_DEEP=1`).
 *
 * @module
 */

/** Whether the deep (long) test run was asked for. */
export const deep: boolean = process.env['KUBELOOP_DEEP'] === '1';

/** `ci` runs normally, `deepRuns` under `pnpm test:deep`. */
export function runs(ci: number, deepRuns: number): number {
  return deep ? deepRuns : ci;
}

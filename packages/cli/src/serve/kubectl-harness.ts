/**
 * What the real-kubectl tests of `kubeloop serve` share: the kubectl binaries on the machine
 * (the oldest and newest the image has) and a runner that never rejects.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A kubectl binary of one version. */
export interface Kubectl {
  /** `1.33`, `1.27`. */
  readonly version: string;
  /** Where the binary is. */
  readonly path: string;
}

/** The kubectl binaries the tests run, newest first, whether installed or not. */
export const KUBECTLS: readonly Kubectl[] = ['1.33', '1.27'].map((v) => ({ version: v, path: `/usr/lib/google-cloud-sdk/bin/kubectl.${v}` }));

/**
 * The installed ones of {@link KUBECTLS}; when none is, a warning says which `tests` are skipped.
 */
export function installedKubectls(tests: string): readonly Kubectl[] {
  const present = KUBECTLS.filter((k) => existsSync(k.path));
  if (present.length === 0) console.warn(`kubectl.1.33 and kubectl.1.27 are not installed in /usr/lib/google-cloud-sdk/bin: ${tests} are skipped`);
  return present;
}

/** What a kubectl run printed, and its exit code. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl at `path` with `args` (30 s at most); resolves with its exit code and output, never rejects. */
export function runKubectl(path: string, args: readonly string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(path, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

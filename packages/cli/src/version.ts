/**
 * The version `kubeloop --version` prints, and the Kubernetes version the cluster reports.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { servedKubernetesVersion } from '@kubeloop/core';
import type { VersionInfo } from '@kubeloop/core';

/**
 * The `version` of `@kubeloop/cli`'s package.json, read once when the command loads. The file
 * sits one folder above this module both in the repository (`src/`, run on tsx) and in the
 * installed package (`dist/`), so the command and the package never disagree.
 */
export const CLI_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The Kubernetes version `kubeloop serve` reports (`/version`), and pods of `kubeloop run` see at the API server: the API it follows, built by `CLI_VERSION` (this package.json's version). */
export const SERVED_KUBERNETES_VERSION: VersionInfo = servedKubernetesVersion(CLI_VERSION);

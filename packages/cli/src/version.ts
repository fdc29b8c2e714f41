/**
 * The version `kubeloop --version` prints.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * The `version` of `@kubeloop/cli`'s package.json, read once when the command loads. The file
 * sits one folder above this module both in the repository (`src/`, run on tsx) and in the
 * installed package (`dist/`), so the command and the package never disagree.
 */
export const CLI_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

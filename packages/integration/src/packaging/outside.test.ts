/**
 * The packages as a user installs them: packed into tarballs (`scripts/pack-all.mjs`, what `pnpm
 * run pack:all` runs), installed with npm into a new project outside the repository, then used
 * with plain node (no tsx, no TypeScript) and type-checked by a TypeScript project against their
 * .d.ts files. The user's files are in `packages/integration/outside-project/`.
 *
 * Every other suite runs the packages from their source; this one is what catches a broken
 * `exports` map, a file missing from `files`, a dependency declared nowhere, a bin that still
 * needs tsx, or a .d.ts that does not type-check.
 *
 * Needs: npm on the PATH and the npm registry (or npm's cache) for the third-party dependencies;
 * the kubeloop packages themselves come from the tarballs only. About a minute of two busy cores:
 * the build (incremental when already built), npm install, and the consumer's type check
 * (skipLibCheck off, so every .d.ts it reaches is checked).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const userFiles = fileURLToPath(new URL('../../outside-project/', import.meta.url));
const PACKAGES = ['@kubeloop/cli', '@kubeloop/controllers', '@kubeloop/core', '@kubeloop/runtime-fake', '@kubeloop/testing'];
// Generous: two cores shared with the rest of the suite.
const SETUP_TIMEOUT_MS = 600_000;
const STEP_TIMEOUT_MS = 300_000;

// The user's shell: npm as they would run it, without the npm_* settings of a pnpm or npm script
// that started this test run.
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const run = (file: string, args: readonly string[], cwd: string) =>
  promisify(execFile)(file, [...args], { cwd, env: userEnv, maxBuffer: 64 * 1024 * 1024 });

let work = '';
let project = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kubeloop-outside-'));
  const packed = join(work, 'packed');
  await run(process.execPath, [join(repo, 'scripts/pack-all.mjs'), packed], repo);
  const tarballs = readdirSync(packed).map((f) => join(packed, f));
  project = join(work, 'project');
  mkdirSync(project);
  await run('npm', ['init', '-y'], project);
  await run('npm', ['pkg', 'set', 'type=module'], project);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], project);
  for (const f of readdirSync(userFiles)) copyFileSync(join(userFiles, f), join(project, f));
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
}, STEP_TIMEOUT_MS);

describe('the packages installed from their tarballs into a project outside the repository', () => {
  it('installs one tarball per package: publishable, exports on dist/, its version in place of workspace:*', () => {
    const manifest = (name: string) => JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(PACKAGES.map((name) => manifest(name)['name'])).toEqual(PACKAGES);
    for (const name of PACKAGES) {
      const deps = JSON.stringify(manifest(name)['dependencies'] ?? {});
      expect(deps).not.toContain('workspace:');
      expect(manifest(name)['private']).toBeUndefined();
      expect(manifest(name)['engines']).toEqual({ node: '>=20.19' });
      expect(manifest(name)['exports']).toMatchObject({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
    }
    // The third-party library users bring themselves is a peer, installed beside the packages.
    expect(manifest('fast-check')['name']).toBe('fast-check');
  });

  it('runs a plain node script: a SimCluster settles a Deployment and lists its three Running pods', async () => {
    const { stdout, stderr } = await run(process.execPath, ['web.mjs'], project);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5} Running node-[123]$/);
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(3);
    expect(stderr).toBe('');
  }, STEP_TIMEOUT_MS);

  it('resolves every export, subpaths included, to built JavaScript in dist/', async () => {
    const specifiers = [...PACKAGES, '@kubeloop/core/testing', '@kubeloop/controllers/testing'];
    const script = `for (const s of ${JSON.stringify(specifiers)}) console.log(import.meta.resolve(s));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], project);
    const resolved = stdout.trimEnd().split('\n');
    expect(resolved).toHaveLength(specifiers.length);
    for (const url of resolved) expect(url).toMatch(/\/node_modules\/@kubeloop\/[a-z-]+\/dist\/(testing\/)?index\.js$/);
    // A subpath that needs no test runner loads too.
    await run(process.execPath, ['--input-type=module', '-e', "await import('@kubeloop/controllers/testing')"], project);
  });

  it('installs a kubeloop bin that runs the built JavaScript with plain node', async () => {
    const bin = join(project, 'node_modules/.bin/kubeloop');
    const version = (JSON.parse(readFileSync(join(repo, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    expect((await run(bin, ['--version'], project)).stdout).toBe(`${version}\n`);
    const { stdout } = await run(bin, ['run', join(repo, 'examples/cli'), '-o', 'json'], project);
    expect((JSON.parse(stdout) as { kind: string }).kind).toBe('List');
    expect(readFileSync(join(project, 'node_modules/@kubeloop/cli/dist/main.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  }, STEP_TIMEOUT_MS);

  it('type-checks a TypeScript project against the .d.ts files', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          // Check the packages' .d.ts files too, not only the user's file.
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(repo, 'node_modules/@types')],
        },
        files: ['web.ts'],
      }),
    );
    // The repository's compiler, so the user's project needs no download of its own.
    const tsc = createRequire(join(repo, 'package.json')).resolve('typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(result.stdout).toBe('');
  }, STEP_TIMEOUT_MS);
});

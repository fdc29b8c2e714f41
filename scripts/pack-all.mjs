// `pnpm run pack:all [dir]`: builds every publishable package (`tsc -b tsconfig.build.json`: ESM
// JavaScript, .d.ts and source maps in each package's dist/) and writes one tarball per package
// into `packed/` (or `dir`), replacing what was there. Prints the tarballs' paths, one a line.
//
// The tarballs are what npm would publish: pnpm pack applies each package's `publishConfig`
// (its `exports` point at dist/, where the workspace's point at src/) and turns `workspace:*`
// into the version. packages/integration and the root are private and not packed.
//
// Runs pnpm as it was started (`npm_execpath` when pnpm runs this script), else through npx at
// the root's `packageManager` version, so the script needs nothing but Node and npm.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dest = resolve(process.argv[2] ?? join(root, 'packed'));

function pnpm(args) {
  const self = process.env['npm_execpath'];
  if (self !== undefined && /pnpm\.c?js$/.test(self)) return execFileSync(process.execPath, [self, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  return execFileSync('npx', ['-y', version, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
}

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
pnpm(['--recursive', '--filter', '!@kubeloop/integration', 'pack', '--pack-destination', dest]);
for (const file of readdirSync(dest).sort()) console.log(join(dest, file));

#!/usr/bin/env node
/**
 * The `kubeloop` executable: runs {@link main} on the process's arguments and streams. Run it
 * with `pnpm kubeloop <args>` from the repository root (on tsx, from the source), or through the
 * package's `bin`, which runs the built `dist/main.js` with plain node.
 *
 * @module
 */
import { CLI_VERSION } from './version.js';

// A reader that goes away (`kubeloop run ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  // The answer needs nothing of the cluster: print it before loading the whole stack
  // (`command.js` imports every package), so `kubeloop --version` is instant.
  process.stdout.write(`${CLI_VERSION}\n`);
} else {
  const { main } = await import('./command.js');
  process.exitCode = await main(args, { stdout: process.stdout, stderr: process.stderr });
}

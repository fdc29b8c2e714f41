#!/usr/bin/env node
/**
 * The `kubeloop` executable: runs {@link main} on the process's arguments and streams. Run it
 * with `pnpm kubeloop <args>` from the repository root (on tsx, from the source), or through the
 * package's `bin`, which runs the built `dist/main.js` with plain node.
 *
 * @module
 */
import { main } from './command.js';

// A reader that goes away (`kubeloop run ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });

/**
 * The `kubeloop` executable: runs {@link main} on the process's arguments and streams. Run it
 * with `pnpm kubeloop <args>` from the repository root, or through the package's `bin`.
 *
 * @module
 */
import { main } from './command.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });

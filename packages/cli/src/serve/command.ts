/**
 * The `kubeloop serve` command: starts {@link startServe}, prints how to use the kubeconfig and
 * runs until interrupted.
 *
 * @module
 */
import { resolve } from 'node:path';
import type { CliIo } from '../io.js';
import { startServe } from './serve.js';

/** The options of `kubeloop serve`, as parsed. */
export interface ServeCommandOptions {
  /** Fake nodes. */
  readonly nodes: number;
  /** Seed. */
  readonly seed: number;
  /** Virtual seconds per wall second. */
  readonly speed: number;
  /** Port (0 picks one). */
  readonly port: number;
  /** Listen address. */
  readonly address: string;
  /** Where the kubeconfig is written. */
  readonly kubeconfig: string;
  /** A static token file for more users (`--token-auth-file`). */
  readonly tokenAuthFile?: string | undefined;
  /** Run a metrics-server (`--metrics-server`). */
  readonly metricsServer?: boolean | undefined;
}

/** The signal that stops the command: `io.signal`, else the first SIGINT or SIGTERM. */
function stopSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  if (io.signal) return { signal: io.signal, dispose: () => {} };
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

/**
 * Runs `kubeloop serve` until `io.signal` aborts (or SIGINT/SIGTERM), then stops the cluster and
 * the listener and returns 0. A listener that cannot start prints `error: …` and returns 1.
 */
export async function serve(options: ServeCommandOptions, io: CliIo): Promise<number> {
  const kubeconfigPath = resolve(options.kubeconfig);
  const { signal, dispose } = stopSignal(io);
  try {
    const running = await startServe({
      nodes: options.nodes,
      seed: options.seed,
      speed: options.speed,
      port: options.port,
      address: options.address,
      kubeconfigPath,
      tokenAuthFile: options.tokenAuthFile,
      metricsServer: options.metricsServer,
      onClockError: (e) => io.stderr.write(`error: the simulated cluster stopped: ${e instanceof Error ? e.message : String(e)}\n`),
    });
    io.stdout.write(
      `kubeloop serve: a simulated cluster of ${options.nodes} node${options.nodes === 1 ? '' : 's'} at ${running.url} (virtual time x${options.speed})\n` +
        `kubeconfig written to ${kubeconfigPath}; use it with:\n` +
        `  export KUBECONFIG=${kubeconfigPath}\n` +
        `  kubectl get nodes\n` +
        `Press Ctrl-C to stop.\n`,
    );
    if (!signal.aborted) await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
    await running.stop();
    io.stdout.write('kubeloop serve: stopped\n');
    return 0;
  } catch (e) {
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    dispose();
  }
}

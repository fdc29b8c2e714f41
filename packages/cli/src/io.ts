/**
 * Where the command writes: injected, so tests run it in-process and read what it printed.
 *
 * @module
 */

/** A text sink: `process.stdout`, `process.stderr`, or a buffer in tests. */
export interface Writer {
  /** Writes text as is. */
  write(text: string): unknown;
  /** Whether this is a terminal: the live progress line is drawn only then. */
  readonly isTTY?: boolean | undefined;
}

/** The command's output streams. */
export interface CliIo {
  /** Results: tables, JSON, YAML, help. */
  readonly stdout: Writer;
  /** Errors, warnings and the progress line. */
  readonly stderr: Writer;
  /**
   * Stops a long-running command (`kubeloop serve`) when aborted; without it, the command stops
   * on SIGINT (Ctrl-C) or SIGTERM.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Container logs as the kubelet keeps them: the lines a container wrote, with their virtual
 * timestamps, bounded like the kubelet's log rotation keeps only the newest files.
 *
 * @module
 */
import type { ContainerLogLine } from './shell/program.js';

/** How much log a container keeps (the kubelet's `containerLogMaxSize` × `containerLogMaxFiles`, simplified). */
export interface LogLimits {
  /** Lines kept per container (default 10 000). */
  readonly maxLines?: number | undefined;
  /** Bytes kept per container, counting each line and its newline (default 10 MiB, upstream's `containerLogMaxSize`). */
  readonly maxBytes?: number | undefined;
}

/** Default {@link LogLimits.maxLines}. */
export const DEFAULT_LOG_MAX_LINES = 10_000;
/** Default {@link LogLimits.maxBytes}. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 2 ** 20;

/**
 * One container's log: appended in time order, the oldest lines dropped once either limit is
 * passed (whole lines, as rotation drops whole files).
 *
 * Invariant: `bytes` is the sum of `text.length + 1` over the kept lines, and both limits hold
 * after every {@link ContainerLog.append}.
 */
export class ContainerLog {
  readonly #lines: ContainerLogLine[] = [];
  #head = 0;
  #bytes = 0;
  /** How far the program's output has been read (virtual ms). */
  readUntil = Number.NEGATIVE_INFINITY;
  readonly maxLines: number;
  readonly maxBytes: number;

  /** An empty log with the given limits. */
  constructor(limits: LogLimits = {}) {
    this.maxLines = limits.maxLines ?? DEFAULT_LOG_MAX_LINES;
    this.maxBytes = limits.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  }

  /** Appends a line, dropping the oldest ones beyond the limits. */
  append(line: ContainerLogLine): void {
    this.#lines.push(line);
    this.#bytes += line.text.length + 1;
    while (this.#lines.length - this.#head > this.maxLines || (this.#bytes > this.maxBytes && this.#lines.length - this.#head > 0)) {
      this.#bytes -= this.#lines[this.#head]!.text.length + 1;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** The kept lines, oldest first. */
  lines(): readonly ContainerLogLine[] {
    return this.#lines.slice(this.#head);
  }

  /** Bytes kept (lines plus newlines). */
  get bytes(): number {
    return this.#bytes;
  }
}

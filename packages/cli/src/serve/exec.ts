/**
 * `pods/exec` over WebSocket, as kubectl 1.30+ speaks it (KEP-4006: the `v5.channel.k8s.io`
 * subprotocol, `v4.channel.k8s.io` before it): the handshake of RFC 6455, and one binary
 * message per write whose first byte names the stream — 1 stdout, 2 stderr, 3 the error
 * stream, which carries the command's end as a `Status` (`Success`, or `Failure` with reason
 * `NonZeroExitCode` and the exit code as a cause, which kubectl exits with) — then a close
 * frame. (v5's close message, stream 255, goes from the client to the server only: it ends stdin.)
 *
 * The command runs to its end in the fake container at once (virtual time), so its output is
 * written whole. What is not served: stdin (`-i`) and a TTY (`-t`), which need a process that
 * waits for input; SPDY (kubectl before 1.30, or with `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`).
 * Both are refused before the upgrade with a 400 Status that says so.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pod } from '@kubeloop/core';

/** Runs a command in a pod's container, as the pod's kubelet would (the fake runtime's shell). */
export interface PodExecSource {
  /**
   * Runs `argv` in `container` of `pod` to its end: what it printed (stdout and stderr
   * interleaved) and its exit code; `notFound` when the container has no such executable.
   */
  exec(pod: Pod, container: string, argv: readonly string[]): { readonly output: string; readonly exitCode: number; readonly notFound?: boolean | undefined };
}

/** What an exec request asks for (upstream `PodExecOptions`). */
export interface ExecQuery {
  readonly command: readonly string[];
  readonly container: string | undefined;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

const truthy = (v: string | null): boolean => v === 'true' || v === '1';

/** The exec options of a query string (`command` repeated, one per argument). */
export function parseExecQuery(q: URLSearchParams): ExecQuery {
  return { command: q.getAll('command'), container: q.get('container') ?? undefined, stdin: truthy(q.get('stdin')), stdout: truthy(q.get('stdout')), stderr: truthy(q.get('stderr')), tty: truthy(q.get('tty')) };
}

/** The subprotocols served, preferred first. */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** The subprotocol to answer a WebSocket upgrade with, or undefined when it is not one kubeloop speaks. */
export function chooseProtocol(req: IncomingMessage): (typeof PROTOCOLS)[number] | undefined {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || typeof req.headers['sec-websocket-key'] !== 'string') return undefined;
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return PROTOCOLS.find((p) => offered.includes(p));
}

/** Answers an upgrade request with an HTTP response (a refusal) and closes the socket. */
export function refuseUpgrade(socket: Duplex, code: number, status: object): void {
  const body = JSON.stringify(status);
  const reason = code === 400 ? 'Bad Request' : code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : code === 404 ? 'Not Found' : 'Error';
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** One unmasked server frame (RFC 6455 section 5.2): FIN set, `opcode`, the payload's length, the payload. */
function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** A binary message on `stream` (the channel byte, then the data). */
const message = (stream: number, data: Buffer | string): Buffer => frame(0x2, Buffer.concat([Buffer.from([stream]), Buffer.from(data)]));

/** The Status of a finished command on the error stream, as the kubelet reports it. */
export function exitStatus(exitCode: number): object {
  if (exitCode === 0) return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success' };
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/**
 * Completes the WebSocket handshake on `socket` with `protocol` and plays a finished command:
 * its output on stdout (when asked for), its Status on the error stream, then a normal close
 * frame. Frames the client sends are read and dropped (it sends none before
 * it has read the end, but for a close frame, which is answered).
 */
export function playExec(req: IncomingMessage, socket: Duplex, protocol: (typeof PROTOCOLS)[number], query: ExecQuery, outcome: { readonly output: string; readonly status: object }): void {
  const accept = createHash('sha1').update(`${req.headers['sec-websocket-key'] as string}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);
  socket.on('data', () => undefined);
  socket.on('error', () => socket.destroy());
  const frames: Buffer[] = [];
  if (query.stdout && outcome.output !== '') frames.push(message(1, outcome.output));
  frames.push(message(3, JSON.stringify(outcome.status)));
  // A normal closure (1000).
  frames.push(frame(0x8, Buffer.from([0x03, 0xe8])));
  socket.end(Buffer.concat(frames));
}

/**
 * What the HTTP tests of `kubeloop serve`'s handler share: one request over plain HTTP whose
 * answer is read whole (its status and its body, parsed as JSON on demand).
 *
 * @module
 */
import { request } from 'node:http';

/** An answer read whole. */
export interface HttpAnswer {
  /** The status code. */
  readonly status: number;
  /** The body as text. */
  readonly text: string;
  /** The body parsed as JSON (throws for a body that is not). */
  readonly json: () => Record<string, unknown>;
}

/** A request's options. */
export interface HttpCallOptions {
  /** Sent as `Authorization: Bearer <token>`; none when absent or null. */
  readonly token?: string | null | undefined;
  /** The body: a Buffer as it is, anything else as JSON. */
  readonly body?: unknown;
  /** The body's content type (default `application/json`). */
  readonly contentType?: string | undefined;
  /** More headers (the impersonation headers). */
  readonly headers?: Readonly<Record<string, string | string[]>> | undefined;
}

/** Sends one request to `base` + `path` and reads the answer whole. */
export function httpCall(base: string, method: string, path: string, options: HttpCallOptions = {}): Promise<HttpAnswer> {
  const { token, body, contentType = 'application/json', headers = {} } = options;
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const all: Record<string, string | string[]> = {
    ...(token === null || token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    ...headers,
    ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) }),
  };
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

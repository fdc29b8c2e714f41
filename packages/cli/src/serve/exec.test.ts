/**
 * `pods/exec` through `kubeloop serve`'s handler, read by a minimal WebSocket client: the
 * handshake, the channel-numbered messages, the Status on the error stream, and the refusals.
 */
import { createHash } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, Pods, VirtualClock, createBuiltinRegistry, internalWrite, seededRng } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { ApiHandler } from './handler.js';

const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry() });
// A stand-in for the fake containers: `hostname` prints the pod's name, `fail` exits 3, nothing else exists.
const ran: { container: string; argv: readonly string[] }[] = [];
const api = new ApiHandler({
  client: server,
  registry: server.registry,
  clock,
  token: 'secret',
  version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' },
  exec: {
    exec: (pod, container, argv) => {
      ran.push({ container, argv });
      if (argv[0] === 'hostname') return { output: `${pod.metadata.name}\n`, exitCode: 0 };
      if (argv[0] === 'fail') return { output: 'bad\n', exitCode: 3 };
      return { output: '', exitCode: 127, notFound: true };
    },
  },
});
const http = createServer(api.handle);
http.on('upgrade', api.handleUpgrade);
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  const pod = (name: string, containers: string[], running: boolean): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: 'node-1', containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
      status: { phase: running ? 'Running' : 'Pending', containerStatuses: containers.map((c) => ({ name: c, image: 'busybox', imageID: '', ready: running, restartCount: 0, state: running ? { running: { startedAt: '2026-01-01T00:00:00Z' } } : { waiting: { reason: 'ContainerCreating' } } })) },
    }) as unknown as Pod;
  for (const p of [pod('web', ['app'], true), pod('two', ['app', 'sidecar'], true), pod('starting', ['app'], false)]) {
    const created = await server.create(Pods, { ...p, status: undefined } as never);
    await server.updateStatus(Pods, { ...created, status: p.status } as never, internalWrite());
  }
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

interface Upgraded {
  readonly status: number;
  readonly protocol?: string | undefined;
  /** The binary messages, as [stream, text]; the close frame's code last as ['close', code]. */
  readonly messages: (readonly [number | 'close', string])[];
  readonly body: string;
}

/** Opens `path` as kubectl does (WebSocket, `v5.channel.k8s.io` first) and reads every frame until the server closes. */
function upgrade(path: string, protocols = 'v5.channel.k8s.io, v4.channel.k8s.io', upgradeTo = 'websocket', token = 'secret'): Promise<Upgraded> {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  return new Promise((resolve, reject) => {
    const req = request({ port, path, headers: { Authorization: `Bearer ${token}`, Connection: 'Upgrade', Upgrade: upgradeTo, 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': protocols } });
    req.on('upgrade', (res, socket, head) => {
      expect(res.headers['sec-websocket-accept']).toBe(createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'));
      let data = head;
      socket.on('data', (c: Buffer) => (data = Buffer.concat([data, c])));
      socket.on('end', () => {
        const messages: (readonly [number | 'close', string])[] = [];
        for (let at = 0; at < data.length; ) {
          const opcode = data[at]! & 0x0f;
          let length = data[at + 1]! & 0x7f;
          let start = at + 2;
          if (length === 126) [length, start] = [data.readUInt16BE(at + 2), at + 4];
          const payload = data.subarray(start, start + length);
          messages.push(opcode === 8 ? ['close', String(payload.readUInt16BE(0))] : [payload[0]!, payload.subarray(1).toString('utf8')]);
          at = start + length;
        }
        resolve({ status: 101, protocol: res.headers['sec-websocket-protocol'], messages, body: '' });
      });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, messages: [], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const exec = (pod: string, query: string) => `/api/v1/namespaces/default/pods/${pod}/exec?${query}`;

describe('pods/exec over WebSocket', () => {
  it('runs the command and sends its output on stdout (1), then a Success Status on the error stream (3), then a normal close', async () => {
    const answer = await upgrade(exec('web', 'command=hostname&stdout=true&stderr=true'));
    expect(answer.protocol).toBe('v5.channel.k8s.io');
    expect(answer.messages).toEqual([
      [1, 'web\n'],
      [3, JSON.stringify({ apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success' })],
      ['close', '1000'],
    ]);
    expect(ran.at(-1)).toEqual({ container: 'app', argv: ['hostname'] });
  });

  it('reports a non-zero exit code as kubectl reads it (NonZeroExitCode, the code as an ExitCode cause), over v4 too', async () => {
    const answer = await upgrade(exec('two', 'command=fail&command=now&container=sidecar&stdout=true'), 'v4.channel.k8s.io');
    expect(answer.protocol).toBe('v4.channel.k8s.io');
    expect(answer.messages[0]).toEqual([1, 'bad\n']);
    expect(JSON.parse(answer.messages[1]![1])).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(ran.at(-1)).toEqual({ container: 'sidecar', argv: ['fail', 'now'] });
  });

  it('reports a command the container lacks as the runtime does, with a 500 Status on the error stream', async () => {
    const answer = await upgrade(exec('web', 'command=nope&stdout=true'));
    expect(JSON.parse(answer.messages[0]![1])).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500, message: expect.stringContaining('exec: "nope": executable file not found in $PATH') });
  });

  it('refuses, before the upgrade and with a Status, what it cannot run', async () => {
    const refusals: [string, string | undefined, string | undefined, number, string][] = [
      [exec('two', 'command=hostname&stdout=true'), undefined, undefined, 400, 'a container name must be specified for pod two, choose one of: [app sidecar]'],
      [exec('web', 'command=hostname&container=nope&stdout=true'), undefined, undefined, 400, 'container nope is not valid for pod web'],
      [exec('starting', 'command=hostname&stdout=true'), undefined, undefined, 400, 'unable to upgrade connection: container not found ("app")'],
      [exec('web', 'command=sh&stdin=true&tty=true&stdout=true'), undefined, undefined, 400, 'kubeloop serve runs exec without stdin or a TTY (leave out -i and -t): the fake container runs the command to its end at once'],
      [exec('web', 'command=hostname&stdout=true'), 'v4.channel.k8s.io', 'SPDY/3.1', 400, 'kubeloop serve speaks pods/exec over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io), as kubectl 1.30 and later do by default; not over SPDY'],
      [exec('web', 'stdout=true'), undefined, undefined, 400, 'you must specify at least 1 command'],
      [exec('gone', 'command=hostname&stdout=true'), undefined, undefined, 404, 'pods "gone" not found'],
      ['/api/v1/namespaces/default/pods/web/attach?stdout=true', undefined, undefined, 400, 'kubeloop serve does not serve pods/attach; it serves pods/exec without stdin'],
      ['/api/v1/namespaces/default/pods/%E0%A4%A/exec?command=hostname', undefined, undefined, 400, 'malformed path: /api/v1/namespaces/default/pods/%E0%A4%A/exec'],
    ];
    for (const [path, protocols, upgradeTo, code, message] of refusals) {
      const answer = await upgrade(path, protocols, upgradeTo);
      expect(answer.status, path).toBe(code);
      expect(JSON.parse(answer.body), path).toMatchObject({ kind: 'Status', status: 'Failure', code, message });
    }
    const unauthorized = await upgrade(exec('web', 'command=hostname'), undefined, undefined, 'wrong');
    expect(unauthorized.status).toBe(401);
  });
});

/**
 * HTTP API benchmarks (`pnpm bench http`): `kubeloop serve`'s handler in front of an in-memory
 * API server, over plain HTTP on loopback with keep-alive connections. GET one pod, LIST 1,000
 * pods and CREATE ConfigMaps with 1, 10 and 100 concurrent clients (requests/s, p50 and p99
 * latency), and watch events/s delivered to 100 HTTP watchers (and to 1,000, each seeing every
 * write: the load test's shape before it became selective) — each beside the same operation
 * in process (the `Client` interface without HTTP).
 *
 * Caveats: client and server share this process and its one event loop, so the HTTP figures
 * include the client's own parsing (a lower bound for the server alone) — but for one watch
 * figure, whose server runs in a child process (`http-watch-server.ts`); TLS (what `kubeloop
 * serve` speaks) is left out, its cost is the TLS library's, not the handler's.
 */
import { fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ApiServer, ConfigMaps, Pods, VirtualClock, createBuiltinRegistry, seededRng, type InputOf } from '@kubeloop/core';
import { ApiHandler } from '../packages/cli/src/serve/handler.js';
import type { Figure } from './harness.js';

const PODS = 1_000;
const TOKEN = 'bench';

function pod(i: number): InputOf<typeof Pods> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${i.toString(36).padStart(5, '0')}`, namespace: 'default', labels: { app: 'web', tier: 'frontend' }, annotations: { 'kubeloop.dev/note': 'x'.repeat(600) } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  };
}

async function setup() {
  const clock = new VirtualClock();
  const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry(), historySize: 200_000 });
  for (let i = 0; i < PODS; i++) await server.create(Pods, pod(i));
  const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: new VirtualClock(), token: TOKEN, version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
  const http = createServer({ keepAlive: true }, api.handle);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const close = async () => {
    api.closeWatches();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return { server, api, port, close };
}

function call(agent: Agent, port: number, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' };
    if (body !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        // Parse as a client would.
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

/** `clients` loops issuing `next(i)` for `ms` of wall time; requests/s and latency percentiles (ms). */
async function load(port: number, clients: number, ms: number, next: (agent: Agent, i: number) => Promise<number>): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  for (let i = 0; i < Math.min(clients, 10); i++) await next(agent, -1 - i); // warm-up
  const latencies: number[] = [];
  let counter = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const status = await next(agent, counter++);
        if (status >= 300) throw new Error(`HTTP ${status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - start;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rps: latencies.length / (elapsed / 1000), p50: at(0.5), p99: at(0.99) };
}

/** Operations/s of `fn` in process, for `ms` of wall time. */
async function inProcess(ms: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) await fn(n++);
  return n / ((performance.now() - start) / 1000);
}

/** Events/s delivered to `watchers` HTTP watch streams (or in-process subscriptions) for `writes` ConfigMap creates. */
async function watchEvents(port: number, server: ApiServer, watchers: number, writes: number, http: boolean, prefix: string): Promise<number> {
  const from = server.resourceVersion;
  const counts = new Array<number>(watchers).fill(0);
  const stops: (() => void)[] = [];
  let opened = 0;
  await Promise.all(
    Array.from({ length: watchers }, (_, w) => {
      if (!http) {
        const sub = server.watch(ConfigMaps, { namespace: 'default', resourceVersion: from }).subscribe(() => void counts[w]!++);
        stops.push(() => sub.unsubscribe());
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${from}`, headers: { Authorization: `Bearer ${TOKEN}` }, agent: false }, (res) => {
          opened++;
          resolve();
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              JSON.parse(buffer.slice(0, nl));
              buffer = buffer.slice(nl + 1);
              counts[w]!++;
            }
          });
        });
        req.on('error', () => undefined);
        req.end();
        stops.push(() => req.destroy());
      });
    }),
  );
  if (http && opened < watchers) throw new Error('watchers did not open');
  const start = performance.now();
  for (let i = 0; i < writes; i++) {
    await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${prefix}-${i}`, namespace: 'default' }, data: { k: 'v' } });
    if (http && i % 100 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  while (counts.some((c) => c < writes)) await new Promise<void>((resolve) => setImmediate(resolve));
  const elapsed = performance.now() - start;
  for (const stop of stops) stop();
  return (writes * watchers) / (elapsed / 1000);
}

/**
 * Watch events/s delivered by the server alone (in a child process) to `watchers` HTTP watchers
 * in this process that count lines without parsing them, and the server's CPU per event.
 */
async function serverAloneWatchEvents(watchers: number, writes: number): Promise<{ rate: number; cpuMicrosPerEvent: number }> {
  const child = fork(fileURLToPath(new URL('./http-watch-server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
  try {
    const { port, resourceVersion } = await new Promise<{ port: number; resourceVersion: string }>((resolve) => child.once('message', resolve as never));
    let lines = 0;
    let opened = 0;
    for (let w = 0; w < watchers; w++) {
      const req = request({ host: '127.0.0.1', port, path: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${resourceVersion}`, headers: { Authorization: `Bearer ${TOKEN}` }, agent: false }, (res) => {
        opened++;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) lines++;
        });
      });
      req.on('error', () => undefined);
      req.end();
    }
    while (opened < watchers) await new Promise<void>((resolve) => setImmediate(resolve));
    const start = performance.now();
    const done = new Promise<{ cpuMicros: number }>((resolve) => child.once('message', resolve as never));
    child.send({ watchers, writes });
    while (lines < watchers * writes) await new Promise<void>((resolve) => setImmediate(resolve));
    const elapsed = performance.now() - start;
    const { cpuMicros } = await done;
    return { rate: lines / (elapsed / 1000), cpuMicrosPerEvent: cpuMicros / lines };
  } finally {
    child.kill();
  }
}

export async function figures(): Promise<Figure[]> {
  const { server, port, close } = await setup();
  const out: Figure[] = [];
  const MS = 1_500;
  try {
    out.push({ name: 'in-process GET pod', value: await inProcess(MS, (i) => server.get(Pods, { namespace: 'default', name: pod(i % PODS).metadata!.name! })), unit: 'ops/s' });
    for (const clients of [1, 10, 100]) {
      const r = await load(port, clients, MS, (agent, i) => call(agent, port, 'GET', `/api/v1/namespaces/default/pods/${pod(Math.abs(i) % PODS).metadata!.name!}`));
      out.push({ name: `HTTP GET pod, ${clients} clients`, value: r.rps, unit: 'req/s' }, { name: `HTTP GET pod, ${clients} clients: p50 latency`, value: r.p50, unit: 'ms' }, { name: `HTTP GET pod, ${clients} clients: p99 latency`, value: r.p99, unit: 'ms' });
    }
    out.push({ name: `in-process LIST ${PODS} pods`, value: await inProcess(MS, () => server.list(Pods, { namespace: 'default' })), unit: 'ops/s' });
    for (const clients of [1, 10, 100]) {
      const r = await load(port, clients, MS * 2, (agent) => call(agent, port, 'GET', '/api/v1/namespaces/default/pods'));
      out.push({ name: `HTTP LIST ${PODS} pods, ${clients} clients`, value: r.rps, unit: 'req/s' }, { name: `HTTP LIST ${PODS} pods, ${clients} clients: p50 latency`, value: r.p50, unit: 'ms' }, { name: `HTTP LIST ${PODS} pods, ${clients} clients: p99 latency`, value: r.p99, unit: 'ms' });
    }
    out.push({ name: 'in-process CREATE ConfigMap', value: await inProcess(MS, (i) => server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `inproc-${i}`, namespace: 'default' }, data: { k: 'v' } })), unit: 'ops/s' });
    for (const clients of [1, 10, 100]) {
      const r = await load(port, clients, MS, (agent, i) => call(agent, port, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `http-${clients}-${i < 0 ? `w${-i}` : i}` }, data: { k: 'v' } })));
      out.push({ name: `HTTP CREATE ConfigMap, ${clients} clients`, value: r.rps, unit: 'req/s' }, { name: `HTTP CREATE ConfigMap, ${clients} clients: p50 latency`, value: r.p50, unit: 'ms' }, { name: `HTTP CREATE ConfigMap, ${clients} clients: p99 latency`, value: r.p99, unit: 'ms' });
    }
    out.push({ name: 'in-process watch events/s to 100 watchers', value: await watchEvents(port, server, 100, 2_000, false, 'wi'), unit: 'events/s' });
    out.push({ name: 'HTTP watch events/s to 100 watchers', value: await watchEvents(port, server, 100, 2_000, true, 'wh'), unit: 'events/s' });
    // The load test's old shape: 1,000 whole-namespace watchers, so every write goes to every one (1M events).
    out.push({ name: 'HTTP watch events/s to 1,000 watchers, each seeing every write', value: await watchEvents(port, server, 1_000, 1_000, true, 'wk'), unit: 'events/s' });
    // The server alone: clients in this process, the server in a child, so the client's parsing is not in it.
    const alone = await serverAloneWatchEvents(1_000, 1_000);
    out.push({ name: 'HTTP watch events/s to 1,000 watchers, server alone', value: alone.rate, unit: 'events/s' }, { name: 'HTTP watch, 1,000 watchers, server alone: CPU per event', value: alone.cpuMicrosPerEvent, unit: 'µs' });
  } finally {
    await close();
  }
  return out;
}

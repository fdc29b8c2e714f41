/**
 * The server side of `pnpm bench http`'s "server alone" watch figure, run as a child process
 * (not a bench itself): `kubeloop serve`'s handler in front of an in-memory API server; it
 * sends the parent its port and revision, and on `{ watchers, writes }` waits for that many
 * watches, performs the creates (100 per turn), and answers with the CPU it used meanwhile.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiServer, ConfigMaps, VirtualClock, createBuiltinRegistry, seededRng } from '@kubeloop/core';
import { ApiHandler } from '../packages/cli/src/serve/handler.js';

const clock = new VirtualClock();
const server = new ApiServer({ clock, rng: seededRng(1), registry: createBuiltinRegistry(), historySize: 200_000 });
const api = new ApiHandler({ client: server, registry: server.registry, clock, timeoutClock: new VirtualClock(), token: 'bench', version: { major: '1', minor: '34', gitVersion: 'v1.34.0+kubeloop' } });
const http = createServer(api.handle);
http.maxConnections = Infinity;
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
process.send!({ port: (http.address() as AddressInfo).port, resourceVersion: server.resourceVersion });
process.on('message', (m: { watchers: number; writes: number }) => {
  void (async () => {
    while (api.openWatches < m.watchers) await turn();
    const before = process.cpuUsage();
    for (let i = 0; i < m.writes; i++) {
      await server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w-${i}`, namespace: 'default' }, data: { k: 'v' } });
      if (i % 100 === 0) await turn();
    }
    // The sockets' last writes.
    for (let i = 0; i < 50; i++) await turn();
    const cpu = process.cpuUsage(before);
    process.send!({ cpuMicros: cpu.user + cpu.system });
  })();
});

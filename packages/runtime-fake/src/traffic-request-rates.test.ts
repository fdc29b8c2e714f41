import { describe, expect, it } from 'vitest';
import type { Pod } from '@kubeloop/core';
import type { RequestCounters } from './traffic-request-rates.js';
import { TrafficRequestRates } from './traffic-request-rates.js';
import type { TrafficTables } from './traffic/tables.js';

function pod(name: string, ip: string, phase = 'Running'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, status: { phase, podIP: ip } } as Pod;
}

/** Counters of pods that received `rates` (req/s) from time 0 on, read at `now`. */
function counters(pods: Pod[], rates: Record<string, number>, now: () => number): RequestCounters {
  const tables = { podsByIP: new Map(pods.map((p) => [p.status!.podIP!, { pod: p, nodeName: 'node-1' }])) } as unknown as TrafficTables;
  return { tables: () => tables, requestCount: ({ name }) => ((rates[name] ?? 0) * now()) / 1000 };
}

describe('TrafficRequestRates', () => {
  it('answers each running pod’s counter increase per second over the window, from its second reading on', () => {
    let now = 0;
    const rates = new TrafficRequestRates(counters([pod('a', '10.1.0.2'), pod('b', '10.1.0.3'), pod('pending', '10.1.0.4', 'Pending')], { a: 50, b: 2.5 }, () => now), 30_000);
    now = 15_000;
    expect([...rates.podRequestRates(now)]).toEqual([]);
    now = 30_000;
    expect([...rates.podRequestRates(now)]).toEqual([
      { namespace: 'default', name: 'a', requestsPerSecond: 50 },
      { namespace: 'default', name: 'b', requestsPerSecond: 2.5 },
    ]);
    expect([...rates.ingressRequestRates()]).toEqual([]);
  });

  it('averages over the window only: a load that doubled 15 s ago reads the mean of the last 30 s', () => {
    let now = 0;
    let count = 0;
    const tables = { podsByIP: new Map([['10.1.0.2', { pod: pod('a', '10.1.0.2'), nodeName: 'node-1' }]]) } as unknown as TrafficTables;
    const rates = new TrafficRequestRates({ tables: () => tables, requestCount: () => count }, 30_000);
    // 10 req/s for a minute, then 20 req/s
    for (now = 0; now <= 60_000; now += 15_000) {
      count = 10 * (now / 1000);
      rates.podRequestRates(now);
    }
    now = 75_000;
    count = 600 + 20 * 15;
    expect([...rates.podRequestRates(now)]).toEqual([{ namespace: 'default', name: 'a', requestsPerSecond: 15 }]);
  });

  it('has nothing without a model (traffic off)', () => {
    expect([...new TrafficRequestRates(() => undefined).podRequestRates(0)]).toEqual([]);
  });
});

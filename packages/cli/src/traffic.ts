/**
 * The `traffic` scenario step's table: where N requests went, one row per pod that answered and
 * one per kind of failure.
 *
 * ```
 * TARGET                  BACKEND              POD                REQUESTS   SHARE
 * http://whoami-web:8088  service/whoami-web   whoami-web-8kx2p   34         34%
 * ```
 *
 * @module
 */
import type { RequestOutcome } from '@kubeloop/runtime-fake';
import type { Table } from './table.js';

/** The columns of the traffic table. */
export const TRAFFIC_COLUMNS: readonly string[] = ['TARGET', 'BACKEND', 'POD', 'REQUESTS', 'SHARE'];

function failure(outcome: Exclude<RequestOutcome, { kind: 'response' }>): string {
  switch (outcome.kind) {
    case 'unresolved':
      return `<could not resolve host: ${outcome.host}>`;
    case 'refused':
      return '<connection refused>';
    case 'timeout':
      return '<timed out>';
    case 'tls':
      return `<${outcome.reason}>`;
  }
}

/** A share in percent with one decimal (`33.3%`, `100.0%`), `<0.1%` for tiny ones. */
function share(n: number, total: number): string {
  const p = (100 * n) / total;
  if (p > 0 && p < 0.1) return '<0.1%';
  return `${p.toFixed(1)}%`;
}

/**
 * The table of `outcomes` of requests to `target`: answered ones by the pod that answered
 * (BACKEND the Service they went through, `-` for none; an answer with a redirect or error
 * status names it after the pod, e.g. `ingress-nginx-controller-x (308)`, `web-1 (404)`),
 * failures by kind (a refused certificate in curl's words: `<SSL certificate problem:
 * self-signed certificate>`); rows sorted by POD.
 */
export function trafficTable(target: string, outcomes: readonly RequestOutcome[]): Table {
  const rows = new Map<string, { backend: string; pod: string; n: number }>();
  for (const o of outcomes) {
    const backend = o.kind === 'unresolved' || o.service === undefined ? '-' : `service/${o.service.name}`;
    const pod = o.kind === 'response' ? (o.status >= 300 ? `${o.backend.name} (${o.status})` : o.backend.name) : failure(o);
    const key = `${backend}|${pod}`;
    const row = rows.get(key) ?? { backend, pod, n: 0 };
    row.n++;
    rows.set(key, row);
  }
  const total = outcomes.length;
  return { kind: 'Traffic', columns: TRAFFIC_COLUMNS, rows: [...rows.values()].sort((a, b) => a.pod.localeCompare(b.pod)).map((r) => [target, r.backend, r.pod, String(r.n), share(r.n, total)]) };
}

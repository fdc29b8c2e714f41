/**
 * The `pods/log` subresource: a container's log lines as plain text, with kube-apiserver's
 * options (`container`, `previous`, `tailLines`, `sinceSeconds`, `limitBytes`, `timestamps`,
 * `follow`) and its errors. The lines come from a {@link PodLogSource} — in `kubeloop serve`,
 * the fake kubelet of the pod's node, which keeps what the fake runtime's containers wrote.
 *
 * The decisions (which container, which lines) are pure functions here; the handler only reads
 * the pod and streams.
 *
 * @module
 */
import { badRequest, formatMicroTime, invalid } from '@kubeloop/core';
import type { FieldError, Pod } from '@kubeloop/core';

/** One log line: when (virtual ms) and what. */
export interface PodLogLine {
  /** When it was written (ms on the cluster's clock). */
  readonly at: number;
  /** The line, without its newline. */
  readonly text: string;
}

/**
 * Where log lines come from: the kubelet of the node a pod runs on.
 *
 * Contract: returns the container's kept lines, oldest first; throws an `Error` whose message
 * is kubectl's (e.g. `container "web" in pod "p" is waiting to start: ContainerCreating`) when
 * there is no such instance — the handler answers it as a 400, as the kubelet's refusal reaches
 * kubectl through kube-apiserver.
 */
export interface PodLogSource {
  /** The lines of `container` of `pod` (the instance before the current one with `previous`). */
  logs(pod: Pod, container: string, options: { readonly previous: boolean }): readonly PodLogLine[];
}

/** The options of a log request (upstream `PodLogOptions`). */
export interface LogQuery {
  readonly container?: string | undefined;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number | undefined;
  readonly sinceSeconds?: number | undefined;
  readonly limitBytes?: number | undefined;
}

function integer(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`${name}: Invalid value: "${raw}": must be an integer`);
  return Number(raw);
}

/**
 * Parses and validates a log query as upstream's `ValidatePodLogOptions`: negative
 * `tailLines`, `limitBytes` or `sinceSeconds` below 1, or both `sinceSeconds` and `sinceTime`
 * are 422 `Invalid` on `PodLogOptions`.
 */
export function parseLogQuery(q: URLSearchParams): LogQuery {
  const bool = (name: string): boolean => q.get(name) === 'true' || q.get(name) === '1';
  const errors: FieldError[] = [];
  const tailLines = integer(q, 'tailLines');
  const limitBytes = integer(q, 'limitBytes');
  const sinceSeconds = integer(q, 'sinceSeconds');
  if (tailLines !== undefined && tailLines < 0) errors.push({ type: 'FieldValueInvalid', field: 'tailLines', value: tailLines, detail: 'must be greater than or equal to 0' });
  if (limitBytes !== undefined && limitBytes < 1) errors.push({ type: 'FieldValueInvalid', field: 'limitBytes', value: limitBytes, detail: 'must be greater than 0' });
  if (sinceSeconds !== undefined && sinceSeconds < 1) errors.push({ type: 'FieldValueInvalid', field: 'sinceSeconds', value: sinceSeconds, detail: 'must be greater than 0' });
  if (sinceSeconds !== undefined && q.get('sinceTime')) errors.push({ type: 'FieldValueForbidden', field: '', detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  if (errors.length > 0) throw invalid('PodLogOptions', '', '', errors);
  return { container: q.get('container') || undefined, follow: bool('follow'), previous: bool('previous'), timestamps: bool('timestamps'), tailLines, sinceSeconds, limitBytes };
}

/**
 * The container a log request reads, as upstream's `LogLocation`: the named one (which must
 * be one of the pod's containers or init containers), else the only container.
 *
 * Errors: 400 with upstream's messages — `container c is not valid for pod p`, or `a container
 * name must be specified for pod p, choose one of: [a b]` (plus the init containers).
 */
export function logContainer(pod: Pod, container: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const containers = pod.spec.containers.map((c) => c.name);
  const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
  if (container !== undefined) {
    if (!containers.includes(container) && !inits.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    return container;
  }
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  const inInits = inits.length > 0 ? ` or one of the init containers: [${inits.join(' ')}]` : '';
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${inInits}`);
}

/**
 * The text of `lines` under `query` at `nowMs`: lines since `sinceSeconds`, the last
 * `tailLines` of them, each prefixed with its RFC 3339 time under `timestamps`, cut at
 * `limitBytes` (mid-line, as the kubelet cuts).
 *
 * @example
 * ```ts
 * renderLog([{ at: 0, text: 'a' }, { at: 1000, text: 'b' }], { follow: false, previous: false, timestamps: false, tailLines: 1 }, 1000); // 'b\n'
 * ```
 */
export function renderLog(lines: readonly PodLogLine[], query: LogQuery, nowMs: number): string {
  let kept = query.sinceSeconds === undefined ? lines : lines.filter((l) => l.at >= nowMs - query.sinceSeconds! * 1000);
  if (query.tailLines !== undefined) kept = query.tailLines === 0 ? [] : kept.slice(-query.tailLines);
  const text = kept.map((l) => formatLine(l, query.timestamps)).join('');
  return query.limitBytes === undefined ? text : Buffer.from(text).subarray(0, query.limitBytes).toString('utf8');
}

/** One line as the kubelet writes it: `<time, 9 fraction digits (RFC3339NanoFixed)> <text>\n` with `timestamps`. */
export function formatLine(line: PodLogLine, timestamps: boolean): string {
  return timestamps ? `${formatMicroTime(line.at).replace(/Z$/, '000Z')} ${line.text}\n` : `${line.text}\n`;
}

/**
 * The lines of `current` not yet sent, given the last line sent (`after`): a log drops its
 * oldest lines as it grows, so the position is found by time and count, not by index.
 */
export function linesAfter(current: readonly PodLogLine[], after: { readonly at: number; readonly sameTime: number } | undefined): readonly PodLogLine[] {
  if (after === undefined) return current;
  let seen = 0;
  const out: PodLogLine[] = [];
  for (const line of current) {
    if (line.at < after.at) continue;
    if (line.at === after.at && seen < after.sameTime) {
      seen++;
      continue;
    }
    out.push(line);
  }
  return out;
}

/** The position after `sent` (appended to `after`), for {@link linesAfter}. */
export function advancePosition(after: { readonly at: number; readonly sameTime: number } | undefined, sent: readonly PodLogLine[]): { readonly at: number; readonly sameTime: number } | undefined {
  if (sent.length === 0) return after;
  const last = sent[sent.length - 1]!.at;
  const same = sent.filter((l) => l.at === last).length;
  return { at: last, sameTime: after !== undefined && after.at === last ? after.sameTime + same : same };
}

import { describe, expect, it } from 'vitest';
import type { Pod } from '@kubeloop/core';
import { advancePosition, linesAfter, logContainer, parseLogQuery, renderLog } from './log.js';

const pod = (containers: string[], inits: string[] = []): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: containers.map((name) => ({ name, image: 'x' })), ...(inits.length > 0 ? { initContainers: inits.map((name) => ({ name, image: 'x' })) } : {}) } }) as Pod;
const lines = [
  { at: 1_000, text: 'one' },
  { at: 2_000, text: 'two' },
  { at: 2_000, text: 'two again' },
  { at: 3_000, text: 'three' },
];

describe('pods/log', () => {
  it('picks the only container, or refuses with upstream\'s messages', () => {
    expect(logContainer(pod(['web']), undefined)).toBe('web');
    expect(() => logContainer(pod(['web', 'side'], ['init']), undefined)).toThrow('a container name must be specified for pod p, choose one of: [web side] or one of the init containers: [init]');
    expect(() => logContainer(pod(['web']), 'nope')).toThrow('container nope is not valid for pod p');
    expect(logContainer(pod(['web'], ['init']), 'init')).toBe('init');
  });

  it('renders tailLines, sinceSeconds, limitBytes and timestamps as the kubelet does', () => {
    const q = (s: string) => parseLogQuery(new URLSearchParams(s));
    expect(renderLog(lines, q(''), 3_000)).toBe('one\ntwo\ntwo again\nthree\n');
    expect(renderLog(lines, q('tailLines=2'), 3_000)).toBe('two again\nthree\n');
    expect(renderLog(lines, q('tailLines=0'), 3_000)).toBe('');
    expect(renderLog(lines, q('sinceSeconds=1'), 3_000)).toBe('two\ntwo again\nthree\n');
    expect(renderLog(lines, q('limitBytes=6'), 3_000)).toBe('one\ntw');
    expect(renderLog(lines.slice(0, 1), q('timestamps=true'), 3_000)).toBe('1970-01-01T00:00:01.000000000Z one\n');
  });

  it('refuses negative tailLines and a limitBytes below 1 with 422 on PodLogOptions', () => {
    expect(() => parseLogQuery(new URLSearchParams('tailLines=-1'))).toThrow('PodLogOptions "" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    expect(() => parseLogQuery(new URLSearchParams('limitBytes=0'))).toThrow(/limitBytes: Invalid value: 0: must be greater than 0/);
    expect(() => parseLogQuery(new URLSearchParams('tailLines=x'))).toThrow(/must be an integer/);
  });

  it('follows a log whose oldest lines rotate away without repeating or losing a line', () => {
    let position = advancePosition(undefined, lines.slice(0, 2));
    // 'one' rotated away; 'two again' and 'three' are new.
    const fresh = linesAfter(lines.slice(1), position);
    expect(fresh.map((l) => l.text)).toEqual(['two again', 'three']);
    position = advancePosition(position, fresh);
    expect(linesAfter([...lines, { at: 4_000, text: 'four' }], position).map((l) => l.text)).toEqual(['four']);
  });
});

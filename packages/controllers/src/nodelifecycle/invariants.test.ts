/** The taint eviction invariants: the earliest eviction time, stated from the documentation. */
import { describe, expect, it } from 'vitest';
import { parseTime } from '@kubeloop/core';
import type { Taint, Toleration } from '@kubeloop/core';
import { earliestTaintEviction } from './invariants.js';

const at = (s: number) => `2026-01-01T00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;
const unreachable = (added: number): Taint => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at(added) });
const maintenance = (added: number): Taint => ({ key: 'example.com/maintenance', value: 'true', effect: 'NoExecute', timeAdded: at(added) });
const never = () => Number.NaN;

describe('earliestTaintEviction', () => {
  it('is the least timeAdded + tolerationSeconds over the NoExecute taints (the worked example)', () => {
    const tolerations: Toleration[] = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'example.com/maintenance', operator: 'Equal', value: 'true', effect: 'NoExecute', tolerationSeconds: 10 },
    ];
    expect(earliestTaintEviction(tolerations, [unreachable(100), maintenance(350)], never)).toBe(parseTime(at(360)));
    expect(earliestTaintEviction(tolerations, [unreachable(100)], never)).toBe(parseTime(at(400)));
  });

  it('is −∞ for a NoExecute taint not tolerated (an Equal toleration of another value, another effect), +∞ when tolerated forever or untainted', () => {
    expect(earliestTaintEviction([{ key: 'example.com/maintenance', operator: 'Equal', value: 'false', effect: 'NoExecute' }], [maintenance(0)], never)).toBe(Number.NEGATIVE_INFINITY);
    expect(earliestTaintEviction([{ key: 'example.com/maintenance', operator: 'Exists', effect: 'NoSchedule' }], [maintenance(0)], never)).toBe(Number.NEGATIVE_INFINITY);
    expect(earliestTaintEviction([{ operator: 'Exists' }], [maintenance(0), unreachable(0)], never)).toBe(Number.POSITIVE_INFINITY);
    expect(earliestTaintEviction(undefined, [{ key: 'k', effect: 'NoSchedule' }], never)).toBe(Number.POSITIVE_INFINITY);
  });

  it('uses the first toleration that tolerates a taint, counts negative seconds as 0, and a taint without timeAdded from firstSeen', () => {
    const first: Toleration[] = [
      { key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      { operator: 'Exists' },
    ];
    expect(earliestTaintEviction(first, [maintenance(0)], never)).toBe(parseTime(at(60)));
    expect(earliestTaintEviction([{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: -5 }], [maintenance(30)], never)).toBe(parseTime(at(30)));
    expect(earliestTaintEviction([{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }], [{ key: 'k', effect: 'NoExecute' }], () => 1_000)).toBe(6_000);
  });
});

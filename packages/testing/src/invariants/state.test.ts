/** The states the checkers take of a SimCluster: the time the cluster ran, apart from clock jumps. */
import { describe, expect, it } from 'vitest';
import { activeMs } from '@kubeloop/core';
import { SimCluster } from '../sim/cluster.js';
import { StateTracker } from './state.js';

describe('StateTracker', () => {
  it('records how far the clock jumped by each state, so a lag window leaves the jump out', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 1 });
    try {
      const tracker = new StateTracker(cluster);
      await cluster.advance(1_000);
      const before = tracker.snapshot();
      cluster.clock.jump(90_000);
      await cluster.advance(1_000);
      const after = tracker.snapshot();
      expect([before.jumpedMs, after.jumpedMs]).toEqual([0, 90_000]);
      expect(after.t - before.t).toBe(91_000);
      expect(activeMs(after) - activeMs(before)).toBe(1_000);
    } finally {
      await cluster.stop();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock/virtual.js';
import { createRateLimitingQueue } from './create.js';
import type { WorkqueueMetricsProvider } from './metrics.js';

/** Records every metric call, keyed by controller-runtime's metric names. */
function recorder() {
  const names: string[] = [];
  const values = {
    workqueue_depth: 0,
    workqueue_adds_total: 0,
    workqueue_retries_total: 0,
    workqueue_queue_duration_seconds: [] as number[],
    workqueue_work_duration_seconds: [] as number[],
    workqueue_unfinished_work_seconds: [] as number[],
    workqueue_longest_running_processor_seconds: [] as number[],
  };
  const provider: WorkqueueMetricsProvider = {
    newDepthMetric: (name) => (names.push(name), { inc: () => values.workqueue_depth++, dec: () => values.workqueue_depth-- }),
    newAddsMetric: () => ({ inc: () => values.workqueue_adds_total++ }),
    newRetriesMetric: () => ({ inc: () => values.workqueue_retries_total++ }),
    newLatencyMetric: () => ({ observe: (s) => values.workqueue_queue_duration_seconds.push(s) }),
    newWorkDurationMetric: () => ({ observe: (s) => values.workqueue_work_duration_seconds.push(s) }),
    newUnfinishedWorkSecondsMetric: () => ({ set: (s) => values.workqueue_unfinished_work_seconds.push(s) }),
    newLongestRunningProcessorSecondsMetric: () => ({ set: (s) => values.workqueue_longest_running_processor_seconds.push(s) }),
  };
  return { provider, values, names };
}

describe('workqueue metrics', () => {
  it('records depth, adds, queue and work durations on the clock, like client-go', async () => {
    const clock = new VirtualClock(0);
    const { provider, values, names } = recorder();
    const q = createRateLimitingQueue<string>({ clock, name: 'replicaset', metrics: provider });
    expect(names).toEqual(['replicaset']);
    q.add('a');
    q.add('a'); // deduplicated: not counted
    q.add('b');
    expect(values.workqueue_adds_total).toBe(2);
    expect(values.workqueue_depth).toBe(2);
    await clock.advance(1500);
    const a = q.tryGet()!;
    expect(values.workqueue_depth).toBe(1);
    expect(values.workqueue_queue_duration_seconds).toEqual([1.5]);
    await clock.advance(250);
    q.done(a);
    expect(values.workqueue_work_duration_seconds).toEqual([0.25]);
  });

  it('counts every addAfter and addRateLimited as a retry', () => {
    const clock = new VirtualClock(0);
    const { provider, values } = recorder();
    const q = createRateLimitingQueue<string>({ clock, name: 'q', metrics: provider });
    q.addAfter('a', 10);
    q.addAfter('a', 0);
    q.addRateLimited('b');
    expect(values.workqueue_retries_total).toBe(3);
  });

  it('refreshes the in-flight gauges every 500 ms while items are processed and then stops its timer', async () => {
    const clock = new VirtualClock(0);
    const { provider, values } = recorder();
    const q = createRateLimitingQueue<string>({ clock, name: 'q', metrics: provider });
    q.add('a');
    q.add('b');
    q.tryGet();
    await clock.advance(500);
    q.tryGet();
    await clock.advance(500);
    expect(values.workqueue_unfinished_work_seconds).toEqual([0.5, 1.5]);
    expect(values.workqueue_longest_running_processor_seconds).toEqual([0.5, 1]);
    q.done('a');
    q.done('b');
    await clock.advance(500);
    expect(values.workqueue_unfinished_work_seconds.at(-1)).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('reads the in-flight gauges when scraped, with no timer, from gauges that can be sampled', async () => {
    const clock = new VirtualClock(0);
    const { provider } = recorder();
    const reads: Record<string, () => number> = {};
    const sampling: WorkqueueMetricsProvider = {
      ...provider,
      newUnfinishedWorkSecondsMetric: () => ({ set: () => undefined, sample: (read) => void (reads['unfinished'] = read) }),
      newLongestRunningProcessorSecondsMetric: () => ({ set: () => undefined, sample: (read) => void (reads['longest'] = read) }),
    };
    const q = createRateLimitingQueue<string>({ clock, name: 'q', metrics: sampling });
    q.add('a');
    q.add('b');
    q.tryGet();
    await clock.advance(300);
    q.tryGet();
    await clock.advance(200);
    expect(clock.pendingTimers()).toBe(0);
    expect(reads['unfinished']!()).toBe(0.7);
    expect(reads['longest']!()).toBe(0.5);
    q.done('a');
    q.done('b');
    expect(reads['unfinished']!()).toBe(0);
  });

  it('records nothing without a name, as client-go does', () => {
    const clock = new VirtualClock(0);
    const { provider, values, names } = recorder();
    const q = createRateLimitingQueue<string>({ clock, metrics: provider });
    q.add('a');
    expect(names).toEqual([]);
    expect(values.workqueue_adds_total).toBe(0);
  });
});

/**
 * The cell-backed metric families print what prom-client's own metrics print for the same
 * samples: same names, help, types, label order, bucket lines, sums and counts.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { runs } from '../testing/index.js';
import { HistogramFamily, ValueFamily } from './cells.js';

const BOUNDS = [0.001, 0.01, 0.1, 1, 10];
const SERIES = [
  { name: 'a', controller: 'a' },
  { name: 'b', controller: 'b' },
];

/** One sample: which series, which operation, what value. */
const sample = fc.record({ series: fc.integer({ min: 0, max: 1 }), op: fc.constantFrom('inc', 'dec', 'set', 'observe'), value: fc.double({ min: 0, max: 20, noNaN: true }) });

describe('cell-backed metric families', () => {
  test.prop([fc.array(sample, { maxLength: 40 })], { numRuns: runs(100, 2000) })('print the same exposition text as prom-client for any sequence of samples', async (samples) => {
    const theirs = new Registry();
    const ours = new Registry();
    const counter = new Counter({ name: 'x_total', help: 'adds', labelNames: ['name', 'controller'], registers: [theirs] });
    const gauge = new Gauge({ name: 'x_depth', help: 'depth', labelNames: ['name', 'controller'], registers: [theirs] });
    const histogram = new Histogram({ name: 'x_seconds', help: "time it's taken", labelNames: ['name', 'controller'], buckets: BOUNDS, registers: [theirs] });
    const counters = new ValueFamily(ours, 'counter', 'x_total', 'adds');
    const gauges = new ValueFamily(ours, 'gauge', 'x_depth', 'depth');
    const histograms = new HistogramFamily(ours, 'x_seconds', "time it's taken", BOUNDS);
    for (const labels of SERIES) {
      counter.inc(labels, 0);
      counters.cell(labels);
      gauge.set(labels, 0);
      gauges.cell(labels);
    }
    for (const { series, op, value } of samples) {
      const labels = SERIES[series]!;
      if (op === 'inc') {
        counter.inc(labels);
        counters.cell(labels).value++;
      } else if (op === 'dec') {
        gauge.dec(labels);
        gauges.cell(labels).value--;
      } else if (op === 'set') {
        gauge.set(labels, value);
        gauges.cell(labels).value = value;
      } else {
        histogram.observe(labels, value);
        histograms.cell(labels).observe(value);
      }
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('zeroes its series on reset, and cells handed out keep counting', async () => {
    const registry = new Registry();
    const adds = new ValueFamily(registry, 'counter', 'adds_total', 'adds');
    const cell = adds.cell({ name: 'q' });
    cell.value += 3;
    registry.resetMetrics();
    cell.value++;
    expect(await registry.metrics()).toContain('adds_total{name="q"} 1');
  });
});

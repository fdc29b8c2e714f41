/**
 * Metric families whose series are plain number cells, registered on a prom-client `Registry`
 * and read only when it is scraped.
 *
 * prom-client hashes the label set of every `inc`/`set`/`observe` call to find its series. The
 * runtime records a handful of samples per reconcile (queue adds, depth, latencies, results),
 * and a property run reconciles thousands of times, so those lookups showed in its profile.
 * Here a series is looked up once, when a controller or queue is created, and the hot path
 * updates a number. The exposition is prom-client's own (its registry formats what
 * {@link CellFamily.get} returns), so the text is what prom-client's metrics would print.
 *
 * @module
 */
import type { Registry } from 'prom-client';

/** One series of a counter or gauge: its current value. */
export interface ValueCell {
  /** The series' value; counters only ever add to it. */
  value: number;
  /** When set, the series' value is read from here when scraped (`value` is then unused). */
  read?: (() => number) | undefined;
}

/** One series of a histogram: per-bucket counts (not cumulative), sum and count. */
export interface HistogramCell {
  /** Adds one observation. */
  observe(value: number): void;
}

type Labels = Readonly<Record<string, string>>;

/** The shape of a sample prom-client's registry formats. */
interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** What prom-client's registry reads from a metric when it is scraped. */
interface Snapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly values: readonly Sample[];
  readonly aggregator: 'sum';
}

/** A family of series keyed by their label values. */
abstract class CellFamily<C> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, { readonly labels: Labels; readonly cell: C }>();

  constructor(registry: Registry, name: string, help: string) {
    this.name = name;
    this.help = help;
    // prom-client's registry only needs `name`, `get()` and `reset()` from a metric.
    registry.registerMetric(this as never);
  }

  /** The cell of the series with these labels, created on first use. */
  cell(labels: Labels): C {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { labels: { ...labels }, cell: this.newCell() };
      this.series.set(key, entry);
    }
    return entry.cell;
  }

  /**
   * Zeroes every series (prom-client's `Registry.resetMetrics` calls it). Unlike prom-client,
   * which forgets its series, the series stay: the cells handed out keep counting into them.
   */
  reset(): void {
    for (const { cell } of this.series.values()) this.zero(cell);
  }

  protected abstract newCell(): C;

  protected abstract zero(cell: C): void;

  /** The samples to print, as prom-client's registry reads them. */
  abstract get(): Promise<Snapshot>;
}

/** A counter or gauge family. */
export class ValueFamily extends CellFamily<ValueCell> {
  readonly type: 'counter' | 'gauge';

  constructor(registry: Registry, type: 'counter' | 'gauge', name: string, help: string) {
    super(registry, name, help);
    this.type = type;
  }

  protected newCell(): ValueCell {
    return { value: 0 };
  }

  protected zero(cell: ValueCell): void {
    cell.value = 0;
  }

  get(): Promise<Snapshot> {
    const values = [...this.series.values()].map(({ labels, cell }) => ({ labels: { ...labels }, value: cell.read === undefined ? cell.value : cell.read() }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}

/** A histogram series as the family keeps it: per-bucket counts (not cumulative), sum and count. */
interface HistogramSeries extends HistogramCell {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram family with fixed upper bounds (`le`), plus `+Inf`. */
export class HistogramFamily extends CellFamily<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    super(registry, name, help);
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  protected newCell(): HistogramSeries {
    const bounds = this.#bounds;
    const cell: HistogramSeries = {
      counts: new Array<number>(bounds.length).fill(0),
      sum: 0,
      count: 0,
      observe(value: number): void {
        cell.sum += value;
        cell.count++;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]!) {
            cell.counts[i]!++;
            return;
          }
        }
      },
    };
    return cell;
  }

  protected zero(cell: HistogramSeries): void {
    cell.counts.fill(0);
    cell.sum = 0;
    cell.count = 0;
  }

  get(): Promise<Snapshot> {
    const values: Sample[] = [];
    for (const { labels, cell } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ labels: { le: this.#bounds[i]!, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: cell.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...labels }, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: cell.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}

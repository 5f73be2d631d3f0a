/**
 * Counters and histograms for the per-request hot path. prom-client hashes and
 * validates the label object on every inc/observe; here a series is looked up
 * once per distinct label values and then updated with plain arithmetic. The
 * classes implement what prom-client's Registry reads (`name`, `help`, `type`,
 * `get()`), so they are exposed by the same /metrics endpoint in the same format.
 * Written by hand because it is on every request; everything else uses prom-client.
 */

type Labels = Record<string, string>;

interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** Series by label key: each distinct label set is built once, then found by its key. */
class SeriesTable<State> {
  readonly entries = new Map<string, { labels: Labels; state: State }>();

  constructor(private readonly create: () => State) {}

  get(key: string, labels: () => Labels): State {
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { labels: labels(), state: this.create() }));
    return entry.state;
  }
}

export interface CounterSeries {
  value: number;
}

export class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series = new SeriesTable<CounterSeries>(() => ({ value: 0 }));

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series for `key`, created from `labels()` the first time. */
  series$(key: string, labels: () => Labels): CounterSeries {
    return this.series.get(key, labels);
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const { labels, state } of this.series.entries.values()) values.push({ labels, value: state.value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.entries.clear();
  }
}

export interface HistogramSeries {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: SeriesTable<HistogramSeries>;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {
    this.series = new SeriesTable(() => ({ counts: new Float64Array(buckets.length), sum: 0, count: 0 }));
  }

  series$(key: string, labels: () => Labels): HistogramSeries {
    return this.series.get(key, labels);
  }

  observe(series: HistogramSeries, value: number): void {
    series.sum += value;
    series.count++;
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]!) {
        series.counts[i]!++;
        return;
      }
    }
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const { labels, state } of this.series.entries.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += state.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: String(this.buckets[i]) }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: state.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: state.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: state.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.entries.clear();
  }
}

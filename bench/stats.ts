/** Latency summary of one measurement, in milliseconds; null fields when nothing was measured. */
export interface Summary {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * The nearest-rank percentile of ascending `sorted` values: the smallest value such that at
 * least `p` percent of the values are less than or equal to it (what HdrHistogram and Rally
 * report). No interpolation, so every figure is a latency that was actually observed.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no values");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1]!;
}

/** Count, min, mean, p50, p90, p99 and max of `values` (in any order; the input is not modified). */
export function summarize(values: ArrayLike<number>): Summary {
  if (values.length === 0)
    return { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, max: null };
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: total / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/**
 * A growable list of samples kept as doubles: cheap enough to record every response of a
 * load run (a million samples are 8 MB), exact percentiles afterwards.
 */
export class Samples {
  #values: Float64Array;
  #length = 0;

  constructor(initialCapacity = 1024) {
    this.#values = new Float64Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.#length;
  }

  add(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }

  summary(): Summary {
    return summarize(this.values());
  }
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}

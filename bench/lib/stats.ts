/** Small statistics for the benchmarks: medians and percentiles over repeats (nearest-rank). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}
export const median = (xs: readonly number[]): number => percentile(xs, 50);
/** Interquartile range: the spread of the middle half. */
export const iqr = (xs: readonly number[]): number => percentile(xs, 75) - percentile(xs, 25);

export interface Distribution {
  n: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
}

export function distribution(xs: readonly number[]): Distribution {
  return {
    n: xs.length,
    min: Math.min(...xs),
    median: median(xs),
    p90: percentile(xs, 90),
    p99: percentile(xs, 99),
    max: Math.max(...xs),
  };
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A figure next to its goal; `met` false is reported as MISSED with the reason, never hidden. */
export interface Figure {
  name: string;
  value: string;
  goal: string;
  met: boolean | null;
  note?: string;
}

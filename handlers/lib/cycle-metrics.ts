/**
 * The health-check metrics: their names and dimensions (used by the workflow, the alarms, the dashboard, the CLI and
 * the local dashboard), and the datapoints one cycle adds to an execution's single PutMetricData.
 */
import type { ProbeResult } from './probe-core';
import { ERR } from './dr-item';

export const METRIC = {
  /** 1 passed / 0 failed, per probe (dimensions ConnectRegion, Bot, Region); not emitted for a probe that could not run. */
  ProbeSuccess: 'ProbeSuccess',
  /** Milliseconds of a probe's Lex call (ConnectRegion, Bot, Region). */
  ProbeLatency: 'ProbeLatency',
  /**
   * Probes that could not observe Lex — the probe function throttled, failed or timed out (ConnectRegion, Region);
   * published only while there are some.
   */
  ProbeErrors: 'ProbeErrors',
  /** Index of the active region in priority order; -1 for err (ConnectRegion). */
  ActiveRegionIndex: 'ActiveRegionIndex',
  /** 1 when no region is healthy (ConnectRegion). */
  NoHealthyRegion: 'NoHealthyRegion',
  /** Region changes written (ConnectRegion). */
  RegionChanges: 'RegionChanges',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface MetricDatum {
  MetricName: MetricName;
  Dimensions: { Name: string; Value: string }[];
  Unit: 'None' | 'Milliseconds' | 'Count';
  Values: number[];
  Counts: number[];
}

function datum(name: MetricName, dims: Record<string, string>, unit: MetricDatum['Unit'], value: number): MetricDatum {
  return {
    MetricName: name,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
    Unit: unit,
    Values: [value],
    Counts: [1],
  };
}

/** Adds datapoints into an execution's accumulated metric data (one datum per metric and dimensions). */
export function mergeMetrics(into: readonly MetricDatum[], add: readonly MetricDatum[]): MetricDatum[] {
  const out = into.map((d) => ({ ...d, Values: [...d.Values], Counts: [...d.Counts] }));
  const keyOf = (d: MetricDatum) => `${d.MetricName}|${JSON.stringify(d.Dimensions)}`;
  const index = new Map(out.map((d) => [keyOf(d), d]));
  for (const d of add) {
    const found = index.get(keyOf(d));
    if (!found) {
      const copy = { ...d, Values: [...d.Values], Counts: [...d.Counts] };
      out.push(copy);
      index.set(keyOf(copy), copy);
      continue;
    }
    d.Values.forEach((v, i) => {
      const at = found.Values.indexOf(v);
      if (at >= 0) found.Counts[at] = found.Counts[at]! + d.Counts[i]!;
      else {
        found.Values.push(v);
        found.Counts.push(d.Counts[i]!);
      }
    });
  }
  return out;
}

/**
 * A probe's datapoints. A probe that could not observe Lex (`observed` false) is counted in ProbeErrors only: it says
 * nothing of the region, so it must not pull ProbeSuccess down (nor page the bot's probe alarm).
 */
export function probeMetrics(
  connectRegion: string,
  probes: readonly ProbeResult[],
  observed: (p: ProbeResult) => boolean,
): MetricDatum[] {
  const errors = new Map<string, number>();
  const out = probes.flatMap((p) => {
    if (!observed(p)) {
      errors.set(p.region, (errors.get(p.region) ?? 0) + 1);
      return [];
    }
    const dims = { ConnectRegion: connectRegion, Bot: p.bot, Region: p.region };
    const out = [datum(METRIC.ProbeSuccess, dims, 'None', p.ok ? 1 : 0)];
    if (p.latencyMs >= 0) out.push(datum(METRIC.ProbeLatency, dims, 'Milliseconds', p.latencyMs));
    return out;
  });
  // ProbeErrors only while probes cannot run: a custom metric costs by the hours it is published, and the blind
  // alarm treats missing data as fine.
  return [
    ...out,
    ...[...errors].map(([r, n]) => datum(METRIC.ProbeErrors, { ConnectRegion: connectRegion, Region: r }, 'Count', n)),
  ];
}

export function decisionMetrics(
  connectRegion: string,
  regions: readonly string[],
  lexRegion: string,
  changed: boolean,
): MetricDatum[] {
  const dims = { ConnectRegion: connectRegion };
  return [
    datum(METRIC.ActiveRegionIndex, dims, 'None', lexRegion === ERR ? -1 : regions.indexOf(lexRegion)),
    datum(METRIC.NoHealthyRegion, dims, 'Count', lexRegion === ERR ? 1 : 0),
    datum(METRIC.RegionChanges, dims, 'Count', changed ? 1 : 0),
  ];
}

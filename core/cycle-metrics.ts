/**
 * The health-check metrics: their names and dimensions (used by the workflow, the alarms, the dashboard, the CLI and
 * the local dashboard), the compact tally an execution carries from cycle to cycle, and the MetricData of the
 * execution's single PutMetricData made from it.
 */
import { z } from 'zod';
import { VALUES_PER_DATUM } from './aws-limits';
import type { ProbeResult } from './probe-core';
import { ERR } from './dr-item-read';

export const METRIC = {
  /** 1 passed / 0 failed, per probe (dimensions ConnectRegion, Bot, Region); not emitted for a probe that could not run. */
  ProbeSuccess: 'ProbeSuccess',
  /** Milliseconds of the probes' Lex calls, per region (ConnectRegion, Region); two significant digits. */
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
  /**
   * Callers who met a bot failure, by the report function (ConnectRegion, Bot, Region): one per contact and region,
   * published only while there are some (core/caller-reports.ts).
   */
  CallerReportedFailures: 'CallerReportedFailures',
  /** Health checks started by a burst of callers' reports (ConnectRegion, Region). */
  CallerReportChecks: 'CallerReportChecks',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface MetricDatum {
  MetricName: MetricName;
  Dimensions: { Name: string; Value: string }[];
  Unit: 'None' | 'Milliseconds' | 'Count';
  Values: number[];
  Counts: number[];
}

/** `[value, count]` pairs: how many datapoints of an execution had each value. */
const talliedSchema = z.array(z.tuple([z.number(), z.number()]));
export type Tallied = z.infer<typeof talliedSchema>;

/**
 * What an execution has observed so far, in the compact form the state machine carries from cycle to cycle (its
 * state is limited to 256 KiB, and this stays a few bytes per bot and region): `metricDataFor` turns it into
 * PutMetricData's MetricData once, when the execution ends. The schema checks it when the workflow hands it back.
 */
export const metricTallySchema = z.object({
  /** Per region, per bot: `[passed, failed]` probes that reached Lex (ProbeSuccess 1 and 0). */
  success: z.record(z.string(), z.record(z.string(), z.tuple([z.number(), z.number()]))),
  /** Per region: the latencies of its probes, rounded by {@link roundLatency} (ProbeLatency). */
  latency: z.record(z.string(), talliedSchema),
  /** Per region: probes that could not run (ProbeErrors). */
  errors: z.record(z.string(), z.number()),
  /** The decisions' datapoints: ActiveRegionIndex, NoHealthyRegion and RegionChanges. */
  decisions: z.partialRecord(z.enum(['ActiveRegionIndex', 'NoHealthyRegion', 'RegionChanges']), talliedSchema),
});
export type MetricTally = z.infer<typeof metricTallySchema>;

export const emptyTally = (): MetricTally => ({ success: {}, latency: {}, errors: {}, decisions: {} });

/**
 * A latency as the tally keeps it: two significant digits (exact below 100 ms, to 10 ms below 1 s, to 100 ms
 * above), so a region's latencies take at most a few hundred distinct values however many bots it has, while
 * percentiles stay within 5 %.
 */
export function roundLatency(ms: number): number {
  return ms < 100 ? Math.round(ms) : Number(Math.round(ms).toPrecision(2));
}

/** Counts `value` once more in `pairs` (in place). */
function add(pairs: Tallied, value: number): void {
  const found = pairs.find(([v]) => v === value);
  if (found) found[1] += 1;
  else pairs.push([value, 1]);
}

/**
 * Adds a round's probes. A probe that could not observe Lex (`observed` false) is counted in ProbeErrors only: it
 * says nothing of the region, so it must not pull ProbeSuccess down (nor page the bot's probe alarm).
 */
export function tallyProbes(
  tally: MetricTally,
  probes: readonly ProbeResult[],
  observed: (p: ProbeResult) => boolean,
): MetricTally {
  const t = structuredClone(tally);
  for (const p of probes) {
    if (!observed(p)) {
      t.errors[p.region] = (t.errors[p.region] ?? 0) + 1;
      continue;
    }
    const n = ((t.success[p.region] ??= {})[p.bot] ??= [0, 0]);
    n[p.ok ? 0 : 1] += 1;
    if (p.latencyMs >= 0) add((t.latency[p.region] ??= []), roundLatency(p.latencyMs));
  }
  return t;
}

/** Adds a decision's datapoints: the active region's index (-1 for err), no healthy region, a region change. */
export function tallyDecision(
  decisions: MetricTally['decisions'],
  regions: readonly string[],
  lexRegion: string,
  changed: boolean,
): MetricTally['decisions'] {
  const d = structuredClone(decisions);
  add((d.ActiveRegionIndex ??= []), lexRegion === ERR ? -1 : regions.indexOf(lexRegion));
  add((d.NoHealthyRegion ??= []), lexRegion === ERR ? 1 : 0);
  add((d.RegionChanges ??= []), changed ? 1 : 0);
  return d;
}

const UNIT: Record<MetricName, MetricDatum['Unit']> = {
  ProbeSuccess: 'None',
  ProbeLatency: 'Milliseconds',
  ProbeErrors: 'Count',
  ActiveRegionIndex: 'None',
  NoHealthyRegion: 'Count',
  RegionChanges: 'Count',
  CallerReportedFailures: 'Count',
  CallerReportChecks: 'Count',
};

function data(name: MetricName, dims: Record<string, string>, pairs: Tallied): MetricDatum[] {
  const Dimensions = Object.entries(dims).map(([Name, Value]) => ({ Name, Value }));
  const out: MetricDatum[] = [];
  for (let i = 0; i < pairs.length; i += VALUES_PER_DATUM) {
    const part = pairs.slice(i, i + VALUES_PER_DATUM);
    out.push({
      MetricName: name,
      Dimensions,
      Unit: UNIT[name],
      Values: part.map(([v]) => v),
      Counts: part.map(([, c]) => c),
    });
  }
  return out;
}

/**
 * The execution's MetricData for its single PutMetricData: ProbeSuccess per bot and region, ProbeLatency per
 * region, ProbeErrors per region (only while probes could not run: a custom metric costs by the hours it is
 * published, and the blind alarm treats missing data as fine), and the decisions' metrics. A datum holds at most
 * {@link VALUES_PER_DATUM} values (CloudWatch's limit); more make a second datum of the same metric.
 */
export function metricDataFor(connectRegion: string, tally: MetricTally): MetricDatum[] {
  const cr = { ConnectRegion: connectRegion };
  return [
    ...Object.entries(tally.success).flatMap(([Region, bots]) =>
      Object.entries(bots).flatMap(([Bot, [passed, failed]]) =>
        data(METRIC.ProbeSuccess, { ...cr, Bot, Region }, [
          ...(passed > 0 ? ([[1, passed]] as Tallied) : []),
          ...(failed > 0 ? ([[0, failed]] as Tallied) : []),
        ]),
      ),
    ),
    ...Object.entries(tally.latency).flatMap(([Region, pairs]) => data(METRIC.ProbeLatency, { ...cr, Region }, pairs)),
    ...Object.entries(tally.errors)
      .filter(([, n]) => n > 0)
      .flatMap(([Region, n]) => data(METRIC.ProbeErrors, { ...cr, Region }, [[n, 1]])),
    ...Object.entries(tally.decisions).flatMap(([name, pairs]) => data(name as MetricName, cr, pairs ?? [])),
  ];
}

/**
 * The latest probe per bot and region: on the local system from the control server's `/status`; on AWS from
 * the health check's CloudWatch metrics (ProbeSuccess per ConnectRegion/Bot/Region; ProbeLatency per ConnectRegion/
 * Region, so on AWS a bot's latency is its region's average in that minute).
 */
import { GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { explainError } from './errors';
import type { ProbeView, Target } from './target';
import { localRequest } from './target';
import { METRIC } from '../../core/cycle-metrics';

interface LocalStatusProbes {
  lastProbes: { bot: string; region: string; ok: boolean; reason: string; latencyMs: number }[];
}

export async function lastProbes(t: Target, now: Date): Promise<ProbeView[]> {
  if (t.kind === 'local') {
    if (!t.local?.control) return [];
    const s = await localRequest<LocalStatusProbes>(t.local.control, 'GET', '/status');
    return s.lastProbes.map((p) => ({
      bot: p.bot,
      region: p.region,
      ok: p.ok,
      reason: p.reason,
      latencyMs: p.latencyMs,
    }));
  }
  try {
    return await metricProbes(t, now);
  } catch (err) {
    throw explainError(err, `CloudWatch on ${t.where}`);
  }
}

async function metricProbes(t: Target, now: Date): Promise<ProbeView[]> {
  const listed = await t.cloudwatch.send(
    new ListMetricsCommand({
      Namespace: t.metricNamespace,
      MetricName: METRIC.ProbeSuccess,
      Dimensions: [{ Name: 'ConnectRegion', Value: t.connectRegion }],
      RecentlyActive: 'PT3H',
    }),
  );
  const series = (listed.Metrics ?? [])
    .map((m) => {
      const dim = (n: string) => m.Dimensions?.find((d) => d.Name === n)?.Value;
      return { bot: dim('Bot'), region: dim('Region') };
    })
    .filter((s): s is { bot: string; region: string } => Boolean(s.bot && s.region));
  if (series.length === 0) return [];
  const regions = [...new Set(series.map((s) => s.region))];
  const metric = (MetricName: string, dims: Record<string, string>) => ({
    Namespace: t.metricNamespace,
    MetricName,
    Dimensions: Object.entries({ ConnectRegion: t.connectRegion, ...dims }).map(([Name, Value]) => ({ Name, Value })),
  });
  // ProbeSuccess per bot and region; ProbeLatency per region.
  const queries: MetricDataQuery[] = [
    ...series.map((s, i) => ({
      Id: `ok${i}`,
      MetricStat: {
        Metric: metric(METRIC.ProbeSuccess, { Bot: s.bot, Region: s.region }),
        Period: 60,
        Stat: 'Average',
      },
    })),
    ...regions.map((region, i) => ({
      Id: `ms${i}`,
      MetricStat: { Metric: metric(METRIC.ProbeLatency, { Region: region }), Period: 60, Stat: 'Average' },
    })),
  ];
  const data = await t.cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      StartTime: new Date(now.getTime() - 15 * 60_000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
    }),
  );
  const byId = new Map((data.MetricDataResults ?? []).map((r) => [r.Id, r]));
  const out: ProbeView[] = [];
  series.forEach((s, i) => {
    const ok = byId.get(`ok${i}`);
    const ms = byId.get(`ms${regions.indexOf(s.region)}`);
    const at = ok?.Timestamps?.[0];
    const v = ok?.Values?.[0];
    if (at === undefined || v === undefined) return;
    const li = ms?.Timestamps?.findIndex((x) => x.getTime() === at.getTime()) ?? -1;
    out.push({
      bot: s.bot,
      region: s.region,
      ok: v >= 1,
      reason: v >= 1 ? 'ok' : `${Math.round((1 - v) * 100)}% of probes failed`,
      latencyMs: li >= 0 ? Math.round(ms!.Values![li]!) : -1,
      at: at.toISOString(),
    });
  });
  return out;
}

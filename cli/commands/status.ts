/**
 * `lexdr status`: the active region per Connect region, the pin, per-region counters and probes, callers' reports per
 * region (their window: reports in it, the last report, the last report-started check), recent changes.
 */
import type { Command } from 'commander';
import type { CallerReportsStatus } from '../lib/caller-reports';
import { formatCallerReports, readCallerReports } from '../lib/caller-reports';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import type { DrItem, RegionChange } from '../lib/dr-table';
import { getItem, queryHistory } from '../lib/dr-table';
import { changeLine, relative, table } from '../lib/format';
import { lastProbes } from '../lib/probes';
import type { GlobalOptions, ProbeView, Target } from '../lib/target';

export interface StatusReport {
  target: 'local' | 'aws';
  connectRegion: string;
  activeRegion: string | null;
  regions: string[];
  item: DrItem | null;
  pin: DrItem['pin'];
  probes: ProbeView[];
  recentChanges: RegionChange[];
  /** Callers' reports per region, from their window items in the DR table, and the rule in force. */
  callerReports: CallerReportsStatus;
  /**
   * Whether the health check can see: `blind` when no region could be probed (lexdr's own probe function failing),
   * `degraded` when some could not, `ok` otherwise. Callers stay where they are while it cannot see.
   */
  healthCheck: { state: 'ok' | 'degraded' | 'blind'; since?: string; regions: string[]; detail: string };
}

export function healthCheckState(item: DrItem | null, regions: readonly string[]): StatusReport['healthCheck'] {
  const b = item?.blind;
  if (!b || b.regions.length === 0) return { state: 'ok', regions: [], detail: '' };
  const all = regions.every((r) => b.regions.includes(r));
  return {
    state: all ? 'blind' : 'degraded',
    since: b.since,
    regions: b.regions,
    detail: `${all ? 'no region' : `${b.regions.join(', ')}`} could be probed: ${b.detail}`,
  };
}

export async function collectStatus(t: Target, now: Date): Promise<StatusReport> {
  const since = new Date(now.getTime() - 7 * 86_400_000).toISOString();
  const [item, probes, changes] = await Promise.all([getItem(t), lastProbes(t, now), queryHistory(t, since)]);
  const regions = t.regions ?? Object.keys(item?.regionHealth ?? {});
  const callerReports = await readCallerReports(t, regions, now);
  return {
    target: t.kind,
    connectRegion: t.connectRegion,
    activeRegion: item?.lexRegion ?? null,
    regions,
    item,
    pin: item?.pin ?? null,
    probes,
    recentChanges: changes.slice(-5),
    callerReports,
    healthCheck: healthCheckState(item, regions),
  };
}

export function formatStatus(s: StatusReport, now: Date): string {
  const lines: string[] = [];
  const primary = s.regions[0];
  const active = s.activeRegion;
  const label =
    active === null
      ? 'no lexDR item yet (the health check has not run)'
      : active === 'err'
        ? 'err — NO HEALTHY REGION (calls take the apology path)'
        : `${active}${active === primary ? ' (primary)' : ' (NOT the primary)'}`;
  lines.push(`Connect ${s.connectRegion} → Lex ${label}`);
  if (s.pin)
    lines.push(
      `Pinned to ${s.pin.region} by ${s.pin.by} until ${s.pin.until} (${relative(s.pin.until, now)}): ${s.pin.reason}`,
    );
  if (s.item)
    lines.push(
      `Item version ${s.item.version}${s.item.updatedAt ? `, updated ${relative(s.item.updatedAt, now)}` : ''}`,
    );
  if (s.healthCheck.state !== 'ok')
    lines.push(
      `Health check ${s.healthCheck.state.toUpperCase()} since ${s.healthCheck.since ?? '?'}: ${s.healthCheck.detail}. ` +
        'Callers stay on the active region until probes run again.',
    );
  lines.push('');
  const rows = s.regions.map((r, i) => {
    const h = s.item?.regionHealth[r];
    const probes = s.probes.filter((p) => p.region === r);
    const probe =
      probes.length === 0
        ? '-'
        : probes
            .map(
              (p) =>
                `${p.bot}: ${p.ok ? 'ok' : p.reason}${p.latencyMs >= 0 ? ` ${p.latencyMs} ms` : ''}${p.at ? ` (${relative(p.at, now)})` : ''}`,
            )
            .join('; ');
    return [
      `${r === active ? '*' : ' '} ${r}`,
      i === 0 ? 'primary' : `#${i + 1}`,
      h ? String(h.fails) : '-',
      h ? String(h.passes) : '-',
      h?.reason ?? '-',
      probe,
    ];
  });
  lines.push(table(rows, ['  region', 'priority', 'fails', 'passes', 'reason', 'last probe']));
  lines.push('');
  lines.push(formatCallerReports(s.callerReports, active, now));
  lines.push('');
  if (s.recentChanges.length === 0) lines.push('No region changes in the last 7 days.');
  else {
    lines.push('Recent region changes:');
    for (const c of s.recentChanges) lines.push(`  ${changeLine(c)}`);
  }
  return lines.join('\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show the active Lex region, the pin, per-region health and the latest region changes.')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await withTarget(ctx, g, {}, async (t) => {
        const now = ctx.io.now();
        const s = await collectStatus(t, now);
        ctx.io.out(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s, now));
      });
    });
}
